package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"hospitalpriceline/functions/outbox"
	"hospitalpriceline/functions/priceline"
)

// Mail is how the flows send email: each message is queued in the outbox
// in the same step as the change it is about, and then delivered in the
// background right after the request, bounded; the clean-up timer delivers
// whatever that attempt did not (see DeliverQueuedMail).
type Mail struct {
	// Outbox queues and delivers messages.
	Outbox *outbox.Sender
	// PublicURL is the site's origin, for the links in messages.
	PublicURL string
	// ResetURL is where a cloud account resets its password ("" means
	// PublicURL + "/api/auth/b2c/reset-password", which starts the
	// provider's password-reset user flow).
	ResetURL string

	once sync.Once
	sem  chan struct{} // bounds background deliveries
	wg   sync.WaitGroup
}

// maxBackgroundDeliveries bounds the deliveries running after requests on
// one instance; when all are busy, a message waits for the timer instead.
const maxBackgroundDeliveries = 8

// backgroundDeliveryTimeout bounds one background delivery.
const backgroundDeliveryTimeout = 30 * time.Second

// domain is the host part of Message-IDs.
func (m *Mail) domain() string {
	if u, err := url.Parse(m.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return ""
}

// link returns PUBLIC_URL+path?token=token.
func (m *Mail) link(path, token string) string {
	return m.PublicURL + path + "?token=" + url.QueryEscape(token)
}

// queued is a message in the outbox, to deliver once its flow's change is
// made, or to take back if the change fails.
type queued struct{ entry *priceline.OutboxEntry }

// queueMail puts msg in the outbox, to be dropped if not sent by expires
// (zero: never). Without Mail configured it does nothing.
func (s *Service) queueMail(ctx context.Context, kind, to, subject, text string, expires time.Time) (queued, error) {
	if s.Mail == nil || s.Mail.Outbox == nil || to == "" {
		return queued{}, nil
	}
	msg := priceline.Message{
		To: to, Subject: subject, Text: text, Kind: kind,
		MessageID: priceline.NewMessageID(s.Mail.domain()), Created: s.now(),
	}
	e, err := s.Mail.Outbox.Queue(ctx, msg, expires)
	if err != nil {
		return queued{}, fmt.Errorf("queue %s mail: %w", kind, err)
	}
	return queued{entry: e}, nil
}

// unqueue takes a message back when the change it was about failed.
func (s *Service) unqueue(ctx context.Context, q queued) {
	if q.entry == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.Mail.Outbox.Store.DeleteOutbox(ctx, q.entry.ID); err != nil {
		// The message then goes out about a change that did not happen;
		// the texts are written so that this only confuses, never harms.
		s.log().Warn("could not take back a queued message", "kind", q.entry.Message.Kind, "error", err)
	}
}

// deliverSoon tries q in the background, now, so that mail does not wait
// for the timer. It never blocks the request: when too many deliveries
// run already, the timer sends it.
func (s *Service) deliverSoon(ctx context.Context, q queued) {
	if q.entry == nil {
		return
	}
	m := s.Mail
	m.once.Do(func() { m.sem = make(chan struct{}, maxBackgroundDeliveries) })
	select {
	case m.sem <- struct{}{}:
	default:
		return
	}
	m.wg.Add(1)
	bg := context.WithoutCancel(ctx)
	go func() {
		defer m.wg.Done()
		defer func() { <-m.sem }()
		c, cancel := context.WithTimeout(bg, backgroundDeliveryTimeout)
		defer cancel()
		m.Outbox.Deliver(c, q.entry)
	}()
}

// WaitMail waits until the background deliveries started so far are done,
// for tests and for a clean shutdown.
func (s *Service) WaitMail() {
	if s.Mail != nil {
		s.Mail.wg.Wait()
	}
}

// DeliverQueuedMail delivers what is due in the outbox, for the timer: mail
// a crash, an outage or a busy instance left behind.
func (s *Service) DeliverQueuedMail(ctx context.Context) (outbox.Result, error) {
	if s.Mail == nil || s.Mail.Outbox == nil {
		return outbox.Result{}, nil
	}
	r, err := s.Mail.Outbox.Run(ctx)
	if err != nil {
		return r, fmt.Errorf("deliver queued mail: %w", err)
	}
	return r, nil
}

// mailLimit allows at most 5 emails per key per hour: after the 5th, the
// next waits an hour from the last.
var mailLimit = Limit{FreeFailures: 5, BaseDelay: time.Hour, MaxDelay: time.Hour, ForgetAfter: time.Hour}

// countMail counts one email sent for key (an account, or an address
// asked about) and refuses it with KindTooManyRequests when the key had its
// 5 this hour. Keys are hashed into the AttemptStore like login counters.
func (s *Service) countMail(ctx context.Context, key string) error {
	_, err := s.reserveOne(ctx, counter{name: "mail", key: key, limit: mailLimit}, s.now())
	var th *throttled
	switch {
	case errors.As(err, &th):
		return errTooManyEmails(th.wait)
	case err != nil:
		return fmt.Errorf("count mail: %w", err)
	}
	return nil
}

// errTooManyEmails refuses a request that would send a 6th email in an hour.
func errTooManyEmails(wait time.Duration) error {
	err := errTooManyAttempts(wait).(*priceline.Error)
	err.Code = "too_many_emails"
	err.Message = fmt.Sprintf("We have sent several emails about this recently. Please wait %s before asking for another.", humanWait(err.RetryAfter))
	return err
}

// mailKeyAccount and mailKeyAddress are the counters of mail sent to an
// account and of requests about an address.
func mailKeyAccount(userID string) string { return "mail:" + userID }
func mailKeyAddress(email string) string  { return "mailto:" + email }
