package tablestorage

import (
	"context"
	"encoding/json"
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
type TokenCacheStore struct {
	c     *Client
	table *aztables.Client
}

var _ priceline.TokenCacheStore = (*TokenCacheStore)(nil)

// tokenCacheTableName is the token cache table's name under c's prefix.
func (c *Client) tokenCacheTableName() string { return c.table(tokenCachesTable) }

// TokenCaches returns the per-session token cache store.
func (c *Client) TokenCaches() *TokenCacheStore {
	return &TokenCacheStore{c: c, table: c.svc.NewClient(c.tokenCacheTableName())}
}

type tokenCacheRecord struct {
	Cache     []byte `json:"Cache"` // base64 in the entity's JSON, as Edm.Binary is
	CreatedAt string `json:"CreatedAt"`
	ExpiresAt string `json:"ExpiresAt"`
}

func tokenCacheNotFound() error {
	return priceline.Errorf(priceline.KindNotFound, "token_cache_not_found", "No provider tokens are kept for this session.")
}

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
	body, err := json.Marshal(e)
	if err != nil {
		return translate(err, "encode token cache")
	}
	_, err = s.table.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
	if err := missingTable(err, s.c.tokenCacheTableName()); err != nil {
		return err
	}
	if err != nil {
		return translate(err, "put token cache")
	}
	return nil
}

// TokenCache is a point read by (userID, session key).
func (s *TokenCacheStore) TokenCache(ctx context.Context, userID, sessionKey string) ([]byte, error) {
	if !validUserID(userID) || !validSessionKey(sessionKey) {
		return nil, tokenCacheNotFound()
	}
	resp, err := s.table.GetEntity(ctx, userID, sessionKey, nil)
	if err := missingTable(err, s.c.tokenCacheTableName()); err != nil {
		return nil, err
	}
	if isStatus(err, 404) {
		return nil, tokenCacheNotFound()
	}
	if err != nil {
		return nil, translate(err, "read token cache")
	}
	var rec tokenCacheRecord
	if err := json.Unmarshal(resp.Value, &rec); err != nil {
		return nil, translate(err, "decode token cache")
	}
	exp, err := parseTime(rec.ExpiresAt)
	if err != nil {
		return nil, translate(err, "decode token cache expiry")
	}
	if !s.c.now().Before(exp) {
		return nil, tokenCacheNotFound()
	}
	return rec.Cache, nil
}

// DeleteTokenCache removes the entry; a missing one is fine.
func (s *TokenCacheStore) DeleteTokenCache(ctx context.Context, userID, sessionKey string) error {
	if !validUserID(userID) || !validSessionKey(sessionKey) {
		return nil // no such entry can exist
	}
	_, err := s.table.DeleteEntity(ctx, userID, sessionKey, nil)
	if err := missingTable(err, s.c.tokenCacheTableName()); err != nil {
		return err
	}
	if err != nil && !isStatus(err, 404) {
		return translate(err, "delete token cache")
	}
	return nil
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
	err := eachEntity(ctx, s.table, &aztables.ListEntitiesOptions{Select: &sel},
		"list token caches", "decode token cache key", func(k key) error {
			keys = append(keys, k)
			return nil
		})
	if err := missingTable(err, s.c.tokenCacheTableName()); err != nil {
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
		_, err := s.table.DeleteEntity(ctx, k.PartitionKey, k.RowKey, nil)
		switch {
		case err == nil:
			deleted++
		case isStatus(err, 404):
		default:
			return deleted, translate(err, "delete orphaned token cache")
		}
	}
	return deleted, nil
}
