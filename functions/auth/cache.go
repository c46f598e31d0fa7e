package auth

import (
	"context"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// maxCachedSessions bounds the session cache's memory: a cached entry is a
// few hundred bytes, so this is tens of MiB at most. When it is full, expired
// entries are swept and, if none were, new sessions are simply not cached.
const maxCachedSessions = 100_000

// sessionCache is the opt-in per-instance cache of validated sessions
// (Config.SessionCacheTTL). An entry is a session record and its user as
// they were read from the store, and it is used for at most the TTL after
// that read. Hits still go through every check Authenticate makes on a
// fresh record (cookie signature, user match, idle and absolute deadlines,
// the sliding refresh), so the only thing the cache relaxes is how soon a
// revocation made on another instance is seen: at most the TTL. Revocations
// made through this instance's Service drop the entries at once.
type sessionCache struct {
	ttl time.Duration
	max int // entries; maxCachedSessions

	mu      sync.Mutex
	entries map[string]*cacheEntry         // by session key
	byUser  map[string]map[string]struct{} // user ID → session keys
	// epoch counts invalidations. A store read that began before an
	// invalidation must not put what it read back into the cache, or a
	// session ended on this instance could be honoured here for a TTL.
	epoch uint64
}

type cacheEntry struct {
	user  priceline.User
	sess  priceline.Session
	until time.Time // when this entry stops being used
}

func newSessionCache(ttl time.Duration) *sessionCache {
	return &sessionCache{ttl: ttl, max: maxCachedSessions, entries: map[string]*cacheEntry{}, byUser: map[string]map[string]struct{}{}}
}

// begin returns the epoch to pass to put for a store read starting now.
func (c *sessionCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// get returns copies of the cached user and session for (userID, key), if
// an entry is still within its TTL at now.
func (c *sessionCache) get(userID, key string, now time.Time) (*priceline.User, *priceline.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, nil, false
	}
	if !now.Before(e.until) {
		c.removeLocked(e.sess.UserID, key)
		return nil, nil, false
	}
	if e.sess.UserID != userID {
		return nil, nil, false
	}
	u, s := e.user, e.sess
	return &u, &s, true
}

// put caches a record read (or conditionally written) at readAt, unless an
// invalidation happened since epoch.
func (c *sessionCache) put(u *priceline.User, sess *priceline.Session, readAt time.Time, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if _, ok := c.entries[sess.Key]; !ok && len(c.entries) >= c.max {
		c.sweepLocked(readAt)
		if len(c.entries) >= c.max {
			return
		}
	}
	c.entries[sess.Key] = &cacheEntry{user: *u, sess: *sess, until: readAt.Add(c.ttl)}
	keys := c.byUser[sess.UserID]
	if keys == nil {
		keys = map[string]struct{}{}
		c.byUser[sess.UserID] = keys
	}
	keys[sess.Key] = struct{}{}
}

// update replaces a cached session after this instance wrote it (the
// sliding refresh), keeping the entry's expiry: the write proves only that
// the record was unchanged, and keeping the original deadline keeps the
// revocation lag bounded by the TTL however often a session is used.
func (c *sessionCache) update(sess *priceline.Session, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if e, ok := c.entries[sess.Key]; ok && e.sess.UserID == sess.UserID {
		e.sess = *sess
	}
}

// forget drops one session.
func (c *sessionCache) forget(userID, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.removeLocked(userID, key)
}

// forgetUser drops every session of a user except keep ("" keeps none),
// for a password change or "sign out everywhere else", including sessions
// the store's listing did not return.
func (c *sessionCache) forgetUser(userID, keep string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for key := range c.byUser[userID] {
		if key != keep {
			c.removeLocked(userID, key)
		}
	}
}

func (c *sessionCache) removeLocked(userID, key string) {
	delete(c.entries, key)
	if keys := c.byUser[userID]; keys != nil {
		delete(keys, key)
		if len(keys) == 0 {
			delete(c.byUser, userID)
		}
	}
}

func (c *sessionCache) sweepLocked(now time.Time) {
	for key, e := range c.entries {
		if !now.Before(e.until) {
			c.removeLocked(e.sess.UserID, key)
		}
	}
}

// len returns how many entries are cached (for tests).
func (c *sessionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// sessionCache returns the Service's cache, or nil when it is off.
func (s *Service) sessionCache() *sessionCache {
	s.cacheOnce.Do(func() {
		if ttl := s.Config.SessionCacheTTL; ttl > 0 {
			s.cache = newSessionCache(ttl)
		}
	})
	return s.cache
}

// forgetSession drops a session this instance ended from its cache.
func (s *Service) forgetSession(userID, key string) {
	if c := s.sessionCache(); c != nil {
		c.forget(userID, key)
	}
}

// forgetUserSessions drops every cached session of a user except keep.
func (s *Service) forgetUserSessions(userID, keep string) {
	if c := s.sessionCache(); c != nil {
		c.forgetUser(userID, keep)
	}
}

// userCacheTTL is how long an instance reuses a user record it read to
// authenticate a request. Authenticate still reads the session record on
// every request (unless the opt-in session cache is on), so sign-out,
// revocation and password change take effect at once everywhere; what the
// user cache saves is the second point read per request, which would
// otherwise halve the session-checked request rate the store allows. User
// records change only through a password hash update, which this instance
// applies to its own cache at once and which every flow that needs the hash
// reads fresh; the display fields (name, email) may lag a change made
// elsewhere by up to this long, and no flow changes them today.
const userCacheTTL = time.Minute

// userCache holds user records by ID for userCacheTTL, bounded like the
// session cache.
type userCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]userEntry
	epoch   uint64 // counts invalidations, as in sessionCache
}

type userEntry struct {
	user  priceline.User
	until time.Time
}

func newUserCache() *userCache {
	return &userCache{max: maxCachedSessions, entries: map[string]userEntry{}}
}

func (c *userCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *userCache) get(id string, now time.Time) (*priceline.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		delete(c.entries, id)
		return nil, false
	}
	u := e.user
	return &u, true
}

func (c *userCache) put(u *priceline.User, readAt time.Time, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if _, ok := c.entries[u.ID]; !ok && len(c.entries) >= c.max {
		for id, e := range c.entries {
			if !readAt.Before(e.until) {
				delete(c.entries, id)
			}
		}
		if len(c.entries) >= c.max {
			return
		}
	}
	c.entries[u.ID] = userEntry{user: *u, until: readAt.Add(userCacheTTL)}
}

func (c *userCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.entries, id)
}

// userByID returns the user a session belongs to, from this instance's user
// cache when it read the record less than userCacheTTL ago.
func (s *Service) userByID(ctx context.Context, id string) (*priceline.User, error) {
	s.usersOnce.Do(func() { s.users = newUserCache() })
	if u, ok := s.users.get(id, s.now()); ok {
		return u, nil
	}
	epoch, readAt := s.users.begin(), s.now()
	u, err := s.Users.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.users.put(u, readAt, epoch)
	return u, nil
}

// forgetUser drops a user record this instance has just changed.
func (s *Service) forgetUser(id string) {
	s.usersOnce.Do(func() { s.users = newUserCache() })
	s.users.forget(id)
}
