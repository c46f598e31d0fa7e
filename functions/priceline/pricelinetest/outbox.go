package pricelinetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// NewOutboxEntry returns an entry due at due for a fresh message.
func NewOutboxEntry(due time.Time) *priceline.OutboxEntry {
	msg := priceline.Message{
		To: "ada@example.org", Subject: "Verify your email address",
		Text:      "Open this link: https://priceline.example.org/verify-email?token=" + priceline.NewToken(32) + "\n",
		MessageID: priceline.NewMessageID("priceline.example.org"), Kind: priceline.MailVerifyEmail, Created: due,
	}
	return &priceline.OutboxEntry{ID: priceline.OutboxID(msg.MessageID), Message: msg, NextAttemptAt: due, ExpiresAt: due.Add(30 * time.Minute)}
}

// TestOutboxStore runs the OutboxStore contract against stores made by
// newStore.
func TestOutboxStore(t *testing.T, newStore func(t *testing.T) priceline.OutboxStore) {
	ctx := context.Background()

	t.Run("PutThenDueRoundTrips", func(t *testing.T) {
		s := newStore(t)
		e := NewOutboxEntry(ms(0))
		if err := s.PutOutbox(ctx, e); err != nil {
			t.Fatalf("PutOutbox: %v", err)
		}
		if e.Version == "" {
			t.Error("PutOutbox did not set Version")
		}
		wantKind(t, s.PutOutbox(ctx, NewOutboxEntryLike(e)), priceline.KindConflict, "")
		due, err := s.DueOutbox(ctx, ms(time.Second), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("DueOutbox = %v, %v; want the entry", due, err)
		}
		got := due[0]
		if got.ID != e.ID || got.Message.To != e.Message.To || got.Message.Subject != e.Message.Subject || got.Message.Text != e.Message.Text ||
			got.Message.MessageID != e.Message.MessageID || got.Message.Kind != e.Message.Kind || !got.Message.Created.Equal(e.Message.Created) ||
			!got.NextAttemptAt.Equal(e.NextAttemptAt) || !got.ExpiresAt.Equal(e.ExpiresAt) || got.Attempts != 0 || got.Version == "" {
			t.Errorf("DueOutbox returned %+v, want %+v", got, e)
		}
	})

	t.Run("InvalidEntriesAreRefused", func(t *testing.T) {
		s := newStore(t)
		cases := []struct {
			name, code string
			change     func(e *priceline.OutboxEntry)
		}{
			{"IDNotFromMessageID", "invalid_outbox_entry", func(e *priceline.OutboxEntry) { e.ID = priceline.OutboxID("<other@example.org>") }},
			{"MalformedID", "invalid_outbox_entry", func(e *priceline.OutboxEntry) { e.ID = "../outbox" }},
			{"NoRecipient", "invalid_outbox_entry", func(e *priceline.OutboxEntry) { e.Message.To = "" }},
			{"NoNextAttempt", "invalid_outbox_entry", func(e *priceline.OutboxEntry) { e.NextAttemptAt = time.Time{} }},
			{"NoCreated", "invalid_outbox_entry", func(e *priceline.OutboxEntry) { e.Message.Created = time.Time{} }},
			{"TextTooLong", "mail_too_large", func(e *priceline.OutboxEntry) {
				e.Message.Text = strings.Repeat("a", priceline.MaxMailTextBytes+1)
			}},
			{"SubjectTooLong", "mail_too_large", func(e *priceline.OutboxEntry) { e.Message.Subject = strings.Repeat("a", 1001) }},
		}
		for _, c := range cases {
			e := NewOutboxEntry(ms(0))
			c.change(e)
			t.Run(c.name, func(t *testing.T) { wantKind(t, s.PutOutbox(ctx, e), priceline.KindInvalid, c.code) })
		}
		wantKind(t, s.PutOutbox(ctx, nil), priceline.KindInvalid, "invalid_outbox_entry")
		if due, err := s.DueOutbox(ctx, ms(time.Hour), 10); err != nil || len(due) != 0 {
			t.Errorf("a refused entry was kept: %+v, %v", due, err)
		}
	})

	t.Run("OnlyDueEntriesAreListed", func(t *testing.T) {
		s := newStore(t)
		now := ms(0)
		early, late := NewOutboxEntry(now.Add(-time.Minute)), NewOutboxEntry(now.Add(time.Minute))
		for _, e := range []*priceline.OutboxEntry{early, late} {
			if err := s.PutOutbox(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		due, err := s.DueOutbox(ctx, now, 10)
		if err != nil || len(due) != 1 || due[0].ID != early.ID {
			t.Fatalf("DueOutbox(now) = %v, %v; want only the early entry", due, err)
		}
		if due, err := s.DueOutbox(ctx, now.Add(2*time.Minute), 1); err != nil || len(due) != 1 {
			t.Errorf("limit 1 gave %d entries, %v", len(due), err)
		}
		for _, limit := range []int{0, -1} {
			if due, err := s.DueOutbox(ctx, now, limit); err != nil || len(due) != 0 {
				t.Errorf("limit %d gave %d entries, %v; want none", limit, len(due), err)
			}
		}
	})

	t.Run("ClaimIsExclusive", func(t *testing.T) {
		s := newStore(t)
		e := NewOutboxEntry(ms(0))
		if err := s.PutOutbox(ctx, e); err != nil {
			t.Fatal(err)
		}
		due, _ := s.DueOutbox(ctx, ms(0), 10)
		a, b := *due[0], *due[0]
		a.Attempts, a.NextAttemptAt = 1, ms(2*time.Minute)
		if err := s.ClaimOutbox(ctx, &a); err != nil {
			t.Fatalf("first claim: %v", err)
		}
		b.Attempts, b.NextAttemptAt = 1, ms(2*time.Minute)
		wantKind(t, s.ClaimOutbox(ctx, &b), priceline.KindConflict, "")
		if due, _ := s.DueOutbox(ctx, ms(time.Minute), 10); len(due) != 0 {
			t.Error("a claimed entry is still due before its lease ends")
		}
		a.LastError, a.NextAttemptAt = "mail_unavailable", ms(5*time.Minute)
		if err := s.MarkOutboxFailed(ctx, &a); err != nil {
			t.Fatalf("MarkOutboxFailed: %v", err)
		}
		due, _ = s.DueOutbox(ctx, ms(5*time.Minute), 10)
		if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "mail_unavailable" {
			t.Errorf("after a failure: %+v", due)
		}
	})

	// A claim or a failure merges only Attempts, LastError and
	// NextAttemptAt: a sender that changed its copy of the message (or its
	// expiry) does not change what the next sender sends.
	t.Run("ClaimAndFailureKeepTheMessage", func(t *testing.T) {
		s := newStore(t)
		e := NewOutboxEntry(ms(0))
		if err := s.PutOutbox(ctx, e); err != nil {
			t.Fatal(err)
		}
		due, _ := s.DueOutbox(ctx, ms(0), 10)
		a := *due[0]
		a.Message.To, a.Message.Subject, a.Message.Text = "eve@example.org", "Other", "Other text\n"
		a.ExpiresAt = ms(time.Hour)
		a.Attempts, a.NextAttemptAt = 1, ms(2*time.Minute)
		if err := s.ClaimOutbox(ctx, &a); err != nil {
			t.Fatalf("ClaimOutbox: %v", err)
		}
		a.Message.Text, a.LastError, a.NextAttemptAt = "Third text\n", "mail_unavailable", ms(5*time.Minute)
		if err := s.MarkOutboxFailed(ctx, &a); err != nil {
			t.Fatalf("MarkOutboxFailed: %v", err)
		}
		due, err := s.DueOutbox(ctx, ms(5*time.Minute), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("DueOutbox = %v, %v; want the entry", due, err)
		}
		got := due[0]
		if got.Message.To != e.Message.To || got.Message.Subject != e.Message.Subject || got.Message.Text != e.Message.Text ||
			!got.ExpiresAt.Equal(e.ExpiresAt) {
			t.Errorf("the stored message changed: to %q, subject %q, text of %d bytes, expiry %v; want %q, %q, %d bytes, %v",
				got.Message.To, got.Message.Subject, len(got.Message.Text), got.ExpiresAt, e.Message.To, e.Message.Subject, len(e.Message.Text), e.ExpiresAt)
		}
		if got.Attempts != 1 || got.LastError != "mail_unavailable" || !got.NextAttemptAt.Equal(ms(5*time.Minute)) || got.Version != a.Version {
			t.Errorf("after claim and failure: %+v", got)
		}
	})

	// What a store refuses before it writes: no version (the write could
	// not be conditional) or no next attempt (the entry would be due for
	// ever) is outbox_changed, which a sender reads as "do not send", and
	// the entry stays as it was.
	t.Run("NoVersionOrNextAttemptIsChanged", func(t *testing.T) {
		s := newStore(t)
		e := NewOutboxEntry(ms(0))
		if err := s.PutOutbox(ctx, e); err != nil {
			t.Fatal(err)
		}
		for name, change := range map[string]func(e *priceline.OutboxEntry){
			"NoVersion":     func(e *priceline.OutboxEntry) { e.Version = "" },
			"NoNextAttempt": func(e *priceline.OutboxEntry) { e.NextAttemptAt = time.Time{} },
		} {
			t.Run(name, func(t *testing.T) {
				c := *e
				c.Attempts = 1
				change(&c)
				wantKind(t, s.ClaimOutbox(ctx, &c), priceline.KindConflict, "outbox_changed")
				wantKind(t, s.MarkOutboxFailed(ctx, &c), priceline.KindConflict, "outbox_changed")
			})
		}
		due, err := s.DueOutbox(ctx, ms(0), 10)
		if err != nil || len(due) != 1 || due[0].Attempts != 0 || due[0].Version != e.Version {
			t.Errorf("a refused write changed the entry: %+v, %v", due, err)
		}
	})

	t.Run("MalformedIDIsNotFound", func(t *testing.T) {
		s := newStore(t)
		bad := NewOutboxEntry(ms(0))
		bad.ID, bad.Version = "../outbox", `W/"1"`
		wantKind(t, s.ClaimOutbox(ctx, nil), priceline.KindNotFound, "")
		wantKind(t, s.ClaimOutbox(ctx, bad), priceline.KindNotFound, "")
		wantKind(t, s.MarkOutboxFailed(ctx, bad), priceline.KindNotFound, "")
		if err := s.DeleteOutbox(ctx, bad.ID); err != nil {
			t.Errorf("DeleteOutbox(malformed ID) = %v, want nil", err)
		}
	})

	t.Run("SentAndDeletedAreGone", func(t *testing.T) {
		s := newStore(t)
		sent, dropped := NewOutboxEntry(ms(0)), NewOutboxEntry(ms(0))
		for _, e := range []*priceline.OutboxEntry{sent, dropped} {
			if err := s.PutOutbox(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkOutboxSent(ctx, sent.ID); err != nil {
			t.Fatalf("MarkOutboxSent: %v", err)
		}
		if err := s.DeleteOutbox(ctx, dropped.ID); err != nil {
			t.Fatalf("DeleteOutbox: %v", err)
		}
		if err := s.DeleteOutbox(ctx, dropped.ID); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
		if due, _ := s.DueOutbox(ctx, ms(time.Hour), 10); len(due) != 0 {
			t.Errorf("still listed: %+v", due)
		}
		c := *sent
		c.Attempts = 1
		wantKind(t, s.ClaimOutbox(ctx, &c), priceline.KindNotFound, "")
	})
}

// NewOutboxEntryLike returns a copy of e with the same ID, for conflict tests.
func NewOutboxEntryLike(e *priceline.OutboxEntry) *priceline.OutboxEntry {
	c := *e
	c.Version = ""
	return &c
}
