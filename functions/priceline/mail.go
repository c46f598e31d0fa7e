package priceline

import (
	"context"
	"time"
)

// Kinds of message the flows send. A kind names what a message is for, so
// logs and the outbox can tell messages apart without reading their text.
const (
	MailVerifyEmail         = "verify_email"         // a link that verifies an address
	MailRegistrationAttempt = "registration_attempt" // someone tried to register an address that has an account
	MailPasswordReset       = "password_reset"       // a link that resets a local account's password
	MailPasswordResetB2C    = "password_reset_b2c"   // points a cloud account at the provider's own reset
	MailPasswordChanged     = "password_changed"     // notice that the password was reset or changed
	MailEmailChangeVerify   = "email_change_verify"  // a link, sent to the new address, that completes a change
	MailEmailChanged        = "email_changed"        // notice, sent to the old address, of a change
	MailAccountDeleted      = "account_deleted"      // notice that the account is gone
)

// MaxMailTextBytes bounds a message's plain-text body: far above any message
// the flows write, well under Table Storage's 64 KiB per property, so an
// outbox entry always fits in one entity.
const MaxMailTextBytes = 16 << 10

// Message is one plain-text email to one recipient.
//
// Text may hold a single-use link (verification, reset), which is as good as
// a password until it is used or expires: never log Text, and never log To.
type Message struct {
	To      string // one normalised address
	Subject string
	Text    string // plain text; links are written out in full
	// MessageID is the RFC 5322 Message-ID without angle brackets, such as
	// "3f9c…@priceline", unique for all time (see NewMessageID). It is the
	// idempotency key of the delivery: every retry of one message carries
	// the same MessageID, so a provider that already accepted it does not
	// send it again.
	MessageID string
	Kind      string    // one of the Mail* kinds
	Created   time.Time // when the message was first queued; retries keep it
}

// NewMessageID returns a fresh Message-ID (without angle brackets) under
// domain: 128 random bits, hex encoded, so it reveals nothing about the
// message or its recipient.
func NewMessageID(domain string) string {
	if domain == "" {
		domain = "priceline.invalid"
	}
	return randomHex(16) + "@" + domain
}

// Mailer delivers a message. Send returns nil once the provider has accepted
// the message for delivery; delivery to the mailbox itself is the
// provider's job.
//
// Errors are *Error values: KindUnavailable (with RetryAfter when the
// provider said how long to wait) for throttling (429), provider failures
// (5xx) and network errors, which are worth retrying; KindInvalid for a
// message the provider refuses (other 4xx), which no retry will fix.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// OutboxEntry is a message waiting to be delivered, with its delivery state.
// The request that causes an email writes the entry in the same step as its
// own change, so a crash or a provider outage delays the message but does
// not lose it; a sender delivers it, now and on later runs.
type OutboxEntry struct {
	ID            string  // the store key: OutboxID(Message.MessageID)
	Message       Message // Message.Created is when the entry was queued
	Attempts      int     // delivery attempts started so far
	NextAttemptAt time.Time
	// ExpiresAt is when the message stops being worth sending (its link
	// no longer works); zero means never. A sender drops an expired entry
	// instead of delivering it.
	ExpiresAt time.Time
	LastError string // the error code of the last failed attempt, never its text
	Version   string // opaque store version (ETag) for conditional updates
}

// OutboxStore keeps outbox entries where every instance can see them.
type OutboxStore interface {
	// PutOutbox stores e (and sets e.Version); KindConflict if an entry
	// with e.ID exists.
	PutOutbox(ctx context.Context, e *OutboxEntry) error
	// DueOutbox lists up to limit entries whose NextAttemptAt is at or
	// before now, oldest first where the store can tell.
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]*OutboxEntry, error)
	// ClaimOutbox records that an attempt starts: it writes Attempts and
	// NextAttemptAt (the time after which another sender may try again if
	// this one never reports back) only if the stored version still equals
	// e.Version, and updates e.Version. KindConflict when another sender
	// claimed it first, KindNotFound when it is gone; either way, do not
	// send. What ValidOutboxUpdate refuses is refused first. The message
	// and ExpiresAt stay as queued, whatever e holds.
	ClaimOutbox(ctx context.Context, e *OutboxEntry) error
	// MarkOutboxFailed records a failed attempt: e.LastError and the
	// e.NextAttemptAt of the next one, under the same version check as
	// ClaimOutbox.
	MarkOutboxFailed(ctx context.Context, e *OutboxEntry) error
	// MarkOutboxSent records that the provider accepted the message. The
	// entry is removed, text and all: it may hold a single-use link that
	// must not outlive its purpose in storage.
	MarkOutboxSent(ctx context.Context, id string) error
	// DeleteOutbox removes an entry, for a flow whose own change failed
	// after it queued the message, or a message that can never be sent;
	// deleting a missing entry is not an error.
	DeleteOutbox(ctx context.Context, id string) error
}

// OutboxID is the store key of a message: the hex SHA-256 of its
// Message-ID, so the key has a fixed, safe alphabet whatever the ID holds.
func OutboxID(messageID string) string { return SessionKey(messageID) }
