package auth

import (
	"context"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// signedIn registers ada and returns her and n sessions, the first being
// the one that makes the change.
func signedIn(t *testing.T, e *testEnv, n int) (*priceline.User, []*Result) {
	t.Helper()
	e.register(t, "ada@example.org")
	var rs []*Result
	for range n {
		rs = append(rs, e.login(t, "ada@example.org"))
	}
	u, _, err := e.svc.Authenticate(context.Background(), rs[0].Cookie)
	if err != nil {
		t.Fatal(err)
	}
	return u, rs
}

func TestASVS_V7_4_3_PasswordChangeTerminatesOtherSessions(t *testing.T) {
	e := newTestEnv(t)
	u, rs := signedIn(t, e, 3)
	res, err := e.svc.ChangePassword(context.Background(), u, rs[0].Session, goodPassword, otherPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		_, _, err := e.svc.Authenticate(context.Background(), r.Cookie)
		wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
	}
	if e.sessionCount(t, u.ID) != 1 {
		t.Errorf("%d session records after the change, want only the new one", e.sessionCount(t, u.ID))
	}
	// The browser that changed the password gets a fresh session (V7.2.4).
	if res.Session.Key == rs[0].Session.Key || res.Cookie == rs[0].Cookie {
		t.Errorf("password change kept the old session")
	}
	if _, _, err := e.svc.Authenticate(context.Background(), res.Cookie); err != nil {
		t.Errorf("new session refused: %v", err)
	}
	// The new password works, the old one does not.
	if _, err := e.svc.Login(context.Background(), "ada@example.org", otherPassword, client); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	_, err = e.svc.Login(context.Background(), "ada@example.org", goodPassword, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
}

func TestASVS_V6_2_3_PasswordChangeRequiresCurrentPassword(t *testing.T) {
	e := newTestEnv(t)
	u, rs := signedIn(t, e, 2)
	hashes := e.hasher.hash.Load()
	_, err := e.svc.ChangePassword(context.Background(), u, rs[0].Session, wrongPassword, otherPassword, client)
	wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	if e.hasher.hash.Load() != hashes {
		t.Errorf("a new hash was made although the current password was wrong")
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 1 {
		t.Errorf("account failures = %d, want the wrong current password counted", got)
	}
	for _, r := range rs {
		if _, _, err := e.svc.Authenticate(context.Background(), r.Cookie); err != nil {
			t.Errorf("failed change ended a session: %v", err)
		}
	}
	if _, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client); err != nil {
		t.Errorf("old password no longer works after a failed change: %v", err)
	}
}

func TestASVS_V6_3_1_PasswordChangeIsThrottled(t *testing.T) {
	e := newTestEnv(t)
	u, rs := signedIn(t, e, 1)
	for range 5 {
		_, err := e.svc.ChangePassword(context.Background(), u, rs[0].Session, wrongPassword, otherPassword, client)
		wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	}
	before := e.hasher.verifications()
	_, err := e.svc.ChangePassword(context.Background(), u, rs[0].Session, goodPassword, otherPassword, client)
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if e.hasher.verifications() != before {
		t.Errorf("a throttled password change checked the password")
	}
	// The same counter throttles login.
	_, err = e.svc.Login(context.Background(), "ada@example.org", goodPassword, client)
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	e.clock.Advance(time.Second)
	if _, err := e.svc.ChangePassword(context.Background(), u, rs[0].Session, goodPassword, otherPassword, client); err != nil {
		t.Fatalf("change after the wait: %v", err)
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 0 {
		t.Errorf("failures after a successful change = %d, want 0", got)
	}
}

func TestPasswordChangeNewPasswordPolicyWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	u, rs := signedIn(t, e, 2)
	writes, attemptWrites := e.userWrites(), e.attemptWrites()
	for _, tt := range []struct{ pw, code string }{
		{"too short", "password_too_short"},
		{"password1234567890", "password_common"},
		{"ada lovelace rides again", "password_contextual"},
	} {
		_, err := e.svc.ChangePassword(context.Background(), u, rs[0].Session, goodPassword, tt.pw, client)
		wantCode(t, err, priceline.KindInvalid, tt.code)
	}
	if e.userWrites() != writes || e.attemptWrites() != attemptWrites || e.sessionCount(t, u.ID) != 2 {
		t.Errorf("a refused change wrote something")
	}
}

func TestPasswordChangeCloudUser(t *testing.T) {
	e := newTestEnv(t)
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderB2C, Subject: "oid-1", Name: "Grace"}
	if err := e.users.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.StartSession(context.Background(), u, priceline.MethodB2C, client)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ChangePassword(context.Background(), u, r.Session, "", otherPassword, client)
	wantCode(t, err, priceline.KindInvalid, "password_not_set")
	if e.hasher.verifications() != 0 {
		t.Errorf("hashed for a user without a password")
	}
}
