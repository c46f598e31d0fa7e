package tablestorage

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// tokenCachesTable holds the identity provider's serialized token cache of
// a session, kept only when downstream API scopes are configured:
//
//	tokencaches: <userID> / <session key> → Cache (Edm.Binary), CreatedAt, ExpiresAt
//
// The keys are exactly the session record's, so an entry belongs to one
// session of one user, and both keys are checked to be the hex the server
// generates before they are used.
const tokenCachesTable = "tokencaches"

// TokenCacheStore keeps priceline.TokenCacheStore entries in the
// tokencaches table, apart from the session records: sessions are read on
// every request, token caches only when a downstream API is called.
type TokenCacheStore struct{ store }

type tokenCacheRecord struct {
	Cache     []byte // base64 in the entity's JSON, as Edm.Binary is
	ExpiresAt edmTime
}

var tokenCacheErrors = entityErrors{what: "token cache", notFound: priceline.TokenCacheNotFound}

// PutTokenCache stores blob for the session, replacing an earlier entry.
func (s *TokenCacheStore) PutTokenCache(ctx context.Context, userID, sessionKey string, blob []byte, expiresAt time.Time) error {
	now := s.c.now()
	if err := priceline.ValidTokenCache(userID, sessionKey, blob, expiresAt, now); err != nil {
		return err
	}
	e := entity{
		"PartitionKey": userID, "RowKey": sessionKey,
		"Cache": blob, "Cache@odata.type": "Edm.Binary",
	}
	e.setTime("CreatedAt", now)
	e.setTime("ExpiresAt", expiresAt)
	return upsertEntity(ctx, s.t, tokenCacheErrors, e, nil)
}

// TokenCache is a point read by (userID, session key).
func (s *TokenCacheStore) TokenCache(ctx context.Context, userID, sessionKey string) ([]byte, error) {
	if !validUserID(userID) || !validSessionKey(sessionKey) {
		return nil, priceline.TokenCacheNotFound.Err()
	}
	rec, _, err := readEntity[tokenCacheRecord](ctx, s.t, tokenCacheErrors, userID, sessionKey)
	if err != nil {
		return nil, err
	}
	if !s.c.now().Before(rec.ExpiresAt.Time) {
		return nil, priceline.TokenCacheNotFound.Err()
	}
	return rec.Cache, nil
}

// DeleteTokenCache removes the entry; a missing one is fine.
func (s *TokenCacheStore) DeleteTokenCache(ctx context.Context, userID, sessionKey string) error {
	if !validUserID(userID) || !validSessionKey(sessionKey) {
		return nil // no such entry can exist
	}
	return deleteEntity(ctx, s.t, userID, sessionKey, "delete token cache")
}

// DeleteOrphanedTokenCaches removes every entry whose own expiry has passed
// or whose session record is gone or no longer live at now, and returns how
// many it removed. Sessions end in many places (sign-out, "sign out
// everywhere", password change, idle timeout, the expired-session sweep);
// rather than teach each of them about token caches, this sweep, run by the
// clean-up timer, ties an entry's life to its session's.
func (s *TokenCacheStore) DeleteOrphanedTokenCaches(ctx context.Context, now time.Time) (int, error) {
	sel := "PartitionKey,RowKey,ExpiresAt"
	type key struct{ PartitionKey, RowKey, ExpiresAt string }
	// Collect first: deleting while paging could move continuation tokens.
	var keys []key
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Select: &sel},
		"list token caches", "decode token cache key", func(k key) error {
			keys = append(keys, k)
			return nil
		})
	if err := s.t.missing(err); err != nil {
		return 0, err
	}
	if err != nil {
		return 0, err
	}
	sessions := s.c.Sessions()
	deleted := 0
	for _, k := range keys {
		if exp, err := parseTime(k.ExpiresAt); err == nil && now.Before(exp) {
			sess, err := sessions.Session(ctx, k.PartitionKey, k.RowKey)
			switch {
			case err == nil && sess.Live(now):
				continue
			case err != nil && !priceline.IsNotFound(err):
				return deleted, err
			}
		}
		// One at a time, as each is judged: a failed session read above
		// still reports what was deleted before it.
		n, err := deleteEach(ctx, s.t.Client, []entityKey{{PartitionKey: k.PartitionKey, RowKey: k.RowKey}}, false, "delete orphaned token cache")
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}
