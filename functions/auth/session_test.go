package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

func TestASVS_V7_2_4_NewSessionTokenOnLogin(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	seen := map[string]bool{}
	for range 5 {
		r := e.login(t, "ada@example.org")
		claims, err := e.svc.Tokens.Verify(r.Cookie)
		if err != nil {
			t.Fatal(err)
		}
		if seen[claims.SessionID] || seen[r.Session.Key] || seen[r.Cookie] {
			t.Fatal("a login reused a session ID, key or cookie")
		}
		seen[claims.SessionID], seen[r.Session.Key], seen[r.Cookie] = true, true, true
		if r.Session.Key != priceline.SessionKey(claims.SessionID) {
			t.Errorf("record key is not SessionKey(cookie sid)")
		}
	}
}

func TestASVS_V7_2_3_SessionIDHas256RandomBits(t *testing.T) {
	e := newTestEnv(t)
	u := e.register(t, "ada@example.org")
	r, err := e.svc.StartSession(context.Background(), u, priceline.MethodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := e.svc.Tokens.Verify(r.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(claims.SessionID); err != nil || len(b) != 32 {
		t.Errorf("session ID %d bytes (%v), want 32 random bytes", len(b), err)
	}
	if strings.Contains(r.Session.Key, claims.SessionID) {
		t.Errorf("the stored record contains the secret session ID")
	}
	if b, err := hex.DecodeString(r.Session.CSRFToken); err != nil || len(b) != 32 {
		t.Errorf("CSRF token %q, want 32 random bytes hex", r.Session.CSRFToken)
	}
}

func TestStartSessionRecord(t *testing.T) {
	e := newTestEnv(t)
	u := e.register(t, "ada@example.org")
	now := e.clock.Now()
	r, err := e.svc.StartSession(context.Background(), u, priceline.MethodB2C, Client{IP: "192.0.2.1", UserAgent: strings.Repeat("é", 400)})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Session
	if !s.CreatedAt.Equal(now) || !s.LastSeenAt.Equal(now) || !s.ExpiresAt.Equal(now.Add(12*time.Hour)) || !s.IdleExpiresAt.Equal(now.Add(30*time.Minute)) {
		t.Errorf("session times = %+v", s)
	}
	if s.Method != priceline.MethodB2C || s.Version == "" {
		t.Errorf("method %q version %q", s.Method, s.Version)
	}
	if n := utf8.RuneCountInString(s.UserAgent); n != priceline.MaxUserAgent || !strings.HasPrefix(s.UserAgent, "éé") || strings.ContainsRune(s.UserAgent, '\uFFFD') {
		t.Errorf("user agent not cut cleanly to %d characters: %d characters", priceline.MaxUserAgent, n)
	}
	if _, err := e.svc.StartSession(context.Background(), u, "magic", client); err == nil {
		t.Errorf("unknown method accepted")
	}
}

func TestStartSessionWithoutSigningKeyWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	u := e.register(t, "ada@example.org")
	e.svc.Tokens.Keys = token.NewKeyring()
	_, err := e.svc.StartSession(context.Background(), u, priceline.MethodPassword, client)
	wantCode(t, err, priceline.KindUnavailable, "signing_keys_unavailable")
	if e.sessionCount(t, u.ID) != 0 {
		t.Errorf("a session was stored without a cookie")
	}
}

// An instance that started while Key Vault was unreachable has no keys: a
// cookie it cannot verify yet is KindUnavailable signing_keys_unavailable
// (503), not unauthenticated (401, which clears the cookie), and the same
// cookie works once the keys load. The session record is left alone.
func TestAuthenticateBeforeKeysLoadIsUnavailableNotUnauthenticated(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	loaded := e.svc.Tokens.Keys
	e.svc.Tokens.Keys = token.NewKeyring()
	_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnavailable, "signing_keys_unavailable")
	if e.sessionCount(t, r.User.ID) != 1 {
		t.Fatalf("the session record was touched while the keys were missing")
	}
	e.svc.Tokens.Keys = loaded
	if _, _, err := e.svc.Authenticate(context.Background(), r.Cookie); err != nil {
		t.Fatalf("the cookie once the keys are loaded: %v", err)
	}
}

func TestASVS_V7_3_1_IdleTimeout(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")

	e.clock.Advance(29 * time.Minute)
	if _, _, err := e.svc.Authenticate(context.Background(), r.Cookie); err != nil {
		t.Fatalf("used after 29 idle minutes: %v", err)
	}
	// Use slid the deadline: another 29 minutes is fine, 30 is not.
	e.clock.Advance(29 * time.Minute)
	if _, _, err := e.svc.Authenticate(context.Background(), r.Cookie); err != nil {
		t.Fatalf("used 29 minutes after the last use: %v", err)
	}
	e.clock.Advance(30 * time.Minute)
	_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
	if e.sessionCount(t, r.User.ID) != 0 {
		t.Errorf("idle-expired session record not deleted")
	}
}

func TestASVS_V7_3_2_AbsoluteLifetime(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	// Busy all day: a request every 10 minutes never lets it idle out.
	for elapsed := 10 * time.Minute; elapsed < 12*time.Hour; elapsed += 10 * time.Minute {
		e.clock.Advance(10 * time.Minute)
		_, s, err := e.svc.Authenticate(context.Background(), r.Cookie)
		if err != nil {
			t.Fatalf("after %v: %v", elapsed, err)
		}
		if s.IdleExpiresAt.After(s.ExpiresAt) || !s.ExpiresAt.Equal(r.Session.ExpiresAt) {
			t.Fatalf("after %v: idle %v, expires %v; the lifetime must never be extended", elapsed, s.IdleExpiresAt, s.ExpiresAt)
		}
	}
	e.clock.Advance(10 * time.Minute)
	_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
}

func TestASVS_V7_3_2_ExpiredRecordRefusedEvenIfCookieIsNot(t *testing.T) {
	e := newTestEnv(t)
	u := e.register(t, "ada@example.org")
	// A cookie that claims a longer life than the record has.
	id := priceline.NewSessionID()
	now := e.clock.Now()
	rec := &priceline.Session{Key: priceline.SessionKey(id), UserID: u.ID, Method: priceline.MethodPassword, CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(time.Minute), ExpiresAt: now.Add(time.Minute)}
	if err := e.sessions.CreateSession(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	cookie, err := e.svc.Tokens.Sign(token.Claims{SessionID: id, UserID: u.ID, ExpiresAt: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	_, _, err = e.svc.Authenticate(context.Background(), cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
}

func TestASVS_V7_4_1_LogoutInvalidatesSession(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	other := e.login(t, "ada@example.org")
	_, s, err := e.svc.Authenticate(context.Background(), r.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
	if _, _, err := e.svc.Authenticate(context.Background(), other.Cookie); err != nil {
		t.Errorf("logout ended another session too: %v", err)
	}
	if err := e.svc.Logout(context.Background(), nil); err != nil {
		t.Errorf("Logout(nil) = %v", err)
	}
}

func TestASVS_V7_4_1_RevokedSessionRefusedAtOnce(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	phone := e.login(t, "ada@example.org")
	laptop := e.login(t, "ada@example.org")
	if _, _, err := e.svc.Authenticate(context.Background(), phone.Cookie); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeSession(context.Background(), laptop.User.ID, phone.Session.Key); err != nil {
		t.Fatal(err)
	}
	// No clock movement: the very next request is refused.
	_, _, err := e.svc.Authenticate(context.Background(), phone.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
}

func TestAuthenticateRefusesSessionOfAnotherUser(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	b, err := e.svc.Register(context.Background(), "bob@example.org", otherPassword, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	ra := e.login(t, "ada@example.org")
	claimsA, err := e.svc.Tokens.Verify(ra.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	// A validly signed cookie naming A's session but B's user ID.
	forged, err := e.svc.Tokens.Sign(token.Claims{SessionID: claimsA.SessionID, UserID: b.ID, ExpiresAt: claimsA.ExpiresAt})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Authenticate(context.Background(), forged)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
	if _, _, err := e.svc.Authenticate(context.Background(), ra.Cookie); err != nil {
		t.Errorf("A's own cookie stopped working: %v", err)
	}
}

func TestAuthenticateRefusesBadCookies(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	parts := strings.Split(r.Cookie, ".")
	sig := []byte(parts[2])
	sig[3] ^= 1
	for name, c := range map[string]string{
		"empty":        "",
		"garbage":      "not a token",
		"tampered":     parts[0] + "." + parts[1] + "." + string(sig),
		"session ID":   strings.Repeat("a", 64),
		"unsigned alg": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := e.svc.Authenticate(context.Background(), c)
			wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
		})
	}
}

func TestAuthenticateDeletedUserIsUnauthenticated(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	e.users.DropUserRecord(r.User.ID)
	_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
}

func TestAuthenticateStorageUnavailablePropagates(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	e.sessions.Fail = memstore.FailOn(unavailable())
	_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnavailable, "storage_unavailable")
	e.sessions.Fail = nil
	e.users.Fail = memstore.FailOn(unavailable(), userReadOps...)
	_, _, err = e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnavailable, "storage_unavailable")
}

func TestSlidingRefreshWritesAtMostOncePerTouchInterval(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	// 10 minutes of a request every second.
	for range 600 {
		e.clock.Advance(time.Second)
		if _, _, err := e.svc.Authenticate(context.Background(), r.Cookie); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.sessions.Succeeded("TouchSession"); got != 10 {
		t.Errorf("touch writes in 10 minutes = %d, want 10 (one per minute)", got)
	}
	s, _ := e.sessions.Session(context.Background(), r.User.ID, r.Session.Key)
	if want := e.clock.Now().Add(30 * time.Minute); !s.IdleExpiresAt.Equal(want) {
		t.Errorf("IdleExpiresAt = %v, want %v", s.IdleExpiresAt, want)
	}
}

func TestConcurrentTouchesDoNotFailRequests(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	e.clock.Advance(2 * time.Minute)

	// Hold every toucher until all have read the same version, so that all
	// but one of them conflict.
	const n = 16
	var arrived sync.WaitGroup
	arrived.Add(n)
	gate := make(chan struct{})
	e.sessions.BeforeTouch = func(*priceline.Session) { arrived.Done(); <-gate }
	go func() { arrived.Wait(); close(gate) }()

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, s, err := e.svc.Authenticate(context.Background(), r.Cookie)
			if err == nil && !s.LastSeenAt.Equal(e.clock.Now()) {
				err = errors.New("session returned without the touched LastSeenAt")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent request failed: %v", err)
		}
	}
	if got := e.sessions.Succeeded("TouchSession"); got != 1 {
		t.Errorf("touch writes = %d, want 1", got)
	}
}

func TestTouchOfRevokedSessionIsUnauthenticated(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	e.clock.Advance(2 * time.Minute)
	// Revoked between the read and the touch.
	e.sessions.BeforeTouch = func(s *priceline.Session) {
		_ = e.sessions.DeleteSession(context.Background(), s.UserID, s.Key)
	}
	_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
}

func TestASVS_V7_5_2_ListAndRevokeSessions(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	var rs []*Result
	for range 3 {
		rs = append(rs, e.login(t, "ada@example.org"))
		e.clock.Advance(time.Minute)
	}
	userID := rs[0].User.ID
	// An idle-expired one that is still stored.
	stale := &priceline.Session{Key: priceline.SessionKey(priceline.NewSessionID()), UserID: userID, Method: priceline.MethodPassword,
		CreatedAt: e.clock.Now(), LastSeenAt: e.clock.Now(), IdleExpiresAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour)}
	if err := e.sessions.CreateSession(context.Background(), stale); err != nil {
		t.Fatal(err)
	}

	list, err := e.svc.ListSessions(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range list {
		keys = append(keys, s.Key)
	}
	want := []string{rs[2].Session.Key, rs[1].Session.Key, rs[0].Session.Key}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("ListSessions = %v, want live ones newest first %v", keys, want)
	}

	// Another user cannot revoke Ada's session, and cannot tell it exists.
	bob, err := e.svc.Register(context.Background(), "bob@example.org", otherPassword, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	err = e.svc.RevokeSession(context.Background(), bob.ID, rs[0].Session.Key)
	wantCode(t, err, priceline.KindNotFound, "session_not_found")
	for _, bad := range []string{"", "zz", strings.Repeat("A", 64), rs[0].Session.Key + "00"} {
		err = e.svc.RevokeSession(context.Background(), userID, bad)
		wantCode(t, err, priceline.KindNotFound, "session_not_found")
	}
	if _, _, err := e.svc.Authenticate(context.Background(), rs[0].Cookie); err != nil {
		t.Fatalf("session revoked by another user: %v", err)
	}

	n, err := e.svc.RevokeOtherSessions(context.Background(), userID, rs[2].Session.Key)
	if err != nil || n != 2 {
		t.Fatalf("RevokeOtherSessions = %d, %v; want 2 live sessions ended", n, err)
	}
	for i, r := range rs {
		_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
		if (i == 2) != (err == nil) {
			t.Errorf("session %d after revoking others: %v", i, err)
		}
	}
	if e.sessionCount(t, userID) != 1 {
		t.Errorf("%d records left, want only the current one", e.sessionCount(t, userID))
	}
}

func TestCleanupExpired(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r1 := e.login(t, "ada@example.org")
	e.clock.Advance(20 * time.Minute)
	r2 := e.login(t, "ada@example.org")
	e.clock.Advance(15 * time.Minute) // r1 idle for 35m, r2 for 15m
	n, err := e.svc.CleanupExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("CleanupExpired = %d, %v; want 1", n, err)
	}
	if _, err := e.sessions.Session(context.Background(), r1.User.ID, r1.Session.Key); !priceline.IsNotFound(err) {
		t.Errorf("expired session still stored")
	}
	if _, _, err := e.svc.Authenticate(context.Background(), r2.Cookie); err != nil {
		t.Errorf("live session removed: %v", err)
	}
	e.sessions.Fail = memstore.FailOn(unavailable())
	if _, err := e.svc.CleanupExpired(context.Background()); priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Errorf("CleanupExpired with storage down = %v", err)
	}
}
