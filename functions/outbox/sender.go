// Package outbox delivers queued email: the flows queue a message in a
// priceline.OutboxStore in the same step as their own change, and a Sender
// hands it to a priceline.Mailer, at once and again on later runs (a timer)
// until the provider accepts it, with exponential backoff. An outage of
// the mail provider therefore delays mail; it neither loses it nor fails
// the request that caused it.
//
// Delivery is at least once towards the Mailer, and exactly once at the
// provider: every attempt of a message carries its Message-ID, from which
// acsmail derives the ACS Operation-Id, so ACS does not send a message it
// has already accepted, whichever instance or run retries it.
package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Defaults of a Sender.
const (
	DefaultBaseDelay   = 30 * time.Second // the wait after the first failure
	DefaultMaxDelay    = time.Hour        // no wait is longer
	DefaultMaxAttempts = 12               // 30 s doubling to the 1 h cap: about 8 hours of trying
	DefaultLease       = 2 * time.Minute  // how long a claimed attempt keeps others off
	DefaultBatch       = 50               // entries one Run reads
	DefaultSendTimeout = 30 * time.Second // one Mailer.Send, polling included
)

// Sender delivers outbox entries. Zero fields take the defaults above.
type Sender struct {
	Store  priceline.OutboxStore
	Mailer priceline.Mailer
	Logger *slog.Logger // slog.Default() when nil

	BaseDelay, MaxDelay time.Duration
	MaxAttempts         int
	Lease               time.Duration
	Batch               int
	SendTimeout         time.Duration

	Now    func() time.Time            // time.Now when nil
	Jitter func(d time.Duration) int64 // random jitter in [0, d/10); nil uses math/rand/v2
}

// New returns a Sender with the defaults.
func New(store priceline.OutboxStore, mailer priceline.Mailer) *Sender {
	return &Sender{Store: store, Mailer: mailer}
}

// Result counts what a Run did.
type Result struct {
	Sent    int // accepted by the provider
	Retry   int // failed for now, queued for a later attempt
	Dropped int // expired, refused by the provider, or out of attempts
	Skipped int // another sender claimed it first
}

// Outcome is what Deliver did with one entry.
type Outcome int

// Outcomes of Deliver.
const (
	Sent    Outcome = iota // the provider accepted the message; the entry is gone
	Retry                  // it failed for now; NextAttemptAt says when to try again
	Dropped                // it will never be sent; the entry is gone
	Skipped                // another sender has it
)

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) log() *slog.Logger { return cmp.Or(s.Logger, slog.Default()) }

// Queue stores msg in the outbox, due at once, to be dropped if not sent by
// expiresAt (zero: never). Call it in the step that makes the change the
// message is about; then, optionally, Deliver the returned entry to send
// it without waiting for the timer.
func (s *Sender) Queue(ctx context.Context, msg priceline.Message, expiresAt time.Time) (*priceline.OutboxEntry, error) {
	if err := priceline.ValidMessage(msg); err != nil {
		return nil, err
	}
	now := s.now()
	if msg.Created.IsZero() {
		msg.Created = now
	}
	e := &priceline.OutboxEntry{ID: priceline.OutboxID(msg.MessageID), Message: msg, NextAttemptAt: now, ExpiresAt: expiresAt}
	if err := s.Store.PutOutbox(ctx, e); err != nil {
		return nil, fmt.Errorf("queue %s mail: %w", msg.Kind, err)
	}
	return e, nil
}

// Run delivers the entries that are due, one batch, and returns what it
// did. It stops early, with the error, only when the store cannot be read.
func (s *Sender) Run(ctx context.Context) (Result, error) {
	var r Result
	batch := s.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	due, err := s.Store.DueOutbox(ctx, s.now(), batch)
	if err != nil {
		return r, fmt.Errorf("read the outbox: %w", err)
	}
	for _, e := range due {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		switch s.Deliver(ctx, e) {
		case Sent:
			r.Sent++
		case Retry:
			r.Retry++
		case Dropped:
			r.Dropped++
		case Skipped:
			r.Skipped++
		}
	}
	return r, nil
}

// Deliver makes one attempt at e: it claims the entry (so no other sender
// tries it meanwhile), sends it, and records the outcome. It logs what it
// did by kind and entry ID only, never the address or the text.
func (s *Sender) Deliver(ctx context.Context, e *priceline.OutboxEntry) Outcome {
	now := s.now()
	log := s.log().With("event", "mail_delivery", "kind", e.Message.Kind, "outbox_id", shortID(e.ID))
	maxAttempts := s.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
		return s.drop(ctx, log, e, "expired")
	}
	if e.Attempts >= maxAttempts {
		return s.drop(ctx, log, e, "out_of_attempts")
	}
	lease := s.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claimed := *e
	claimed.Attempts++
	claimed.NextAttemptAt = now.Add(lease)
	if err := s.Store.ClaimOutbox(ctx, &claimed); err != nil {
		if k := priceline.ErrorKind(err); k == priceline.KindConflict || k == priceline.KindNotFound {
			return Skipped
		}
		log.Error("mail claim failed", "error", err)
		return Retry
	}
	*e = claimed

	timeout := s.SendTimeout
	if timeout <= 0 {
		timeout = DefaultSendTimeout
	}
	sendCtx, cancel := context.WithTimeout(ctx, timeout)
	err := s.Mailer.Send(sendCtx, e.Message)
	cancel()
	if err == nil {
		if err := s.Store.MarkOutboxSent(ctx, e.ID); err != nil {
			// The next run sends it again under the same Message-ID,
			// which the provider recognises.
			log.Warn("mail sent but not marked", "attempt", e.Attempts, "error", err)
		}
		log.Info("mail sent", "attempt", e.Attempts)
		return Sent
	}
	if priceline.ErrorKind(err) == priceline.KindInvalid {
		log.Warn("mail refused", "attempt", e.Attempts, "code", priceline.ErrorCode(err))
		return s.drop(ctx, log, e, priceline.ErrorCode(err))
	}
	e.LastError = priceline.ErrorCode(err)
	e.NextAttemptAt = now.Add(s.backoff(e.Attempts, retryAfter(err)))
	if err := s.Store.MarkOutboxFailed(ctx, e); err != nil {
		// The claim's lease brings it back anyway.
		log.Warn("mail failure not recorded", "error", err)
	}
	log.Warn("mail delayed", "attempt", e.Attempts, "code", e.LastError, "next_attempt", e.NextAttemptAt)
	return Retry
}

func (s *Sender) drop(ctx context.Context, log *slog.Logger, e *priceline.OutboxEntry, reason string) Outcome {
	if err := s.Store.DeleteOutbox(ctx, e.ID); err != nil {
		log.Error("mail drop failed", "reason", reason, "error", err)
		return Retry
	}
	log.Error("mail dropped", "reason", reason, "attempts", e.Attempts)
	return Dropped
}

// backoff is the wait before attempt n+1 after n failed attempts: the base
// delay doubled per attempt, capped, plus up to 10% jitter so that many
// instances do not retry in step; at least what the provider asked for.
func (s *Sender) backoff(n int, asked time.Duration) time.Duration {
	base, maxDelay := s.BaseDelay, s.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	d := base
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	jitter := s.Jitter
	if jitter == nil {
		jitter = func(d time.Duration) int64 {
			if d < 10 {
				return 0
			}
			return rand.Int64N(int64(d / 10))
		}
	}
	d += time.Duration(jitter(d))
	return max(d, asked)
}

func retryAfter(err error) time.Duration {
	var pe *priceline.Error
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}

// shortID is enough of an entry ID to match log lines, and no more.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
