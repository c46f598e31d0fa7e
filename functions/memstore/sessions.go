package memstore

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Sessions is an in-memory priceline.SessionStore with ETag-like versions:
// TouchSession fails with KindConflict on a stale version.
type Sessions struct {
	// BeforeTouch, when set, runs before TouchSession takes the lock, so a
	// test can change the record under a touch in progress.
	BeforeTouch func(s *priceline.Session)

	base
	rows table[string, table[string, priceline.Session]] // userID → key → record
}

var _ priceline.SessionStore = (*Sessions)(nil)

// NewSessions returns an empty session store.
func NewSessions() *Sessions { return &Sessions{} }

// CreateSession stores s (its user agent truncated) and sets s.Version.
func (m *Sessions) CreateSession(_ context.Context, s *priceline.Session) error {
	return m.write("CreateSession", priceline.ValidSession(s), func() error {
		p := m.rows[s.UserID]
		if _, ok := p[s.Key]; ok {
			return priceline.SessionExists.Err()
		}
		s.UserAgent = priceline.TruncateUserAgent(s.UserAgent)
		s.Version = m.nextVersion()
		rec := *s
		rec.CreatedAt, rec.LastSeenAt = stored(s.CreatedAt), stored(s.LastSeenAt)
		rec.IdleExpiresAt, rec.ExpiresAt = stored(s.IdleExpiresAt), stored(s.ExpiresAt)
		p.put(s.Key, rec)
		m.rows.put(s.UserID, p)
		return nil
	})
}

// Session is a point read.
func (m *Sessions) Session(_ context.Context, userID, key string) (*priceline.Session, error) {
	return answer(&m.base, "Session", func() (*priceline.Session, error) {
		return m.rows[userID].find(key, priceline.SessionNotFound.Err, ref)
	})
}

// TouchSession writes the activity times if s.Version is still current.
func (m *Sessions) TouchSession(_ context.Context, s *priceline.Session) (err error) {
	defer m.count("TouchSession", &err)
	if err := m.hook("TouchSession"); err != nil {
		return err
	}
	if m.BeforeTouch != nil {
		m.BeforeTouch(s)
	}
	if s == nil || !validUserID(s.UserID) || !validSessionKey(s.Key) {
		return priceline.SessionNotFound.Err()
	}
	if s.Version == "" {
		return priceline.SessionChanged.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, err := m.rows[s.UserID].get(s.Key, priceline.SessionNotFound.Err)
	return m.ifMatch(err, &cur.Version, &s.Version, priceline.SessionChanged.Err, func() {
		cur.LastSeenAt, cur.IdleExpiresAt = stored(s.LastSeenAt), stored(s.IdleExpiresAt)
		m.rows[s.UserID][s.Key] = cur
	})
}

// DeleteSession removes a record; a missing one is fine.
func (m *Sessions) DeleteSession(_ context.Context, userID, key string) error {
	return m.do("DeleteSession", func() { delete(m.rows[userID], key) })
}

// UserSessions lists a user's records, expired ones included.
func (m *Sessions) UserSessions(_ context.Context, userID string) ([]*priceline.Session, error) {
	return answer(&m.base, "UserSessions", func() ([]*priceline.Session, error) {
		var out []*priceline.Session
		for _, s := range m.rows[userID] {
			out = append(out, &s)
		}
		return out, nil
	})
}

// DeleteExpiredSessions removes records expired at now.
func (m *Sessions) DeleteExpiredSessions(_ context.Context, now time.Time) (int, error) {
	return answer(&m.base, "DeleteExpiredSessions", func() (int, error) {
		n := 0
		for _, p := range m.rows {
			n += p.deleteWhere(func(_ string, s *priceline.Session) bool { return !s.Live(now) })
		}
		return n, nil
	})
}
