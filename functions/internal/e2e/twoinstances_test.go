package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
)

// pair starts two handler processes against one shared Azurite: two
// Functions instances of one app, as the scale controller would run them.
func pair(t *testing.T) (a, b *api) {
	t.Helper()
	az := azurite.Shared(t)
	ia := startInstance(t, "instance A", az.ConnectionString())
	ib := startInstance(t, "instance B", az.ConnectionString())
	return newAPI(ia.URL), newAPI(ib.URL)
}

// TestASVS_V7_4_1_LogoutOnOneInstanceRefusedOnTheOther signs in on one
// instance, uses the session on the other, logs out on the first, and
// expects the very next request on the second to be refused.
func TestASVS_V7_4_1_LogoutOnOneInstanceRefusedOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	email := uniqueEmail(t, "logout")
	a.register(t, email, testPassword)
	s := a.login(t, email, testPassword)

	if r := b.must(t, "GET", "/api/me", nil, s); r.status != http.StatusOK {
		t.Fatalf("GET /api/me on B with A's session = %s, want 200", r)
	}
	if r := a.must(t, "POST", "/api/logout", nil, s); r.status != http.StatusNoContent {
		t.Fatalf("POST /api/logout on A = %s, want 204", r)
	}
	for _, in := range []struct {
		name string
		api  *api
	}{{"B", b}, {"A", a}} {
		r := in.api.must(t, "GET", "/api/me", nil, s)
		if r.status != http.StatusUnauthorized || r.errorCode() != "unauthenticated" {
			t.Errorf("GET /api/me on %s right after logout on A = %s, want 401 unauthenticated", in.name, r)
		}
	}
}

// TestASVS_V6_3_1_AccountThrottleAcrossInstances fails logins on one
// account alternately on two instances: the shared counter lets the five
// free failures through across both, makes the delays that follow double
// across both, and refuses an early attempt on either instance with 429 and
// Retry-After, the right password included (per-IP counting is skipped from
// loopback, so this is the account counter alone).
func TestASVS_V6_3_1_AccountThrottleAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	email := uniqueEmail(t, "throttle")
	a.register(t, email, testPassword)

	apis := []*api{a, b}
	for i := range 5 {
		r := apis[i%2].must(t, "POST", "/api/login", map[string]string{"email": email, "password": "wrong-password-" + strconv.Itoa(i)}, nil)
		if r.status != http.StatusUnauthorized || r.errorCode() != "invalid_credentials" {
			t.Fatalf("failure %d on instance %d = %s, want 401 invalid_credentials", i+1, i%2, r)
		}
	}
	// Past the free failures each wait doubles (1 s, 2 s, 4 s, …). Two more
	// failures, each after waiting out the delay on the other instance,
	// prove the doubling is shared and leave a 4 s window for the checks
	// below, so a slow machine cannot make them race the delay.
	for i, wait := range []time.Duration{1100 * time.Millisecond, 2100 * time.Millisecond} {
		time.Sleep(wait)
		r := apis[(i+1)%2].must(t, "POST", "/api/login", map[string]string{"email": email, "password": "wrong-password-late-" + strconv.Itoa(i)}, nil)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d, after waiting %s, = %s, want 401", 6+i, wait, r)
		}
	}
	// The last failure was on A; the next attempts must already see it.
	for _, try := range []struct {
		name     string
		api      *api
		password string
	}{
		{"wrong password on B", b, "wrong-password-again"},
		{"right password on B", b, testPassword},
		{"right password on A", a, testPassword},
	} {
		r := try.api.must(t, "POST", "/api/login", map[string]string{"email": email, "password": try.password}, nil)
		if r.status != http.StatusTooManyRequests || r.errorCode() != "too_many_attempts" {
			t.Errorf("%s after 5 failures across instances = %s, want 429 too_many_attempts", try.name, r)
			continue
		}
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("%s: Retry-After = %q, want a positive number of seconds", try.name, r.header.Get("Retry-After"))
		}
	}
}

// TestASVS_V7_4_3_PasswordChangeOnOneInstanceRevokesSessionsOnTheOther
// holds two sessions of one user, one in use on each instance, changes the
// password on A, and expects both old sessions to be refused on B at once
// while the fresh session A issued works on B.
func TestASVS_V7_4_3_PasswordChangeOnOneInstanceRevokesSessionsOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	email := uniqueEmail(t, "pwchange")
	a.register(t, email, testPassword)
	onA := a.login(t, email, testPassword)
	onB := b.login(t, email, testPassword)
	if r := b.must(t, "GET", "/api/me", nil, onB); r.status != http.StatusOK {
		t.Fatalf("GET /api/me on B = %s, want 200", r)
	}

	const newPassword = "orange-Walrus-17-kettle-drum"
	r := a.must(t, "POST", "/api/me/password", map[string]string{"currentPassword": testPassword, "newPassword": newPassword}, onA)
	if r.status != http.StatusOK {
		t.Fatalf("POST /api/me/password on A = %s, want 200", r)
	}
	fresh := sessionFrom(t, r)

	for _, old := range []struct {
		name string
		s    *session
	}{{"the session used on B", onB}, {"the session that changed the password", onA}} {
		if r := b.must(t, "GET", "/api/me", nil, old.s); r.status != http.StatusUnauthorized {
			t.Errorf("%s on B after the change on A = %s, want 401", old.name, r)
		}
	}
	if r := b.must(t, "GET", "/api/me", nil, fresh); r.status != http.StatusOK {
		t.Errorf("the fresh session on B = %s, want 200", r)
	}
	if r := b.must(t, "POST", "/api/login", map[string]string{"email": email, "password": testPassword}, nil); r.status != http.StatusUnauthorized {
		t.Errorf("old password on B = %s, want 401", r)
	}
	b.login(t, email, newPassword)
}
