package auth

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// Service runs the flows.
type Service struct {
	Users    priceline.UserStore
	Sessions priceline.SessionStore
	Attempts priceline.AttemptStore
	Hasher   *password.Hasher
	Policy   *password.Policy
	Tokens   *token.Codec
	Config   Config
	Now      func() time.Time // nil → time.Now
	Logger   *slog.Logger     // nil → discard
	// MFA turns on second factors and passkeys (mfa.go); nil → password only.
	MFA *MFAConfig

	// AccountTokens keeps the single-use links of verification, reset and
	// email change; nil turns those flows off (they answer 503).
	AccountTokens priceline.AccountTokenStore
	// Mail sends the flows' email; nil sends nothing.
	Mail *Mail
	// Breached checks new passwords against known breaches; nil skips it.
	Breached priceline.BreachedPasswords
	// CloudEmails finds cloud accounts by an address their provider
	// verified, only to point them at the provider's password reset; nil
	// sends such accounts nothing.
	CloudEmails priceline.CloudEmailStore
	// Saved is deleted with an account; nil when there is nothing to delete.
	Saved priceline.SavedStore
	// Events receives the security events; nil writes none.
	Events *EventLog

	// locks queues reservations on one attempt counter within this
	// instance, so that the store's conditional writes race only between
	// instances (see reserveOne).
	locks keyLocks

	// hashOverride lets tests count hashing work; nil in production.
	hashOverride hasher

	warnedNoIP atomic.Bool // the missing-client-address warning was logged

	// cache is the opt-in session cache (Config.SessionCacheTTL), made on
	// first use; nil when the TTL is zero.
	cacheOnce sync.Once
	cache     *sessionCache
	// users caches user records for Authenticate (see userCacheTTL).
	usersOnce sync.Once
	users     *userCache
}

// Client describes where a request came from, for throttling and the session list.
type Client struct {
	IP        string
	UserAgent string
	// Device is the browser's device cookie, "" for none; see Login.
	Device    string
	RequestID string // for the security log
}

// Result is a new session: the record, its user, and the signed cookie value
// to set; or, when the password was right but a second factor is needed,
// only Pending (mfa_login.go).
type Result struct {
	User    *priceline.User
	Session *priceline.Session
	Cookie  string
	// Device is a device cookie to give the browser (every sign-in to a
	// local account; "" for none), valid for DeviceCookieLifetime.
	Device string
	// Pending is set instead of a session when a second factor is needed.
	Pending *PendingSignIn
}

// hasher is the part of *password.Hasher the flows use.
type hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error)
	VerifyDummy(ctx context.Context, password string) error
}

func (s *Service) hasher() hasher {
	if s.hashOverride != nil {
		return s.hashOverride
	}
	return s.Hasher
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

var discard = slog.New(slog.DiscardHandler)

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return discard
}

func (s *Service) config() Config { return s.Config.withDefaults() }

// keyPrefix shortens a session key for logs: enough to correlate lines, too
// little to look a record up by.
func keyPrefix(key string) string {
	if len(key) > 8 {
		return key[:8]
	}
	return key
}
