package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
)

// Security events (ASVS 5.0 V16.2, V16.3): one structured log line per
// authentication decision, account change or refused request, with the
// fields docs/security-log.md lists. Never the email, the password, a
// session ID or key, or a token: the account is named by an HMAC of its ID,
// which links one account's events without naming it to whoever reads the
// log.
const (
	EventSignIn           = "sign_in"          // outcome success or failure, with reason
	EventThrottled        = "throttled"        // an attempt refused for coming too often
	EventRegistered       = "registered"       // a registration was accepted (new or existing address)
	EventPasswordChanged  = "password_changed" // the signed-in user changed their password
	EventResetRequested   = "password_reset_requested"
	EventResetCompleted   = "password_reset_completed"
	EventEmailVerified    = "email_verified"
	EventEmailChangeAsked = "email_change_requested"
	EventEmailChanged     = "email_changed"
	EventAccountDeleted   = "account_deleted"
	EventSessionRevoked   = "session_revoked" // one session, or all others
	EventReauthFailed     = "reauthentication_failed"
	EventReauthenticated  = "reauthenticated" // a fresh sign-in at the provider unlocked an action (the reason)
	EventCSRFRefused      = "csrf_refused"    // a state-changing request without the right CSRF token
	EventCrossOrigin      = "cross_origin_refused"
	EventBadCookie        = "session_cookie_refused" // forged, expired or revoked session cookie
	EventCloudRefused     = "b2c_callback_refused"
	EventTokenRefused     = "account_token_refused" // a forged, used, expired or replaced link

	// Second factors and passkeys. Sign-ins with them are EventSignIn with
	// the method (or the failure) as the reason.
	EventTOTPEnabled          = "totp_enabled"  // an authenticator app was confirmed
	EventTOTPDisabled         = "totp_disabled" // the authenticator app was removed
	EventRecoveryCodesRenewed = "recovery_codes_regenerated"
	EventRecoveryCodeUsed     = "recovery_code_used" // a sign-in used up a recovery code
	EventPasskeyAdded         = "passkey_added"
	EventPasskeyRemoved       = "passkey_removed"
)

// SecurityEvents lists every event name, for the inventory in
// docs/security-log.md (ASVS 5.0 V16.1.1) and the test that holds the two
// together.
var SecurityEvents = []string{
	EventSignIn, EventThrottled, EventRegistered, EventPasswordChanged, EventResetRequested, EventResetCompleted,
	EventEmailVerified, EventEmailChangeAsked, EventEmailChanged, EventAccountDeleted, EventSessionRevoked,
	EventReauthFailed, EventReauthenticated, EventCSRFRefused, EventCrossOrigin, EventBadCookie, EventCloudRefused, EventTokenRefused,
	EventTOTPEnabled, EventTOTPDisabled, EventRecoveryCodesRenewed, EventRecoveryCodeUsed, EventPasskeyAdded,
	EventPasskeyRemoved,
}

// Outcomes of an event.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// EventLog writes security events. A nil *EventLog writes nothing.
type EventLog struct {
	// Logger receives the events; it should write JSON (slog.JSONHandler).
	Logger *slog.Logger
	// Key keys the HMAC that turns a user ID into the logged account key;
	// nil uses KeySource, and without either a random key made once per
	// process (keys then differ between instances and restarts).
	Key []byte
	// KeySource supplies the key when Key is nil (a key derived from a
	// secret that is loaded after start); nil or empty falls back as above.
	KeySource func() []byte

	once sync.Once
	key  []byte
}

// Event is one security event.
type Event struct {
	Name    string
	Outcome string
	Reason  string // a short code: why it failed, or what kind of success
	Client  Client
	UserID  string // "" when no account is known (or must not be revealed)
}

// Emit writes ev with the time, the client address and the request ID.
func (l *EventLog) Emit(ctx context.Context, ev Event) {
	if l == nil || l.Logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("event", ev.Name),
		slog.String("outcome", ev.Outcome),
		slog.String("client_address", ev.Client.IP),
		slog.String("request_id", ev.Client.RequestID),
	}
	if ev.Reason != "" {
		attrs = append(attrs, slog.String("reason", ev.Reason))
	}
	if ev.UserID != "" {
		attrs = append(attrs, slog.String("account", l.AccountKey(ev.UserID)))
	}
	l.Logger.LogAttrs(ctx, slog.LevelInfo, "security event", append(attrs, slog.String("log", "security"))...)
}

// AccountKey is what the log calls an account: the first 128 bits of
// HMAC-SHA-256(key, user ID), hex.
func (l *EventLog) AccountKey(userID string) string {
	key := l.Key
	if len(key) == 0 && l.KeySource != nil {
		key = l.KeySource()
	}
	if len(key) == 0 {
		l.once.Do(func() {
			l.key = make([]byte, 32)
			_, _ = rand.Read(l.key)
		})
		key = l.key
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("priceline account key v1\x00" + userID))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// event writes a security event of the service.
func (s *Service) event(ctx context.Context, name, outcome, reason string, c Client, userID string) {
	s.Events.Emit(ctx, Event{Name: name, Outcome: outcome, Reason: reason, Client: c, UserID: userID})
}
