package auth

import (
	"context"
	"strconv"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// testClock is a clock the tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func notFound(what string) error {
	return priceline.Errorf(priceline.KindNotFound, what+"_not_found", "not found")
}

func unavailable() error {
	return &priceline.Error{Kind: priceline.KindUnavailable, Code: "storage_unavailable", Message: "down", RetryAfter: time.Second}
}

// memUsers is an in-memory priceline.UserStore.
type memUsers struct {
	mu        sync.Mutex
	byID      map[string]priceline.User
	byEmail   map[string]string
	bySubject map[string]string
	hints     map[string]string // email → copy of the password hash (PasswordHint)
	writes    int
	failWrite error // returned by UpdatePasswordHash when set
	failRead  error // returned by every read when set
}

var _ priceline.UserStore = (*memUsers)(nil)

func newMemUsers() *memUsers {
	return &memUsers{byID: map[string]priceline.User{}, byEmail: map[string]string{}, bySubject: map[string]string{}, hints: map[string]string{}}
}

func (m *memUsers) CreateUser(_ context.Context, u *priceline.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[u.ID]; ok {
		return priceline.Errorf(priceline.KindConflict, "user_exists", "exists")
	}
	if u.Provider == priceline.ProviderLocal {
		if _, ok := m.byEmail[u.Email]; ok {
			return priceline.Errorf(priceline.KindConflict, "email_taken", "An account with that email already exists.")
		}
		m.byEmail[u.Email] = u.ID
		m.hints[u.Email] = u.PasswordHash
	} else {
		sk := u.Provider + "|" + u.Subject
		if _, ok := m.bySubject[sk]; ok {
			return priceline.Errorf(priceline.KindConflict, "subject_taken", "taken")
		}
		m.bySubject[sk] = u.ID
	}
	m.byID[u.ID] = *u
	m.writes++
	return nil
}

func (m *memUsers) get(id string) (*priceline.User, error) {
	if m.failRead != nil {
		return nil, m.failRead
	}
	u, ok := m.byID[id]
	if !ok {
		return nil, notFound("user")
	}
	return &u, nil
}

func (m *memUsers) UserByID(_ context.Context, id string) (*priceline.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.get(id)
}

func (m *memUsers) UserByEmail(_ context.Context, email string) (*priceline.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRead != nil {
		return nil, m.failRead
	}
	return m.get(m.byEmail[email])
}

func (m *memUsers) PasswordHint(_ context.Context, email string) (string, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRead != nil {
		return "", "", m.failRead
	}
	id, ok := m.byEmail[email]
	if !ok {
		return "", "", notFound("user")
	}
	return id, m.hints[email], nil
}

func (m *memUsers) RepairPasswordHint(_ context.Context, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrite != nil {
		return m.failWrite
	}
	u, ok := m.byID[userID]
	if !ok {
		return notFound("user")
	}
	if u.Provider == priceline.ProviderLocal && m.byEmail[u.Email] == userID {
		m.hints[u.Email] = u.PasswordHash
	}
	return nil
}

// hint returns the copy of the hash kept for email.
func (m *memUsers) hint(email string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hints[email]
}

// setHint overwrites the copy of a user's hash, as a lost or raced index
// write would leave it.
func (m *memUsers) setHint(email, hash string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hints[email] = hash
}

func (m *memUsers) UserBySubject(_ context.Context, provider, subject string) (*priceline.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRead != nil {
		return nil, m.failRead
	}
	return m.get(m.bySubject[provider+"|"+subject])
}

func (m *memUsers) UpdatePasswordHash(_ context.Context, userID, oldHash, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrite != nil {
		return m.failWrite
	}
	u, ok := m.byID[userID]
	if !ok {
		return notFound("user")
	}
	if u.PasswordHash != oldHash {
		return priceline.Errorf(priceline.KindConflict, "password_changed", "changed meanwhile")
	}
	u.PasswordHash = hash
	m.byID[userID] = u
	if u.Provider == priceline.ProviderLocal {
		m.hints[u.Email] = hash
	}
	m.writes++
	return nil
}

func (m *memUsers) UpdateProfile(_ context.Context, userID, name, email string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrite != nil {
		return m.failWrite
	}
	u, ok := m.byID[userID]
	if !ok {
		return notFound("user")
	}
	if u.Provider == priceline.ProviderLocal && email != u.Email {
		return priceline.Errorf(priceline.KindInvalid, "email_change_not_supported", "The sign-in email cannot be changed this way.")
	}
	u.Name, u.Email = name, email
	m.byID[userID] = u
	m.writes++
	return nil
}

// The account-lifecycle methods below are not what these older fakes are
// for; the new flows are tested against package memstore.

func (m *memUsers) MarkEmailVerified(_ context.Context, userID, email string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[userID]
	if !ok {
		return notFound("user")
	}
	if u.Email != email {
		return priceline.Errorf(priceline.KindConflict, "email_changed", "changed")
	}
	u.EmailVerified = true
	m.byID[userID] = u
	return nil
}

func (m *memUsers) ChangeEmail(_ context.Context, userID, oldEmail, newEmail string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[userID]
	if !ok {
		return notFound("user")
	}
	if u.Email != oldEmail {
		return priceline.Errorf(priceline.KindConflict, "email_changed", "changed")
	}
	if id, ok := m.byEmail[newEmail]; ok && id != userID {
		return priceline.Errorf(priceline.KindConflict, "email_taken", "taken")
	}
	delete(m.byEmail, oldEmail)
	m.byEmail[newEmail], m.hints[newEmail] = userID, u.PasswordHash
	u.Email, u.EmailVerified = newEmail, true
	m.byID[userID] = u
	return nil
}

func (m *memUsers) DeleteUser(_ context.Context, id string) error {
	m.deleteUser(id)
	return nil
}

func (m *memUsers) deleteUser(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.byID[id]
	delete(m.byEmail, u.Email)
	delete(m.byID, id)
}

// memSessions is an in-memory priceline.SessionStore with ETag-like
// versions: TouchSession fails with KindConflict on a stale version.
type memSessions struct {
	mu       sync.Mutex
	rows     map[string]map[string]priceline.Session // userID → key → record
	version  int
	touches  int // successful TouchSession calls
	creates  int
	fail     error                      // returned by every call when set
	preTouch func(s *priceline.Session) // runs (unlocked) before each TouchSession
}

var _ priceline.SessionStore = (*memSessions)(nil)

func newMemSessions() *memSessions {
	return &memSessions{rows: map[string]map[string]priceline.Session{}}
}

func (m *memSessions) nextVersion() string {
	m.version++
	return "v" + strconv.Itoa(m.version)
}

func (m *memSessions) CreateSession(_ context.Context, s *priceline.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	p := m.rows[s.UserID]
	if p == nil {
		p = map[string]priceline.Session{}
		m.rows[s.UserID] = p
	}
	if _, ok := p[s.Key]; ok {
		return priceline.Errorf(priceline.KindConflict, "session_exists", "exists")
	}
	s.Version = m.nextVersion()
	p[s.Key] = *s
	m.creates++
	return nil
}

func (m *memSessions) Session(_ context.Context, userID, key string) (*priceline.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	s, ok := m.rows[userID][key]
	if !ok {
		return nil, notFound("session")
	}
	return &s, nil
}

func (m *memSessions) TouchSession(_ context.Context, s *priceline.Session) error {
	if m.preTouch != nil {
		m.preTouch(s)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	cur, ok := m.rows[s.UserID][s.Key]
	if !ok {
		return notFound("session")
	}
	if cur.Version != s.Version {
		return priceline.Errorf(priceline.KindConflict, "session_changed", "changed")
	}
	cur.LastSeenAt = s.LastSeenAt
	cur.IdleExpiresAt = s.IdleExpiresAt
	cur.Version = m.nextVersion()
	s.Version = cur.Version
	m.rows[s.UserID][s.Key] = cur
	m.touches++
	return nil
}

func (m *memSessions) DeleteSession(_ context.Context, userID, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	delete(m.rows[userID], key)
	return nil
}

func (m *memSessions) UserSessions(_ context.Context, userID string) ([]*priceline.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []*priceline.Session
	for _, s := range m.rows[userID] {
		out = append(out, &s)
	}
	return out, nil
}

func (m *memSessions) DeleteExpiredSessions(_ context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	n := 0
	for _, p := range m.rows {
		for k, s := range p {
			if !now.Before(s.ExpiresAt) || !now.Before(s.IdleExpiresAt) {
				delete(p, k)
				n++
			}
		}
	}
	return n, nil
}

func (m *memSessions) count(userID string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows[userID])
}

func (m *memSessions) touchCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.touches
}

// memAttempts is an in-memory priceline.AttemptStore.
type memAttempts struct {
	mu      sync.Mutex
	rows    map[string]priceline.Attempts
	version int
	writes  int
}

var _ priceline.AttemptStore = (*memAttempts)(nil)

func newMemAttempts() *memAttempts { return &memAttempts{rows: map[string]priceline.Attempts{}} }

func (m *memAttempts) Attempts(_ context.Context, key string) (*priceline.Attempts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.rows[key]
	if !ok {
		return &priceline.Attempts{Key: key}, nil
	}
	return &a, nil
}

func (m *memAttempts) RecordFailure(_ context.Context, key string, at time.Time) (*priceline.Attempts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.rows[key]
	a.Key = key
	a.Failures++
	a.LastFailure = at
	m.version++
	a.Version = strconv.Itoa(m.version)
	m.rows[key] = a
	m.writes++
	return &a, nil
}

func (m *memAttempts) ResetAttempts(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rows[key]; ok {
		m.writes++
	}
	delete(m.rows, key)
	return nil
}

func (m *memAttempts) failures(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rows[key].Failures
}

func (m *memAttempts) writeCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// memFlows is an in-memory priceline.AuthFlowStore. TakeFlow hands out a
// flow whatever its age, so the tests see the flow's own expiry check.
type memFlows struct {
	mu   sync.Mutex
	rows map[string]priceline.AuthFlow
	fail error // returned by every call when set
}

var _ priceline.AuthFlowStore = (*memFlows)(nil)

func newMemFlows() *memFlows { return &memFlows{rows: map[string]priceline.AuthFlow{}} }

func (m *memFlows) PutFlow(_ context.Context, f *priceline.AuthFlow) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if _, ok := m.rows[f.ID]; ok {
		return priceline.Errorf(priceline.KindConflict, "auth_flow_exists", "exists")
	}
	m.rows[f.ID] = *f
	return nil
}

func (m *memFlows) TakeFlow(_ context.Context, id string) (*priceline.AuthFlow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	f, ok := m.rows[id]
	if !ok {
		return nil, notFound("auth_flow")
	}
	delete(m.rows, id)
	return &f, nil
}

func (m *memFlows) DeleteExpiredFlows(_ context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	n := 0
	for id, f := range m.rows {
		if f.Expired(now) {
			delete(m.rows, id)
			n++
		}
	}
	return n, nil
}

func (m *memFlows) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows)
}

// memTokenCaches is an in-memory priceline.TokenCacheStore; its sweep asks
// the session store which sessions are still live, as the real one does.
type memTokenCaches struct {
	mu       sync.Mutex
	rows     map[string]memTokenCache // userID + "|" + sessionKey → entry
	sessions priceline.SessionStore
	failPut  error // returned by PutTokenCache when set
	failDel  error // returned by DeleteTokenCache when set
}

type memTokenCache struct {
	userID, key string
	blob        []byte
	expiresAt   time.Time
}

var _ priceline.TokenCacheStore = (*memTokenCaches)(nil)

func newMemTokenCaches(sessions priceline.SessionStore) *memTokenCaches {
	return &memTokenCaches{rows: map[string]memTokenCache{}, sessions: sessions}
}

func (m *memTokenCaches) PutTokenCache(_ context.Context, userID, sessionKey string, blob []byte, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		return m.failPut
	}
	if len(blob) > priceline.MaxTokenCacheSize {
		return priceline.Errorf(priceline.KindInvalid, "token_cache_too_large", "The token cache is too large.")
	}
	m.rows[userID+"|"+sessionKey] = memTokenCache{userID: userID, key: sessionKey, blob: append([]byte(nil), blob...), expiresAt: expiresAt}
	return nil
}

func (m *memTokenCaches) TokenCache(_ context.Context, userID, sessionKey string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.rows[userID+"|"+sessionKey]
	if !ok {
		return nil, notFound("token_cache")
	}
	return append([]byte(nil), e.blob...), nil
}

func (m *memTokenCaches) DeleteTokenCache(_ context.Context, userID, sessionKey string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failDel != nil {
		return m.failDel
	}
	delete(m.rows, userID+"|"+sessionKey)
	return nil
}

func (m *memTokenCaches) DeleteOrphanedTokenCaches(ctx context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	entries := make([]memTokenCache, 0, len(m.rows))
	for _, e := range m.rows {
		entries = append(entries, e)
	}
	m.mu.Unlock()
	n := 0
	for _, e := range entries {
		if now.Before(e.expiresAt) {
			sess, err := m.sessions.Session(ctx, e.userID, e.key)
			switch {
			case err == nil && sess.Live(now):
				continue
			case err != nil && !priceline.IsNotFound(err):
				return n, err
			}
		}
		if err := m.DeleteTokenCache(ctx, e.userID, e.key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
