package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// cachedEnv is a test env whose service caches sessions for ttl (0 = off),
// and which counts the store reads the requests make.
type cachedEnv struct {
	*testEnv
	userMark int // user reads before the ones counted
}

func newCachedEnv(t *testing.T, ttl time.Duration) *cachedEnv {
	t.Helper()
	e := &cachedEnv{testEnv: newTestEnv(t)}
	e.svc.Config.SessionCacheTTL = ttl
	return e
}

// sessionReads is how many session point reads were made.
func (e *cachedEnv) sessionReads() int { return e.sessions.Calls("Session") }

// userReads is how many user reads by ID were made since the mark.
func (e *cachedEnv) userReads() int { return e.users.Calls("UserByID") - e.userMark }

// markUserReads starts counting user reads from now.
func (e *cachedEnv) markUserReads() { e.userMark = e.users.Calls("UserByID") }

// otherInstance returns a second Service over the same stores, keys and
// clock: another Functions instance with its own cache.
func (e *cachedEnv) otherInstance() *Service {
	return &Service{
		Users: e.svc.Users, Sessions: e.svc.Sessions, Attempts: e.svc.Attempts,
		Hasher: e.svc.Hasher, Policy: e.svc.Policy, Tokens: e.svc.Tokens,
		Config: e.svc.Config, Now: e.svc.Now, Logger: e.svc.Logger,
		hashOverride: e.hasher,
	}
}

func authOK(t *testing.T, svc *Service, cookie, when string) *priceline.Session {
	t.Helper()
	_, s, err := svc.Authenticate(context.Background(), cookie)
	if err != nil {
		t.Fatalf("%s: Authenticate: %v", when, err)
	}
	return s
}

func authRefused(t *testing.T, svc *Service, cookie, when string) {
	t.Helper()
	_, _, err := svc.Authenticate(context.Background(), cookie)
	if priceline.ErrorKind(err) != priceline.KindUnauthorized {
		t.Fatalf("%s: Authenticate error = %v, want unauthenticated", when, err)
	}
}

// TestSessionCacheOffReadsTheSessionOnEveryRequest is the default mode:
// one session point read per request (so revocation is immediate on every
// instance), while the user record, which only a password change alters, is
// read once per userCacheTTL.
func TestSessionCacheOffReadsTheSessionOnEveryRequest(t *testing.T) {
	e := newCachedEnv(t, 0)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	e.markUserReads() // count the requests' reads, not the login's
	for i := range 10 {
		authOK(t, e.svc, r.Cookie, fmt.Sprintf("request %d", i))
	}
	if got := e.sessionReads(); got != 10 {
		t.Errorf("session reads = %d for 10 requests with the cache off, want 10", got)
	}
	if got := e.userReads(); got != 1 {
		t.Errorf("user reads = %d for 10 requests within the user cache TTL, want 1", got)
	}
	e.clock.Advance(userCacheTTL)
	authOK(t, e.svc, r.Cookie, "after the user cache TTL")
	if got := e.userReads(); got != 2 {
		t.Errorf("user reads after the user cache TTL = %d, want 2", got)
	}
}

// TestPasswordChangeUsesTheStoredHashNotACachedUser: instance B cached the
// user, A changes the password; a change on B must check the current
// password against the stored hash, not B's cached copy.
func TestPasswordChangeUsesTheStoredHashNotACachedUser(t *testing.T) {
	e := newCachedEnv(t, 0)
	e.register(t, "ada@example.org")
	b := e.otherInstance()
	onB := e.login(t, "ada@example.org")
	staleUser, _ := authOK2(t, b, onB.Cookie)

	onA := e.login(t, "ada@example.org")
	if _, err := e.svc.ChangePassword(context.Background(), onA.User, onA.Session, goodPassword, otherPassword, Client{IP: "203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	fresh, err := b.Login(context.Background(), "ada@example.org", otherPassword, Client{IP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.ChangePassword(context.Background(), staleUser, fresh.Session, goodPassword, "a brand new passphrase 2026", Client{IP: "203.0.113.7"})
	wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	if _, err := b.ChangePassword(context.Background(), staleUser, fresh.Session, otherPassword, "a brand new passphrase 2026", Client{IP: "203.0.113.7"}); err != nil {
		t.Fatalf("change with the current (new) password and a stale cached user: %v", err)
	}
}

func TestSessionCacheReadsAtMostOncePerTTL(t *testing.T) {
	e := newCachedEnv(t, time.Second)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	e.markUserReads()

	// A burst from many goroutines within one TTL: the first read fills the
	// cache; racing misses may read too, but only those that started before
	// it was filled.
	authOK(t, e.svc, r.Cookie, "first request")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := e.svc.Authenticate(context.Background(), r.Cookie); err != nil {
				t.Errorf("cached request: %v", err)
			}
		}()
	}
	wg.Wait()
	e.clock.Advance(999 * time.Millisecond)
	authOK(t, e.svc, r.Cookie, "just inside the TTL")
	if got := e.sessionReads(); got != 1 {
		t.Errorf("session reads within one 1s TTL = %d, want 1", got)
	}
	if got := e.userReads(); got != 1 {
		t.Errorf("user reads within one 1s TTL = %d, want 1", got)
	}
	e.clock.Advance(time.Millisecond)
	authOK(t, e.svc, r.Cookie, "at the TTL")
	if got := e.sessionReads(); got != 2 {
		t.Errorf("session reads after the TTL passed = %d, want 2", got)
	}
	// Ten seconds of steady use: one read per second.
	for range 100 {
		e.clock.Advance(100 * time.Millisecond)
		authOK(t, e.svc, r.Cookie, "steady use")
	}
	if got := e.sessionReads(); got < 11 || got > 12 {
		t.Errorf("session reads over 10 more seconds = %d in all, want 12 (one per second)", got)
	}
}

// TestASVS_V7_4_1_SessionCacheRevocationOnThisInstanceIsImmediate ends a
// cached session in each way a user can, on the instance that cached it:
// the very next request is refused.
func TestASVS_V7_4_1_SessionCacheRevocationOnThisInstanceIsImmediate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		end  func(e *cachedEnv, r, other *Result) error
	}{
		{"logout", func(e *cachedEnv, r, _ *Result) error { return e.svc.Logout(ctx, r.Session) }},
		{"revoke one", func(e *cachedEnv, r, _ *Result) error { return e.svc.RevokeSession(ctx, r.User.ID, r.Session.Key) }},
		{"revoke others", func(e *cachedEnv, r, other *Result) error {
			_, err := e.svc.RevokeOtherSessions(ctx, r.User.ID, other.Session.Key)
			return err
		}},
		{"password change", func(e *cachedEnv, r, other *Result) error {
			_, err := e.svc.ChangePassword(ctx, other.User, other.Session, goodPassword, otherPassword, Client{IP: "203.0.113.7"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCachedEnv(t, time.Hour)
			e.register(t, "ada@example.org")
			r := e.login(t, "ada@example.org")
			other := e.login(t, "ada@example.org")
			authOK(t, e.svc, r.Cookie, "before")
			authOK(t, e.svc, other.Cookie, "before")
			if err := tc.end(e, r, other); err != nil {
				t.Fatal(err)
			}
			authRefused(t, e.svc, r.Cookie, "right after "+tc.name)
		})
	}
}

// TestSessionCacheRevocationOnAnotherInstanceSeenWithinTTL is the
// documented lag: instance B cached the session, A logs it out; B honours it
// for at most the TTL after B read it, then refuses it.
func TestSessionCacheRevocationOnAnotherInstanceSeenWithinTTL(t *testing.T) {
	e := newCachedEnv(t, time.Second)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	b := e.otherInstance()
	authOK(t, b, r.Cookie, "B reads and caches")
	e.clock.Advance(300 * time.Millisecond)
	if err := e.svc.Logout(context.Background(), r.Session); err != nil {
		t.Fatal(err)
	}
	authRefused(t, e.svc, r.Cookie, "A, right after its logout")
	authOK(t, b, r.Cookie, "B inside its TTL (the documented lag)")
	e.clock.Advance(700 * time.Millisecond)
	authRefused(t, b, r.Cookie, "B once its TTL has passed")

	// With the cache off on B the lag is zero.
	e2 := newCachedEnv(t, 0)
	e2.register(t, "bob@example.org")
	r2 := e2.login(t, "bob@example.org")
	b2 := e2.otherInstance()
	authOK(t, b2, r2.Cookie, "B without cache")
	if err := e2.svc.Logout(context.Background(), r2.Session); err != nil {
		t.Fatal(err)
	}
	authRefused(t, b2, r2.Cookie, "B without cache, right after A's logout")
}

// TestASVS_V7_3_1_SessionCacheKeepsIdleTimeout caches for longer than the
// idle timeout: the cached record's idle deadline still refuses the session
// on time.
func TestASVS_V7_3_1_SessionCacheKeepsIdleTimeout(t *testing.T) {
	e := newCachedEnv(t, 2*time.Hour)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	authOK(t, e.svc, r.Cookie, "at sign-in")
	e.clock.Advance(29 * time.Minute)
	authOK(t, e.svc, r.Cookie, "after 29 idle minutes")
	e.clock.Advance(30 * time.Minute)
	authRefused(t, e.svc, r.Cookie, "after 30 idle minutes, cached")
	if e.sessionCount(t, r.User.ID) != 0 {
		t.Errorf("idle-expired session record not deleted")
	}
}

// TestASVS_V7_3_2_SessionCacheKeepsAbsoluteLifetime uses a cached session
// every ten minutes for twelve hours: the sliding refresh keeps it alive,
// the absolute lifetime ends it on time.
func TestASVS_V7_3_2_SessionCacheKeepsAbsoluteLifetime(t *testing.T) {
	e := newCachedEnv(t, 24*time.Hour)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	for elapsed := 10 * time.Minute; elapsed < 12*time.Hour; elapsed += 10 * time.Minute {
		e.clock.Advance(10 * time.Minute)
		s := authOK(t, e.svc, r.Cookie, elapsed.String())
		if !s.ExpiresAt.Equal(r.Session.ExpiresAt) {
			t.Fatalf("after %v the lifetime changed to %v", elapsed, s.ExpiresAt)
		}
	}
	e.clock.Advance(10 * time.Minute)
	authRefused(t, e.svc, r.Cookie, "after 12 hours")
	if got := e.sessionReads(); got > 2 {
		t.Errorf("session reads = %d over a day with a 24h TTL, want the one read (touches write, they do not read)", got)
	}
}

// TestSessionCacheHitStillSlidesIdleDeadline checks that cache hits write
// the sliding refresh, so a session used only through the cache does not
// idle out in the store (and on other instances).
func TestSessionCacheHitStillSlidesIdleDeadline(t *testing.T) {
	e := newCachedEnv(t, time.Hour)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	authOK(t, e.svc, r.Cookie, "first")
	touches := e.sessions.Succeeded("TouchSession")
	e.clock.Advance(2 * time.Minute)
	s := authOK(t, e.svc, r.Cookie, "cached, 2 minutes later")
	if e.sessions.Succeeded("TouchSession") != touches+1 {
		t.Fatalf("touches = %d, want %d: a cache hit must still slide the idle deadline", e.sessions.Succeeded("TouchSession"), touches+1)
	}
	stored, err := e.sessions.Session(context.Background(), r.User.ID, r.Session.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.IdleExpiresAt.Equal(s.IdleExpiresAt) || !stored.IdleExpiresAt.Equal(e.clock.Now().Add(30*time.Minute)) {
		t.Errorf("stored idle deadline %v, returned %v; want both now+30m", stored.IdleExpiresAt, s.IdleExpiresAt)
	}
	// The next hit sees the updated record and does not touch again.
	authOK(t, e.svc, r.Cookie, "cached, right after")
	if e.sessions.Succeeded("TouchSession") != touches+1 {
		t.Errorf("a second touch within the touch interval")
	}
	// A revocation on another instance is found by the next touch.
	b := e.otherInstance()
	if err := b.Logout(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	authRefused(t, e.svc, r.Cookie, "cached on A, logged out on B, touch due")
}

func TestSessionCacheReturnsCopies(t *testing.T) {
	e := newCachedEnv(t, time.Hour)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	u, s := authOK2(t, e.svc, r.Cookie)
	u.Name, s.CSRFToken = "Mallory", "forged"
	u2, s2 := authOK2(t, e.svc, r.Cookie)
	if u2.Name == "Mallory" || s2.CSRFToken == "forged" {
		t.Errorf("changing a returned user or session changed the cache")
	}
}

func authOK2(t *testing.T, svc *Service, cookie string) (*priceline.User, *priceline.Session) {
	t.Helper()
	u, s, err := svc.Authenticate(context.Background(), cookie)
	if err != nil {
		t.Fatal(err)
	}
	return u, s
}

// TestSessionCacheReadRacingRevocationIsNotCached: a store read that began
// before this instance ended the session must not put it back.
func TestSessionCacheReadRacingRevocationIsNotCached(t *testing.T) {
	c := newSessionCache(time.Hour)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	u := &priceline.User{ID: "u1"}
	s := &priceline.Session{Key: "k1", UserID: "u1"}
	epoch := c.begin()
	c.forget("u1", "k1")
	c.put(u, s, now, epoch)
	if _, _, ok := c.get("u1", "k1", now); ok {
		t.Fatal("a read that raced a logout was cached")
	}
	epoch = c.begin()
	c.forgetUser("u1", "")
	c.put(u, s, now, epoch)
	if _, _, ok := c.get("u1", "k1", now); ok {
		t.Fatal("a read that raced a password change was cached")
	}
	c.put(u, s, now, c.begin())
	if _, _, ok := c.get("u2", "k1", now); ok {
		t.Error("an entry was returned for another user ID")
	}
	if _, _, ok := c.get("u1", "k1", now); !ok {
		t.Error("a read with no revocation in between was not cached")
	}
}

func TestSessionCacheIsBounded(t *testing.T) {
	c := newSessionCache(time.Second)
	c.max = 3
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		c.put(&priceline.User{ID: "u"}, &priceline.Session{Key: fmt.Sprint(i), UserID: "u"}, now, c.begin())
	}
	if c.len() != 3 {
		t.Fatalf("cache holds %d entries, want its bound 3", c.len())
	}
	later := now.Add(2 * time.Second)
	c.put(&priceline.User{ID: "u"}, &priceline.Session{Key: "new", UserID: "u"}, later, c.begin())
	if _, _, ok := c.get("u", "new", later); !ok || c.len() != 1 {
		t.Errorf("expired entries were not swept to make room (len %d)", c.len())
	}
}
