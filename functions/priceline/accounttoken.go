package priceline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Purposes of an account token. The purpose is the token's first character,
// so a link made for one purpose is refused by every other.
const (
	TokenVerifyEmail   = "v" // verifies the address the account has
	TokenChangeEmail   = "e" // completes a change to the address it was sent to
	TokenResetPassword = "r" // sets a new password without the old one
	// TokenReauth is no link: it is the short-lived, single-use grant a
	// re-authentication at the cloud provider leaves for one session and
	// one sensitive action; its hash binds both (ReauthGrantHash).
	TokenReauth = "a"
)

// AccountTokenLifetime is how long a reset or email-change link works:
// long enough to open a mail, short enough that a mailbox read later, or a
// link found in a browser history, is useless (ASVS 5.0 V6.4.1).
const AccountTokenLifetime = 30 * time.Minute

// VerifyTokenLifetime is how long a verification link sent at registration
// works: verifying only proves the address, so a day is kinder to people
// who read their mail tomorrow.
const VerifyTokenLifetime = 24 * time.Hour

// LifetimeText is how a message states a lifetime such as
// AccountTokenLifetime: "30 minutes", "24 hours", "1 hour", in the largest
// unit that states it exactly, so a text built from the constant can
// neither drift from it nor round it up.
func LifetimeText(d time.Duration) string {
	n, unit := int64(d/time.Second), "second"
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	case d >= time.Minute && d%time.Minute == 0:
		n, unit = int64(d/time.Minute), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}

// AccountToken is the stored half of a single-use link sent by email. The
// secret travels only in the link; the store keeps its SHA-256, so a leaked
// table cannot be turned into working links.
type AccountToken struct {
	UserID    string
	Purpose   string // one of the Token* purposes
	Hash      string // hex SHA-256 of the secret part of the token
	Email     string // the address the link was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Expired reports whether t no longer works at now.
func (t *AccountToken) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// AccountTokenStore keeps at most one token per (user, purpose): a new
// request replaces the old token, which then stops working.
type AccountTokenStore interface {
	// PutAccountToken stores t, replacing the user's earlier token of the
	// same purpose.
	PutAccountToken(ctx context.Context, t *AccountToken) error
	// TakeAccountToken reads and deletes, atomically, the user's token of
	// purpose if its hash is hash, so a token works at most once however
	// many requests race. KindNotFound when there is none, or when the
	// stored token has another hash (replaced or forged; it is then kept).
	// Expiry is the caller's to check.
	TakeAccountToken(ctx context.Context, userID, purpose, hash string) (*AccountToken, error)
	// DeleteAccountTokens removes every token of the user.
	DeleteAccountTokens(ctx context.Context, userID string) error
	// DeleteExpiredAccountTokens removes every token, of any user and
	// purpose, whose ExpiresAt is at or before now, and returns how many
	// it removed, for the clean-up timer. Takers already refuse expired
	// tokens; this only reclaims storage (and the hash of a link nobody
	// followed).
	DeleteExpiredAccountTokens(ctx context.Context, now time.Time) (int, error)
}

// NewAccountToken returns a fresh token for userID and purpose, as sent in
// a link (purpose, user ID, 256 random bits; 97 characters), and the hash
// to store.
func NewAccountToken(userID, purpose string) (token, hash string) {
	secret := randomHex(32)
	return purpose + userID + secret, TokenHash(secret)
}

// ParseAccountToken splits a token from a link into its user ID and the
// hash of its secret, and checks its purpose and shape. ok is false for
// anything NewAccountToken cannot have made for purpose.
func ParseAccountToken(token, purpose string) (userID, hash string, ok bool) {
	if len(token) != 1+32+64 || token[:1] != purpose {
		return "", "", false
	}
	userID, secret := token[1:33], token[33:]
	if !IsLowerHex(userID, 32) || !IsLowerHex(secret, 64) {
		return "", "", false
	}
	return userID, TokenHash(secret), true
}

// TokenPurpose returns the purpose a token names, "" if none.
func TokenPurpose(token string) string {
	if token == "" {
		return ""
	}
	switch p := token[:1]; p {
	case TokenVerifyEmail, TokenChangeEmail, TokenResetPassword, TokenReauth:
		return p
	}
	return ""
}

// TokenHash is the stored form of a token's secret.
func TokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ReauthGrantHash is the stored hash of a re-authentication grant: it names
// the sensitive action and the session (by its key) the grant unlocks, so
// a grant left by one session or for one action is no use to another.
func ReauthGrantHash(action, sessionKey string) string {
	return TokenHash("reauth:" + action + ":" + sessionKey)
}
