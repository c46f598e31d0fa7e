package priceline

import (
	"context"
	"time"
)

// MaxTokenCacheSize is the largest serialized token cache a TokenCacheStore
// must accept: Table Storage's limit for one binary property. A larger cache
// is refused with KindInvalid/"token_cache_too_large".
const MaxTokenCacheSize = 64 * 1024

// TokenCacheStore keeps the identity provider's tokens (MSAL's serialized
// token cache) for one session, so that a downstream API can later be called
// on the user's behalf. An entry is keyed by the session's owner and Key
// (the hash of the secret session ID), never by anything a client sends, and
// lives no longer than the session it belongs to.
type TokenCacheStore interface {
	// PutTokenCache stores blob for the session (userID, sessionKey),
	// replacing any earlier one, until expiresAt (the session's absolute
	// expiry).
	PutTokenCache(ctx context.Context, userID, sessionKey string, blob []byte, expiresAt time.Time) error
	// TokenCache returns the stored blob; KindNotFound when there is none or
	// it has expired.
	TokenCache(ctx context.Context, userID, sessionKey string) ([]byte, error)
	// DeleteTokenCache removes the entry; deleting a missing entry is not an
	// error.
	DeleteTokenCache(ctx context.Context, userID, sessionKey string) error
	// DeleteOrphanedTokenCaches deletes, for the clean-up timer, every entry
	// whose session has ended in any way (deleted, revoked, timed out) or
	// whose own expiry is at or before now, and returns how many it deleted.
	// A cache thus outlives its session by at most one timer period.
	DeleteOrphanedTokenCaches(ctx context.Context, now time.Time) (int, error)
}
