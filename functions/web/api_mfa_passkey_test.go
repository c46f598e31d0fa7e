package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/auth/passkeytest"
	"hospitalpriceline/functions/priceline"
)

// softKey is a passkey for the test site (RP ID localhost).
func softKey(t *testing.T) *passkeytest.SoftKey {
	t.Helper()
	return passkeytest.New(t, testOrigin, "localhost")
}

// addPasskeyAPI adds k to a over the API and returns its ID.
func (e *testEnv) addPasskeyAPI(t *testing.T, a *account, k *passkeytest.SoftKey) string {
	t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/me/passkeys/options", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": a.Password}})
	cc := r.named(CeremonyCookie)
	if r.Status != http.StatusOK || cc == nil {
		t.Fatalf("passkey options: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/me/passkeys", CSRF: a.CSRF,
		JSON:   map[string]any{"name": "Laptop", "credential": json.RawMessage(k.Register(t, r.JSON, a.UserID))},
		Header: map[string]string{"Cookie": SessionCookie + "=" + a.Cookie + "; " + CeremonyCookie + "=" + cc.Value}})
	if r.Status != http.StatusCreated {
		t.Fatalf("add passkey: %d %s", r.Status, r.Body)
	}
	return k.CredentialID()
}

// passkeyAccount turns on passkeys, signs up email and gives it a passkey.
func (e *testEnv) passkeyAccount(t *testing.T, email string) (*account, *passkeytest.SoftKey) {
	t.Helper()
	e.withMFA(t, testOrigin)
	a := e.signedIn(email)
	k := softKey(t)
	e.addPasskeyAPI(t, a, k)
	return a, k
}

// pendingCookie signs in with the password and returns the pending cookie.
func (e *testEnv) pendingCookie(t *testing.T, email string) string {
	t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": email, "password": goodPassword}})
	pc := r.named(PendingCookie)
	if r.Status != http.StatusOK || r.JSON["mfaRequired"] != true || pc == nil {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return pc.Value
}

func withPending(v string) map[string]string {
	return map[string]string{"Cookie": PendingCookie + "=" + v}
}

// passkeyStep runs the options step of a pending sign-in and returns the
// options and the new pending cookie.
func (e *testEnv) passkeyStep(t *testing.T, pending string) (map[string]any, string) {
	t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/login/mfa/passkey/options", JSON: map[string]string{}, Header: withPending(pending)})
	next := r.named(PendingCookie)
	if r.Status != http.StatusOK || next == nil || next.Value == pending || next.MaxAge < 1 {
		t.Fatalf("second-step options: %d %s (cookie %+v)", r.Status, r.Body, next)
	}
	return r.JSON, next.Value
}

// ASVS 5.0 V6.3.3 over HTTP: POST /api/login/mfa finishes a pending
// sign-in with a passkey assertion, answered like a login (session, CSRF
// token, device cookie, returnTo); the options allow only that account's
// passkeys, and another account's passkey is refused.
func TestASVS_V6_3_3_PasskeyAsSecondStepOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("step@example.com")
	k := softKey(t)
	id := e.addPasskeyAPI(t, a, k)
	m := e.signedIn("other@example.com")
	km := softKey(t)
	e.addPasskeyAPI(t, m, km)

	// The form sign-in points the page at the passkey button.
	r := e.do(req{Method: "POST", Path: "/login", Form: url.Values{"email": {a.Email}, "password": {goodPassword}, "returnTo": {"/saved"}}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "passkey=1") {
		t.Fatalf("form login: %d %q", r.Status, r.Header.Get("Location"))
	}
	page := e.do(req{Method: "GET", Path: r.Header.Get("Location"), Header: withPending(r.named(PendingCookie).Value)})
	body := string(page.Body)
	if page.Status != http.StatusOK || !strings.Contains(body, `id="mfa-passkey"`) || !strings.Contains(body, `src="/static/passkey.js"`) {
		t.Fatalf("second-step page: %d\n%s", page.Status, body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "onclick") {
		t.Error("the second-step page has inline script")
	}

	// Another account's passkey: refused, with a new pending cookie.
	opts, pending := e.passkeyStep(t, e.pendingCookie(t, a.Email))
	pk := opts["publicKey"].(map[string]any)
	allow, _ := pk["allowCredentials"].([]any)
	if len(allow) != 1 || allow[0].(map[string]any)["id"] != id {
		t.Errorf("allowCredentials = %v, want only %s", allow, id)
	}
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]any{"credential": json.RawMessage(km.Assert(t, opts))}, Header: withPending(pending)})
	if r.Status != http.StatusUnauthorized || r.errorCode() != "passkey_refused" || r.cookie() != nil || r.named(PendingCookie) == nil {
		t.Fatalf("another account's passkey: %d %s", r.Status, r.Body)
	}

	opts, pending = e.passkeyStep(t, r.named(PendingCookie).Value)
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]any{"credential": json.RawMessage(k.Assert(t, opts)), "returnTo": "/saved"}, Header: withPending(pending)})
	if r.Status != http.StatusOK || r.cookie() == nil || r.JSON["csrfToken"] == nil || r.JSON["returnTo"] != "/saved" {
		t.Fatalf("own passkey: %d %s", r.Status, r.Body)
	}
	wantDeviceCookie(t, r, "a second-factor sign-in")
	me := e.do(req{Method: "GET", Path: "/api/me", Cookie: r.cookie().Value})
	if sess, _ := me.JSON["session"].(map[string]any); sess["method"] != priceline.MethodPasswordPasskey {
		t.Errorf("session method = %v", me.JSON["session"])
	}
	// The pending cookie the options step replaced is dead.
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]any{"credential": json.RawMessage(k.Assert(t, opts))}, Header: withPending(pending)})
	if r.Status != http.StatusUnauthorized || r.errorCode() != "mfa_sign_in_expired" {
		t.Fatalf("reused pending cookie: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]any{"credential": "x"}, Header: withPending(e.pendingCookie(t, a.Email))})
	if r.Status != http.StatusBadRequest {
		t.Errorf("credential not an object: %d %s", r.Status, r.Body)
	}
}

// Refused passkey sign-ins are throttled: 429 with Retry-After.
func TestNIST_800_63B_PasskeySignInThrottledOverHTTP(t *testing.T) {
	e := newEnv(t)
	_, k := e.passkeyAccount(t, "thr@example.com")
	k.Origin = "https://evil.example"
	var r *response
	for range 10 {
		r = e.passkeySignIn(t, k)
		if r.Status == http.StatusTooManyRequests {
			break
		}
		if r.Status != http.StatusUnauthorized || r.errorCode() != "passkey_refused" {
			t.Fatalf("refused passkey: %d %s", r.Status, r.Body)
		}
	}
	if r.Status != http.StatusTooManyRequests || r.errorCode() != "too_many_attempts" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after refusals: %d %s %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}

// ASVS 5.0 V7.5.1 over HTTP: the options for a new passkey need the CSRF
// token and the current password; a refusal sets no ceremony cookie, and
// wrong passwords in a row are throttled with Retry-After, the right one
// included, so a stolen session cannot add a passkey.
func TestASVS_V7_5_1_PasskeyOptionsNeedThePasswordOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("stolen@example.com")
	options := func(csrf string, body map[string]string) *response {
		t.Helper()
		r := e.do(req{Method: "POST", Path: "/api/me/passkeys/options", Cookie: a.Cookie, CSRF: csrf, JSON: body})
		if r.Status != http.StatusOK && r.named(CeremonyCookie) != nil {
			t.Errorf("a refused request (%d) set the ceremony cookie", r.Status)
		}
		return r
	}
	if r := options("", map[string]string{"currentPassword": goodPassword}); r.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d %s", r.Status, r.Body)
	}
	if r := options(a.CSRF, map[string]string{}); r.Status != http.StatusBadRequest || r.errorCode() != "missing_field" {
		t.Errorf("without the password: %d %s", r.Status, r.Body)
	}
	r := options(a.CSRF, map[string]string{"currentPassword": "wrong"})
	if r.Status != http.StatusBadRequest || r.errorCode() != "current_password_incorrect" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	for range 7 {
		if r = options(a.CSRF, map[string]string{"currentPassword": "wrong"}); r.Status == http.StatusTooManyRequests {
			break
		}
	}
	if r.Status != http.StatusTooManyRequests || r.errorCode() != "too_many_attempts" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after wrong passwords: %d %s Retry-After=%q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if r = options(a.CSRF, map[string]string{"currentPassword": goodPassword}); r.Status != http.StatusTooManyRequests {
		t.Errorf("right password while throttled: %d %s", r.Status, r.Body)
	}
	if pk := e.do(req{Method: "GET", Path: "/api/me/passkeys", Cookie: a.Cookie}); !strings.Contains(string(pk.Body), `"passkeys":[]`) {
		t.Errorf("passkeys after refusals: %s", pk.Body)
	}
}

// passkeySignIn signs in with k alone over the API (options, then the
// assertion), as the sign-in page's script does.
func (e *testEnv) passkeySignIn(t *testing.T, k *passkeytest.SoftKey) *response {
	t.Helper()
	o := e.do(req{Method: "POST", Path: "/api/login/passkey/options", JSON: map[string]string{}})
	cc := o.named(CeremonyCookie)
	if o.Status != http.StatusOK || cc == nil {
		t.Fatalf("passkey sign-in options: %d %s", o.Status, o.Body)
	}
	return e.do(req{Method: "POST", Path: "/api/login/passkey", JSON: map[string]any{"credential": json.RawMessage(k.Assert(t, o.JSON)), "returnTo": "/saved"},
		Header: map[string]string{"Cookie": CeremonyCookie + "=" + cc.Value}})
}

// wantDeviceCookie fails unless r set the __Host-device cookie with the
// attributes a password sign-in gives it, and returns it.
func wantDeviceCookie(t *testing.T, r *response, what string) *http.Cookie {
	t.Helper()
	dc := r.named(DeviceCookie)
	if dc == nil || dc.Value == "" {
		t.Fatalf("no device cookie after %s: %d %s", what, r.Status, r.Body)
	}
	if !dc.HttpOnly || !dc.Secure || dc.SameSite != http.SameSiteStrictMode || dc.Path != "/" || dc.Domain != "" ||
		dc.MaxAge != int(auth.DeviceCookieLifetime/time.Second) {
		t.Errorf("device cookie after %s = %+v; want HttpOnly, Secure, SameSite=Strict, Path=/, no Domain, Max-Age %v", what, dc, auth.DeviceCookieLifetime)
	}
	return dc
}

// ASVS 5.0 V6.1.1 (targeted lockout, OWASP device cookies) over HTTP: a
// sign-in with a passkey alone (POST /api/login/passkey, which the sign-in
// page's button calls) sets the device cookie a password sign-in sets, and
// with it the owner's password gets past a lock an attacker keeps on the
// account, to the second step.
func TestASVS_V6_1_1_PasskeySignInSetsDeviceCookieOverHTTP(t *testing.T) {
	e := newEnv(t)
	a, k := e.passkeyAccount(t, "keyonly@example.com")

	r := e.passkeySignIn(t, k)
	if r.Status != http.StatusOK || r.cookie() == nil || r.JSON["returnTo"] != "/saved" {
		t.Fatalf("passkey sign-in: %d %s", r.Status, r.Body)
	}
	dc := wantDeviceCookie(t, r, "a passkey sign-in")

	e.lockAccount(t, a.Email)
	if r := e.loginWith(a.Email, goodPassword, ""); r.Status != http.StatusTooManyRequests {
		t.Fatalf("the right password without a device cookie during the lockout: %d %s", r.Status, r.Body)
	}
	r = e.loginWith(a.Email, goodPassword, dc.Value)
	if r.Status != http.StatusOK || r.JSON["mfaRequired"] != true {
		t.Fatalf("the right password with the passkey sign-in's device cookie during the lockout: %d %s", r.Status, r.Body)
	}
}
