package outbox

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// fakeMailer records what it is given and fails as told.
type fakeMailer struct {
	mu   sync.Mutex
	sent []priceline.Message
	errs []error // returned in order, then nil
}

func (f *fakeMailer) Send(_ context.Context, m priceline.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeMailer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newSender(t *testing.T, m priceline.Mailer) (*Sender, *memstore.Outbox, *clock, *bytes.Buffer) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	s := &Sender{
		Store: memstore.NewOutbox(), Mailer: m, Now: c.now,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Jitter: func(time.Duration) int64 { return 0 },
	}
	return s, s.Store.(*memstore.Outbox), c, &logs
}

func message(kind string) priceline.Message {
	return priceline.Message{
		To: "ada@example.org", Subject: "Reset your password",
		Text:      "Open https://priceline.example.org/reset-password?token=" + priceline.NewToken(32),
		MessageID: priceline.NewMessageID("priceline.example.org"), Kind: kind,
	}
}

var unavailable = &priceline.Error{Kind: priceline.KindUnavailable, Code: "mail_unavailable", Message: "down"}

func TestQueuedMessageIsDeliveredOnceAndLeavesNothingBehind(t *testing.T) {
	fm := &fakeMailer{}
	s, store, _, _ := newSender(t, fm)
	e, err := s.Queue(context.Background(), message(priceline.MailPasswordReset), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Deliver(context.Background(), e); got != Sent {
		t.Fatalf("Deliver = %v", got)
	}
	r, err := s.Run(context.Background())
	if err != nil || r != (Result{}) {
		t.Errorf("second run %+v %v: nothing should be left", r, err)
	}
	if fm.count() != 1 || len(store.Entries()) != 0 {
		t.Errorf("sent %d, entries left %d", fm.count(), len(store.Entries()))
	}
}

func TestOutageDelaysMailWithExponentialBackoffButDoesNotLoseIt(t *testing.T) {
	fm := &fakeMailer{errs: []error{unavailable, unavailable, unavailable}}
	s, store, c, _ := newSender(t, fm)
	if _, err := s.Queue(context.Background(), message(priceline.MailVerifyEmail), time.Time{}); err != nil {
		t.Fatal(err)
	}
	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		r, err := s.Run(context.Background())
		if err != nil || r.Retry != 1 {
			t.Fatalf("run %d: %+v %v", i, r, err)
		}
		due, _ := store.DueOutbox(context.Background(), c.now().Add(wait-time.Second), 10)
		if len(due) != 0 {
			t.Fatalf("run %d: due again before %s", i, wait)
		}
		c.add(wait)
	}
	r, _ := s.Run(context.Background())
	if r.Sent != 1 || fm.count() != 1 || len(store.Entries()) != 0 {
		t.Errorf("after the outage: %+v, sent %d, left %d", r, fm.count(), len(store.Entries()))
	}
}

func TestBackoffIsBoundedAndRespectsRetryAfter(t *testing.T) {
	s := &Sender{Jitter: func(time.Duration) int64 { return 0 }}
	if d := s.backoff(30, 0); d != DefaultMaxDelay {
		t.Errorf("backoff(30) = %s, want the cap %s", d, DefaultMaxDelay)
	}
	if d := s.backoff(1, 10*time.Minute); d != 10*time.Minute {
		t.Errorf("Retry-After 10m gave %s", d)
	}
	s.Jitter = nil
	for range 100 {
		if d := s.backoff(2, 0); d < time.Minute || d >= time.Minute+6*time.Second {
			t.Fatalf("jittered backoff %s outside [1m, 1m6s)", d)
		}
	}
}

func TestRefusedExpiredAndExhaustedMessagesAreDropped(t *testing.T) {
	invalid := &priceline.Error{Kind: priceline.KindInvalid, Code: "mail_rejected", Message: "no"}
	fm := &fakeMailer{errs: []error{invalid}}
	s, store, c, _ := newSender(t, fm)
	ctx := context.Background()
	if _, err := s.Queue(ctx, message(priceline.MailVerifyEmail), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Run(ctx); r.Dropped != 1 || len(store.Entries()) != 0 {
		t.Errorf("refused: %+v, left %d", r, len(store.Entries()))
	}
	if _, err := s.Queue(ctx, message(priceline.MailPasswordReset), c.now().Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.add(31 * time.Minute)
	if r, _ := s.Run(ctx); r.Dropped != 1 || len(store.Entries()) != 0 || fm.count() != 0 {
		t.Errorf("expired: %+v, left %d, sent %d", r, len(store.Entries()), fm.count())
	}
	s.MaxAttempts = 2
	fm.errs = []error{unavailable, unavailable, unavailable}
	if _, err := s.Queue(ctx, message(priceline.MailVerifyEmail), time.Time{}); err != nil {
		t.Fatal(err)
	}
	var got Result
	for range 3 {
		r, _ := s.Run(ctx)
		got.Retry += r.Retry
		got.Dropped += r.Dropped
		c.add(DefaultMaxDelay * 2)
	}
	if got.Retry != 2 || got.Dropped != 1 || len(store.Entries()) != 0 {
		t.Errorf("exhausted: %+v, left %d", got, len(store.Entries()))
	}
}

func TestAttemptLeftByACrashIsPickedUpAfterItsLease(t *testing.T) {
	fm := &fakeMailer{}
	s, store, c, _ := newSender(t, fm)
	ctx := context.Background()
	e, _ := s.Queue(ctx, message(priceline.MailVerifyEmail), time.Time{})
	// A sender claims the entry and dies before sending.
	claimed := *e
	claimed.Attempts, claimed.NextAttemptAt = 1, c.now().Add(DefaultLease)
	if err := store.ClaimOutbox(ctx, &claimed); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Run(ctx); r != (Result{}) {
		t.Errorf("during the lease: %+v", r)
	}
	c.add(DefaultLease)
	if r, _ := s.Run(ctx); r.Sent != 1 || fm.count() != 1 {
		t.Errorf("after the lease: %+v", r)
	}
}

func TestConcurrentSendersDeliverEachMessageOnce(t *testing.T) {
	fm := &fakeMailer{}
	s, store, _, _ := newSender(t, fm)
	ctx := context.Background()
	for range 20 {
		if _, err := s.Queue(ctx, message(priceline.MailVerifyEmail), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			other := *s
			if _, err := other.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if fm.count() != 20 || len(store.Entries()) != 0 {
		t.Errorf("sent %d of 20, left %d", fm.count(), len(store.Entries()))
	}
}

func TestDeliveryLogsCarryNeitherAddressNorText(t *testing.T) {
	fm := &fakeMailer{errs: []error{unavailable}}
	s, _, c, logs := newSender(t, fm)
	msg := message(priceline.MailPasswordReset)
	if _, err := s.Queue(context.Background(), msg, time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.Run(context.Background())
	c.add(time.Hour)
	s.Run(context.Background())
	out := logs.String()
	if !strings.Contains(out, `"mail sent"`) || !strings.Contains(out, `"mail delayed"`) {
		t.Fatalf("logs: %s", out)
	}
	token := msg.Text[strings.Index(msg.Text, "token=")+6:]
	for _, secret := range []string{msg.To, token, msg.MessageID, msg.Subject} {
		if strings.Contains(out, secret) {
			t.Errorf("a log line carries %q", secret)
		}
	}
}
