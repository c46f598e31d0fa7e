package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// lockOut makes an attacker fail on email from addresses of its own until
// the account locks (NIST SP 800-63B's 100 consecutive failures).
func (e *testEnv) lockOut(t *testing.T, email string) {
	t.Helper()
	e.svc.Config.Throttle.Account = Limit{LockAt: 10}
	e.fail(t, email, "198.51.100.66", 10)
	_, err := e.svc.Login(context.Background(), email, goodPassword, Client{IP: "198.51.100.67"})
	if pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts"); pe.RetryAfter <= time.Hour {
		t.Fatalf("account not locked: RetryAfter %v", pe.RetryAfter)
	}
}

// wantDeviceFor fails unless r, the result of a sign-in (what), carries a
// device cookie that svc trusts for email and for no other account.
func wantDeviceFor(t *testing.T, svc *Service, r *Result, email, what string) {
	t.Helper()
	if r.Device == "" {
		t.Fatalf("no device cookie after %s", what)
	}
	if svc.trustedDevice(r.Device, accountKey(email)) == "" {
		t.Errorf("the device cookie after %s is not trusted for the account", what)
	}
	if svc.trustedDevice(r.Device, accountKey("someone.else@example.org")) != "" {
		t.Errorf("the device cookie after %s is trusted for another account", what)
	}
}

// TestASVS_V6_1_1_DeviceCookieLetsOwnerInDuringTargetedLockout is the
// targeted-lockout defence (OWASP device cookies): an attacker who keeps the
// account locked locks out everyone without a device cookie, the right
// password included, but the owner on a browser that signed in before still
// gets in.
func TestASVS_V6_1_1_DeviceCookieLetsOwnerInDuringTargetedLockout(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	device := e.login(t, "ada@example.org").Device
	if device == "" {
		t.Fatal("a password sign-in issued no device cookie")
	}
	e.lockOut(t, "ada@example.org")

	// The attacker, and the owner on a new browser, are refused unhashed.
	before := e.hasher.verifications()
	for _, c := range []Client{{IP: "198.51.100.66"}, {IP: "203.0.113.7"}} {
		_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, c)
		wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	}
	if e.hasher.verifications() != before {
		t.Error("a locked account reached the password check without a device cookie")
	}
	// The owner's known browser signs in, and gets a fresh device cookie.
	r, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "203.0.113.7", Device: device})
	if err != nil {
		t.Fatalf("owner with a device cookie during the lockout: %v", err)
	}
	if r.Device == "" || r.Device == device {
		t.Errorf("device cookie after a device sign-in = %q; want a fresh one", r.Device)
	}
	// Its success clears neither the attacker's lock nor the address.
	if got := e.failures(t, "acct:ada@example.org"); got != 10 {
		t.Errorf("account failures after the owner's device sign-in = %d, want the attacker's 10 kept", got)
	}
	_, err = e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "198.51.100.66"})
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
}

// TestASVS_V6_3_1_DeviceCookieIsThrottledOnItsOwn: failures with a device
// cookie count on the device's counter (not the account's), wait like any
// other after the free ones, and after Device.LockAt the cookie is no longer
// trusted: the browser falls back to the account's lock.
func TestASVS_V6_3_1_DeviceCookieIsThrottledOnItsOwn(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	device := e.login(t, "ada@example.org").Device
	withDevice := Client{IP: "203.0.113.7", Device: device}
	failWithDevice := func() {
		t.Helper()
		_, err := e.svc.Login(context.Background(), "ada@example.org", wrongPassword, withDevice)
		if priceline.ErrorCode(err) == "too_many_attempts" {
			e.clock.Advance(wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts").RetryAfter)
			_, err = e.svc.Login(context.Background(), "ada@example.org", wrongPassword, withDevice)
		}
		wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	}
	for range 5 {
		failWithDevice()
	}
	if a, ip := e.failures(t, "acct:ada@example.org"), e.failures(t, "ip:203.0.113.7"); a != 0 || ip != 0 {
		t.Errorf("device failures reached the account (%d) or address (%d) counter", a, ip)
	}
	_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, withDevice)
	if pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts"); pe.RetryAfter != time.Second {
		t.Errorf("RetryAfter after 5 device failures = %v, want 1s", pe.RetryAfter)
	}
	// Five more, waiting as told: the device is then distrusted.
	for range 5 {
		failWithDevice()
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 0 {
		t.Fatalf("account failures = %d before the device is distrusted, want 0", got)
	}
	e.clock.Advance(time.Hour)
	_, err = e.svc.Login(context.Background(), "ada@example.org", wrongPassword, withDevice)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	if got := e.failures(t, "acct:ada@example.org"); got != 1 {
		t.Errorf("a distrusted device's failure counted %d on the account, want 1", got)
	}
	// The account's delays now apply to the distrusted browser too.
	e.fail(t, "ada@example.org", "198.51.100.66", 4)
	_, err = e.svc.Login(context.Background(), "ada@example.org", goodPassword, withDevice)
	if pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts"); pe.RetryAfter != time.Second {
		t.Errorf("RetryAfter for a distrusted device after 5 account failures = %v, want the account's 1s", pe.RetryAfter)
	}
	// Once the device's failures are forgotten, it is trusted again.
	e.clock.Advance(24 * time.Hour)
	if _, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, withDevice); err != nil {
		t.Errorf("device sign-in a day later: %v", err)
	}
}

// TestASVS_V6_1_1_ForgedOrOtherAccountDeviceCookieIsIgnored: only a device
// cookie the account's own sign-in issued is trusted; another account's
// cookie, a forged one and one signed with another key count on the account
// like no cookie at all.
func TestASVS_V6_1_1_ForgedOrOtherAccountDeviceCookieIsIgnored(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.register(t, "eve@example.org")
	eves := e.login(t, "eve@example.org").Device
	ada := e.login(t, "ada@example.org").Device
	forged := ada[:len(ada)-4] + "AAAA"
	e.lockOut(t, "ada@example.org")
	for name, cookie := range map[string]string{"eve's cookie": eves, "forged": forged, "garbage": "d1.x.y.z.w"} {
		before := e.hasher.verifications()
		_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "192.0.2.44", Device: cookie})
		wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
		if e.hasher.verifications() != before {
			t.Errorf("%s: reached the password check of a locked account", name)
		}
	}
	// Eve's cookie still works for Eve.
	if _, err := e.svc.Login(context.Background(), "eve@example.org", goodPassword, Client{IP: "192.0.2.44", Device: eves}); err != nil {
		t.Errorf("eve with her own cookie: %v", err)
	}
}

// TestASVS_V6_3_1_BurstFromOneAddressStopsAtTheLimit fires 200 parallel
// failed logins for 200 accounts from one address at two services sharing
// one attempt store (two instances): the reservation is counted before the
// hash, so exactly the address's 50 free failures are checked against a
// password and the other 150 are refused unhashed.
func TestASVS_V6_3_1_BurstFromOneAddressStopsAtTheLimit(t *testing.T) {
	e := newTestEnv(t)
	other := &Service{Users: e.svc.Users, Sessions: e.svc.Sessions, Attempts: e.svc.Attempts, Policy: e.svc.Policy,
		Tokens: e.svc.Tokens, Now: e.svc.Now, Logger: e.svc.Logger, hashOverride: e.hasher}
	instances := []*Service{e.svc, other}
	before := e.hasher.verifications()
	codes := make(chan string, 200)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			_, err := instances[i%2].Login(context.Background(), fmt.Sprintf("user%d@example.org", i), wrongPassword, Client{IP: "192.0.2.200"})
			codes <- priceline.ErrorCode(err)
		})
	}
	wg.Wait()
	close(codes)
	n := map[string]int{}
	for c := range codes {
		n[c]++
	}
	if got := e.hasher.verifications() - before; got != 50 {
		t.Errorf("password checks in the burst = %d, want the address's 50", got)
	}
	if n["invalid_credentials"] != 50 || n["too_many_attempts"] != 150 {
		t.Errorf("outcomes = %v, want 50 invalid_credentials and 150 too_many_attempts", n)
	}
	if got := e.failures(t, "ip:192.0.2.200"); got != 50 {
		t.Errorf("address failures = %d, want 50 (refused attempts are not counted)", got)
	}
}

// An attempt the system could not decide (hasher busy, store down) is taken
// back, not counted as a failure.
func TestLoginUndecidedAttemptIsNotCounted(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.users.Fail = func(op string) error {
		if op == "PasswordHint" {
			return unavailable()
		}
		return nil
	}
	_, err := e.svc.Login(context.Background(), "ada@example.org", wrongPassword, client)
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("login with the user store down = %v", err)
	}
	for _, key := range []string{"acct:ada@example.org", "ip:203.0.113.7"} {
		if got := e.failures(t, key); got != 0 {
			t.Errorf("%s = %d after an undecided attempt, want 0", key, got)
		}
	}
}
