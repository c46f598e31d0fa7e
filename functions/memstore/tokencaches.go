package memstore

import (
	"bytes"
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// PutTokenCache stores a copy of blob, replacing an earlier entry.
func (m *TokenCaches) PutTokenCache(_ context.Context, userID, sessionKey string, blob []byte, expiresAt time.Time) error {
	return m.write("PutTokenCache", priceline.ValidTokenCache(userID, sessionKey, blob, expiresAt, clock(m.Now)), func() error {
		m.entries.put(tokenKey{userID, sessionKey}, tokenEntry{blob: bytes.Clone(blob), expiresAt: stored(expiresAt)})
		return nil
	})
}

// TokenCache returns a copy of the live entry.
func (m *TokenCaches) TokenCache(_ context.Context, userID, sessionKey string) ([]byte, error) {
	return answer(&m.base, "TokenCache", func() ([]byte, error) {
		e, ok := m.entries[tokenKey{userID, sessionKey}]
		if !ok || !clock(m.Now).Before(e.expiresAt) {
			return nil, priceline.TokenCacheNotFound.Err()
		}
		return bytes.Clone(e.blob), nil
	})
}

// DeleteTokenCache removes the entry; a missing one is fine.
func (m *TokenCaches) DeleteTokenCache(_ context.Context, userID, sessionKey string) error {
	return m.do("DeleteTokenCache", func() { delete(m.entries, tokenKey{userID, sessionKey}) })
}

// DeleteOrphanedTokenCaches removes every entry expired at now or whose
// session (in Sessions, when set) is gone or no longer live, like the real
// store's clean-up, and returns how many it removed.
func (m *TokenCaches) DeleteOrphanedTokenCaches(ctx context.Context, now time.Time) (_ int, err error) {
	defer m.count("DeleteOrphanedTokenCaches", &err)
	if err := m.hook("DeleteOrphanedTokenCaches"); err != nil {
		return 0, err
	}
	m.mu.Lock()
	keys := make(map[tokenKey]time.Time, len(m.entries))
	for k, e := range m.entries {
		keys[k] = e.expiresAt
	}
	m.mu.Unlock()
	n := 0
	for k, exp := range keys {
		if now.Before(exp) && m.Sessions != nil {
			sess, err := m.Sessions.Session(ctx, k.userID, k.sessionKey)
			if err != nil && !priceline.IsNotFound(err) {
				return n, err
			}
			if err == nil && sess.Live(now) {
				continue
			}
		} else if now.Before(exp) {
			continue
		}
		m.mu.Lock()
		if _, ok := m.entries[k]; ok {
			delete(m.entries, k)
			n++
		}
		m.mu.Unlock()
	}
	return n, nil
}
