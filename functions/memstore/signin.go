package memstore

import (
	"bytes"
	"context"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
)

// What a sign-in keeps for minutes: its flow with the identity provider,
// the challenge of a passkey or TOTP ceremony, the cloud sign-in's token
// cache, and the count of failed attempts that throttles it.

// AuthFlows is an in-memory priceline.AuthFlowStore: a flow is taken at
// most once, and an expired one is deleted and refused.
type AuthFlows struct {
	// Now is the clock TakeFlow checks expiry against; nil means time.Now.
	Now func() time.Time

	once[priceline.AuthFlow, *priceline.AuthFlow]
}

var _ priceline.AuthFlowStore = (*AuthFlows)(nil)

// NewAuthFlows returns an empty flow store.
func NewAuthFlows() *AuthFlows { return &AuthFlows{} }

// keptFlow is f's ID and the copy the store keeps of it, with its times as
// Table Storage keeps them.
func keptFlow(f *priceline.AuthFlow) (string, priceline.AuthFlow) {
	rec := *f
	rec.CreatedAt, rec.ExpiresAt = stored(f.CreatedAt), stored(f.ExpiresAt)
	return f.ID, rec
}

// PutFlow stores f; an existing ID is a conflict.
func (m *AuthFlows) PutFlow(_ context.Context, f *priceline.AuthFlow) error {
	return m.put("PutFlow", priceline.ValidAuthFlow(f), f, keptFlow, priceline.AuthFlowExists.Err)
}

// TakeFlow reads and deletes the flow under the lock, so it completes once.
func (m *AuthFlows) TakeFlow(_ context.Context, id string) (*priceline.AuthFlow, error) {
	return m.take("TakeFlow", id, m.Now, priceline.AuthFlowNotFound.Err, priceline.AuthFlowExpired.Err)
}

// DeleteExpiredFlows removes flows expired at now, like the real store's
// clean-up, and returns how many it removed.
func (m *AuthFlows) DeleteExpiredFlows(_ context.Context, now time.Time) (int, error) {
	return m.deleteExpired("DeleteExpiredFlows", now)
}

// Challenges is an in-memory priceline.ChallengeStore: a challenge is taken
// at most once, and an expired one is deleted and refused.
type Challenges struct {
	// Now is the clock TakeChallenge checks expiry against; nil means time.Now.
	Now func() time.Time

	once[priceline.Challenge, *priceline.Challenge]
}

var _ priceline.ChallengeStore = (*Challenges)(nil)

// NewChallenges returns an empty store.
func NewChallenges() *Challenges { return &Challenges{} }

// keptChallenge is c's ID and the copy the store keeps of it: its own copy
// of the ceremony's data, and its times as Table Storage keeps them.
func keptChallenge(c *priceline.Challenge) (string, priceline.Challenge) {
	rec := *c
	rec.Data = slices.Clone(c.Data)
	rec.CreatedAt, rec.ExpiresAt = stored(c.CreatedAt), stored(c.ExpiresAt)
	return c.ID, rec
}

// PutChallenge stores c; an existing ID is a conflict.
func (m *Challenges) PutChallenge(_ context.Context, c *priceline.Challenge) error {
	return m.put("PutChallenge", priceline.ValidChallenge(c), c, keptChallenge, priceline.ChallengeExists.Err)
}

// TakeChallenge reads and deletes the challenge under the lock.
func (m *Challenges) TakeChallenge(_ context.Context, id string) (*priceline.Challenge, error) {
	return m.take("TakeChallenge", id, m.Now, priceline.ChallengeNotFound.Err, priceline.ChallengeExpired.Err)
}

// DeleteExpiredChallenges removes challenges expired at now.
func (m *Challenges) DeleteExpiredChallenges(_ context.Context, now time.Time) (int, error) {
	return m.deleteExpired("DeleteExpiredChallenges", now)
}

// TokenCaches is an in-memory priceline.TokenCacheStore.
type TokenCaches struct {
	// Now is the clock expiries are checked against; nil means time.Now.
	Now func() time.Time
	// Sessions, when set, is what DeleteOrphanedTokenCaches checks entries
	// against; without it only an entry's own expiry ends it.
	Sessions priceline.SessionStore

	base
	entries table[tokenKey, tokenEntry]
}

var _ priceline.TokenCacheStore = (*TokenCaches)(nil)

// NewTokenCaches returns an empty token cache store.
func NewTokenCaches() *TokenCaches { return &TokenCaches{} }

// tokenKey is a token cache's key: the session it belongs to.
type tokenKey struct{ userID, sessionKey string }

// tokenEntry is a kept token cache and when it expires.
type tokenEntry struct {
	blob      []byte
	expiresAt time.Time
}

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

// Attempts is an in-memory priceline.AttemptStore.
type Attempts struct {
	base
	rows table[string, priceline.Attempts]
}

var _ priceline.AttemptStore = (*Attempts)(nil)

// NewAttempts returns an empty attempt store.
func NewAttempts() *Attempts { return &Attempts{} }

// Attempts returns the record for key, or a zero record.
func (m *Attempts) Attempts(_ context.Context, key string) (*priceline.Attempts, error) {
	return answer(&m.base, "Attempts", func() (*priceline.Attempts, error) {
		a := m.current(key)
		return &a, nil
	})
}

// current is the record for key, or a zero one: an absent key has had no
// failures. The caller holds the lock.
func (m *Attempts) current(key string) priceline.Attempts {
	if a, ok := m.rows[key]; ok {
		return a
	}
	return priceline.Attempts{Key: key}
}

// Reserve checks and counts under the store's lock, which makes the pair
// atomic as the Table store's conditional write does.
func (m *Attempts) Reserve(_ context.Context, key string, at time.Time, forgetAfter time.Duration, check priceline.AttemptCheck) (*priceline.Attempts, error) {
	return answer(&m.base, "Reserve", func() (*priceline.Attempts, error) {
		at = stored(at)
		cur := m.current(key)
		base := cur
		if forgetAfter > 0 && base.Failures > 0 && !at.Before(base.LastFailure.Add(forgetAfter)) {
			base.Failures, base.LastFailure = 0, time.Time{}
		}
		if check != nil {
			if err := check(base); err != nil {
				return nil, err
			}
		}
		a := priceline.Attempts{Key: key, Failures: base.Failures + 1, LastFailure: at}
		if at.Before(base.LastFailure) {
			a.LastFailure = base.LastFailure
		}
		a.Version = m.nextVersion()
		m.rows.put(key, a)
		a.Previous = cur.LastFailure
		return &a, nil
	})
}

// Release takes back one counted attempt.
func (m *Attempts) Release(_ context.Context, r *priceline.Attempts) error {
	return m.run("Release", func() error {
		cur, ok := m.rows[r.Key]
		if !ok || cur.Failures <= 0 {
			return nil
		}
		if cur.Failures == 1 {
			delete(m.rows, r.Key)
			return nil
		}
		untouched := cur.Version == r.Version
		cur.Failures--
		if untouched {
			cur.LastFailure = r.Previous
		}
		cur.Version = m.nextVersion()
		m.rows[r.Key] = cur
		return nil
	})
}

// ResetAttempts clears the record for key.
func (m *Attempts) ResetAttempts(_ context.Context, key string) error {
	return m.do("ResetAttempts", func() { delete(m.rows, key) })
}
