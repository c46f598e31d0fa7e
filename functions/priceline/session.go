package priceline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Session methods: how the session was established.
const (
	MethodPassword = "password"
	MethodB2C      = "b2c"
)

// Session is the server-side record of a signed-in browser. It is the
// authority: a cookie is only honoured while its record exists and is live.
//
// The secret session ID travels only inside the signed cookie. The store and
// every API response use Key, the hex SHA-256 of that ID, so a leaked table
// or session list cannot be replayed as a cookie.
type Session struct {
	Key           string // hex SHA-256 of the secret session ID (64 chars)
	UserID        string
	Method        string // MethodPassword, MethodB2C, or a multi-factor method (mfa.go)
	CSRFToken     string // synchroniser token for state-changing requests
	UserAgent     string // shown in the session list; truncated by the store
	CreatedAt     time.Time
	LastSeenAt    time.Time
	IdleExpiresAt time.Time // LastSeenAt + idle timeout
	ExpiresAt     time.Time // CreatedAt + absolute lifetime; never extended
	Version       string    // opaque store version (ETag) for conditional updates
}

// MaxUserAgent is how many characters of a user agent a session store keeps:
// it bounds what a client can make us store and show back in the session
// list.
const MaxUserAgent = 256

// TruncateUserAgent is ua as a session store keeps it: valid UTF-8 (each
// invalid byte sequence becomes U+FFFD) of at most MaxUserAgent characters.
func TruncateUserAgent(ua string) string {
	ua = strings.ToValidUTF8(ua, "\uFFFD")
	n := 0
	for i := range ua {
		if n == MaxUserAgent {
			return ua[:i]
		}
		n++
	}
	return ua
}

// Live reports whether s may still be used at now.
func (s *Session) Live(now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.IdleExpiresAt)
}

// SessionStore keeps session records, partitioned by user so that one user's
// sessions are one partition and a point read needs (userID, key).
type SessionStore interface {
	// CreateSession stores s and sets s.Version.
	CreateSession(ctx context.Context, s *Session) error
	// Session is a point read. It returns KindNotFound when the record is
	// missing, whatever its expiry; callers check Live themselves.
	Session(ctx context.Context, userID, key string) (*Session, error)
	// TouchSession writes s.LastSeenAt and s.IdleExpiresAt only if the stored
	// version still equals s.Version (KindConflict otherwise; KindNotFound if
	// deleted) and updates s.Version.
	TouchSession(ctx context.Context, s *Session) error
	// DeleteSession removes a record; deleting a missing record is not an error.
	DeleteSession(ctx context.Context, userID, key string) error
	// UserSessions lists a user's records, expired ones included.
	UserSessions(ctx context.Context, userID string) ([]*Session, error)
	// DeleteExpiredSessions removes records whose ExpiresAt or IdleExpiresAt
	// is at or before now and returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// NewSessionID returns a new secret session ID: 256 bits from crypto/rand,
// hex encoded.
func NewSessionID() string { return randomHex(32) }

// SessionKey returns the storage key of a secret session ID.
func SessionKey(sessionID string) string {
	sum := sha256.Sum256([]byte(sessionID))
	return hex.EncodeToString(sum[:])
}
