package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/priceline"
)

// loginWith posts a sign-in with the given device cookie ("" for none).
func (e *testEnv) loginWith(email, pw, device string) *response {
	e.t.Helper()
	q := req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": email, "password": pw}}
	if device != "" {
		q.Header = map[string]string{"Cookie": DeviceCookie + "=" + device}
	}
	return e.do(q)
}

// lockAccount has an attacker fail on email until the account locks at
// its LockAt (10 here), waiting as told between guesses.
func (e *testEnv) lockAccount(t *testing.T, email string) {
	t.Helper()
	e.web.Auth.Config.Throttle.Account = auth.Limit{LockAt: 10}
	for i := 0; i < 10; i++ {
		r := e.loginWith(email, "guess-"+strconv.Itoa(i), "")
		if r.Status == http.StatusTooManyRequests {
			s, _ := strconv.Atoi(r.Header.Get("Retry-After"))
			e.clock.Advance(time.Duration(s) * time.Second)
			r = e.loginWith(email, "guess-"+strconv.Itoa(i), "")
		}
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i+1, r.Status, r.Body)
		}
	}
}

// TestASVS_V6_1_1_DeviceCookieOwnerSignsInDuringLockout is the targeted
// lockout of issue 13 over HTTP (OWASP "Slow down online guessing attacks
// with device cookies"): a password sign-in gives the browser a device
// cookie; an attacker then locks the account; without the cookie everyone,
// the right password included, gets 429 with Retry-After, while the owner's
// browser with the cookie signs in. A forged cookie and another account's
// cookie are ignored.
func TestASVS_V6_1_1_DeviceCookieOwnerSignsInDuringLockout(t *testing.T) {
	e := newEnv(t)
	e.web.Auth.Config.Throttle.Account = auth.Limit{LockAt: 10}
	e.register("owner@example.com")
	e.register("other@example.com")

	r := e.loginWith("owner@example.com", goodPassword, "")
	dc := r.setCookie(DeviceCookie)
	if r.Status != http.StatusOK || dc == nil || dc.Value == "" {
		t.Fatalf("sign-in: %d, device cookie %v", r.Status, dc)
	}
	if !dc.HttpOnly || !dc.Secure || dc.SameSite != http.SameSiteStrictMode || dc.Path != "/" || dc.Domain != "" ||
		dc.MaxAge != int(auth.DeviceCookieLifetime/time.Second) {
		t.Errorf("device cookie attributes = %+v; want HttpOnly, Secure, SameSite=Strict, Path=/, no Domain, Max-Age %v", dc, auth.DeviceCookieLifetime)
	}
	if strings.Contains(dc.Value, "owner") {
		t.Errorf("the device cookie names the account: %s", dc.Value)
	}
	others := e.loginWith("other@example.com", goodPassword, "").setCookie(DeviceCookie)

	e.lockAccount(t, "owner@example.com")
	for name, cookie := range map[string]string{
		"no cookie":              "",
		"forged cookie":          dc.Value[:len(dc.Value)-4] + "AAAA",
		"other account's cookie": others.Value,
	} {
		r := e.loginWith("owner@example.com", goodPassword, cookie)
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.Status != http.StatusTooManyRequests || r.errorCode() != "too_many_attempts" || err != nil || ra < 3600 {
			t.Errorf("%s during the lockout: %d %s Retry-After %q; want 429 too_many_attempts with the lock's Retry-After", name, r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		if r.cookie() != nil {
			t.Errorf("%s: a refused sign-in set a session cookie", name)
		}
	}
	r = e.loginWith("owner@example.com", goodPassword, dc.Value)
	if r.Status != http.StatusOK || r.cookie() == nil {
		t.Fatalf("owner with the device cookie during the lockout: %d %s", r.Status, r.Body)
	}
	if fresh := r.setCookie(DeviceCookie); fresh == nil || fresh.Value == dc.Value {
		t.Errorf("a device sign-in did not renew the device cookie: %v", fresh)
	}
	// The HTML form honours the cookie too.
	form := e.do(req{Method: "POST", Path: "/login", Form: map[string][]string{"email": {"owner@example.com"}, "password": {goodPassword}},
		Header: map[string]string{"Cookie": DeviceCookie + "=" + dc.Value, "Origin": testOrigin}})
	if form.Status != http.StatusSeeOther || form.cookie() == nil {
		t.Errorf("form sign-in with the device cookie during the lockout: %d %s", form.Status, form.Body)
	}
}

// TestASVS_V6_3_1_B2CStartsThrottledPerAddress: each start of a cloud
// sign-in stores a flow record, so an address that starts too many gets 429
// with Retry-After and no flow cookie, while another address is served.
func TestASVS_V6_3_1_B2CStartsThrottledPerAddress(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	b.web.Config.TrustForwardedFor = true
	b.web.Auth.Config.Throttle.CloudStart = auth.Limit{FreeFailures: 3}
	from := func(ip string) *response { return b.get("/api/auth/b2c/login", nil, "X-Forwarded-For", ip) }
	for i := range 3 {
		if r := from("198.51.100.30"); r.Status != http.StatusFound {
			t.Fatalf("start %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := from("198.51.100.30")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" || r.setCookie(B2CFlowCookie) != nil {
		t.Errorf("4th start: %d Retry-After %q flow cookie %v; want 429, 1, none", r.Status, r.Header.Get("Retry-After"), r.setCookie(B2CFlowCookie))
	}
	if r := from("198.51.100.31"); r.Status != http.StatusFound {
		t.Errorf("a start from another address: %d %s", r.Status, r.Body)
	}
}

// TestCleanupTimerSweepsExpiredCloudFlows: the timer function itself (not
// only its helper) deletes the flow records of sign-ins abandoned at the
// provider once they are past their life, and keeps live ones.
func TestCleanupTimerSweepsExpiredCloudFlows(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	abandoned := b.begin("/api/auth/b2c/login")
	b.clock.Advance(priceline.AuthFlowLifetime)
	live := b.begin("/api/auth/b2c/login")
	b.web.B2C = b.sso
	b.serve(b.web.Handler())
	r := b.do(req{Method: "POST", Path: "/" + CleanupFunction, Raw: `{"Data":{"timer":{}},"Metadata":{}}`, ContentType: "application/json"})
	if r.Status != http.StatusOK {
		t.Fatalf("timer: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	if _, err := b.sso.Flows.TakeFlow(ctx, abandoned.Flow.Value); !priceline.IsNotFound(err) {
		t.Errorf("the expired flow is still stored after the timer ran: %v", err)
	}
	if _, err := b.sso.Flows.TakeFlow(ctx, live.Flow.Value); err != nil {
		t.Errorf("the live flow is gone after the timer ran: %v", err)
	}
}
