package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// withMFA turns on two-step sign-in and passkeys (relying party origin)
// over the env's Table Storage.
func (e *testEnv) withMFA(t *testing.T, origin string) {
	t.Helper()
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "m1", Secret: []byte(randHex(t, 32)), Enabled: true, Created: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	wa, err := auth.NewRelyingParty(origin, "Hospital Priceline")
	if err != nil {
		t.Fatal(err)
	}
	m := e.tables.MFA()
	e.web.Auth.MFA = &auth.MFAConfig{
		TOTP: m, RecoveryCodes: m, Passkeys: e.tables.Passkeys(), Challenges: e.tables.Challenges(),
		Keys: keys, WebAuthn: wa, Notifier: e.web.Auth.MailNotices(),
	}
}

func (r *response) named(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP turns on an authenticator app for a over the API and returns
// its secret and recovery codes.
func (e *testEnv) enrolTOTP(t *testing.T, a *account) (string, []any) {
	t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/me/mfa/totp", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": a.Password}})
	if r.Status != http.StatusOK {
		t.Fatalf("POST /api/me/mfa/totp: %d %s", r.Status, r.Body)
	}
	secret, _ := r.JSON["secret"].(string)
	if uri, _ := r.JSON["otpauthUri"].(string); !strings.HasPrefix(uri, "otpauth://totp/") || secret == "" {
		t.Fatalf("setup = %s", r.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/me/mfa/totp/confirm", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"code": totpCode(t, secret, e.clock.Now())}})
	if r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	codes, _ := r.JSON["recoveryCodes"].([]any)
	if len(codes) != 10 {
		t.Fatalf("recoveryCodes = %s", r.Body)
	}
	e.clock.Advance(30 * time.Second)
	return secret, codes
}

// ASVS 5.0 V6.3.3 over HTTP: the password alone answers mfaRequired with
// no session; the code finishes it, and the session list says how.
func TestASVS_V6_3_3_LoginAsksForSecondFactor(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("mfa@example.com")
	secret, _ := e.enrolTOTP(t, a)

	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": a.Email, "password": goodPassword}})
	if r.Status != http.StatusOK || r.JSON["mfaRequired"] != true || r.cookie() != nil {
		t.Fatalf("login: %d %s (session cookie %v)", r.Status, r.Body, r.cookie())
	}
	if m, _ := r.JSON["methods"].([]any); len(m) < 1 || m[0] != "totp" {
		t.Errorf("methods = %v", r.JSON["methods"])
	}
	pc := r.named(PendingCookie)
	if pc == nil || !pc.Secure || !pc.HttpOnly || pc.SameSite != http.SameSiteStrictMode || pc.Path != "/" || pc.MaxAge != 300 {
		t.Fatalf("pending cookie = %+v", pc)
	}

	// A wrong code renews the cookie; the old one is then dead.
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"code": "000000"}, Header: map[string]string{"Cookie": PendingCookie + "=" + pc.Value}})
	if r.Status != http.StatusUnauthorized || r.errorCode() != "invalid_code" {
		t.Fatalf("wrong code: %d %s", r.Status, r.Body)
	}
	next := r.named(PendingCookie)
	if next == nil || next.Value == pc.Value || next.Value == "" {
		t.Fatalf("no renewed pending cookie: %+v", next)
	}
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"code": totpCode(t, secret, e.clock.Now())}, Header: map[string]string{"Cookie": PendingCookie + "=" + pc.Value}})
	if r.Status != http.StatusUnauthorized || r.errorCode() != "mfa_sign_in_expired" {
		t.Fatalf("reused pending cookie: %d %s", r.Status, r.Body)
	}

	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"code": totpCode(t, secret, e.clock.Now())}, Header: map[string]string{"Cookie": PendingCookie + "=" + next.Value}})
	if r.Status != http.StatusOK || r.cookie() == nil || r.JSON["csrfToken"] == nil {
		t.Fatalf("right code: %d %s", r.Status, r.Body)
	}
	list := e.do(req{Method: "GET", Path: "/api/me/sessions", Cookie: r.cookie().Value})
	found := false
	for _, s := range list.JSON["sessions"].([]any) {
		if s.(map[string]any)["method"] == priceline.MethodPasswordTOTP {
			found = true
		}
	}
	if !found {
		t.Errorf("session list shows no password+totp session: %s", list.Body)
	}
}

// Pending sign-ins last five minutes.
func TestMFAPendingCookieOlderThanFiveMinutesRefused(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("slow@example.com")
	secret, _ := e.enrolTOTP(t, a)
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": a.Email, "password": goodPassword}})
	pc := r.named(PendingCookie)
	e.clock.Advance(5*time.Minute + time.Second)
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"code": totpCode(t, secret, e.clock.Now())}, Header: map[string]string{"Cookie": PendingCookie + "=" + pc.Value}})
	if r.Status != http.StatusUnauthorized || r.errorCode() != "mfa_sign_in_expired" {
		t.Fatalf("old pending cookie: %d %s", r.Status, r.Body)
	}
}

// Wrong codes in a row are throttled with Retry-After; a recovery code
// from the owner's address still works.
func TestNIST_800_63B_WrongCodesThrottledWithRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("guess@example.com")
	_, codes := e.enrolTOTP(t, a)
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": a.Email, "password": goodPassword}})
	pc := r.named(PendingCookie).Value
	var last *response
	for range 7 {
		last = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"code": "111111"}, Header: map[string]string{"Cookie": PendingCookie + "=" + pc}})
		if c := last.named(PendingCookie); c != nil && c.Value != "" {
			pc = c.Value
		}
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after 7 wrong codes: %d %s Retry-After=%q", last.Status, last.Body, last.Header.Get("Retry-After"))
	}
	r = e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": a.Email, "password": goodPassword}})
	r = e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"recoveryCode": codes[0].(string)}, Header: map[string]string{"Cookie": PendingCookie + "=" + r.named(PendingCookie).Value}})
	if r.Status != http.StatusOK || r.cookie() == nil {
		t.Fatalf("owner with a recovery code: %d %s", r.Status, r.Body)
	}
}

// The HTML forms: the password form leads to the code form, which leads
// back to returnTo.
func TestLoginFormsWithSecondFactor(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("forms@example.com")
	secret, _ := e.enrolTOTP(t, a)
	r := e.do(req{Method: "POST", Path: "/login", Form: url.Values{"email": {a.Email}, "password": {goodPassword}, "returnTo": {"/saved"}}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/mfa?returnTo=%2Fsaved" || r.cookie() != nil {
		t.Fatalf("password form: %d Location=%q", r.Status, r.Header.Get("Location"))
	}
	pc := r.named(PendingCookie).Value
	page := e.do(req{Method: "GET", Path: "/login/mfa?returnTo=%2Fsaved", Header: map[string]string{"Cookie": PendingCookie + "=" + pc, "Accept": "text/html"}})
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `autocomplete="one-time-code"`) {
		t.Fatalf("code page: %d %s", page.Status, page.Body)
	}
	r = e.do(req{Method: "POST", Path: "/login/mfa", Form: url.Values{"code": {"999999"}, "returnTo": {"/saved"}}, Header: map[string]string{"Cookie": PendingCookie + "=" + pc}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "That code is not right") {
		t.Fatalf("wrong code form: %d %s", r.Status, r.Body)
	}
	pc = r.named(PendingCookie).Value
	r = e.do(req{Method: "POST", Path: "/login/mfa", Form: url.Values{"code": {totpCode(t, secret, e.clock.Now())}, "returnTo": {"/saved"}}, Header: map[string]string{"Cookie": PendingCookie + "=" + pc}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/saved" || r.cookie() == nil {
		t.Fatalf("code form: %d Location=%q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	wantDeviceCookie(t, r, "the second-step form")
}

// Changes to the factors need the CSRF token and the current password.
func TestMFAChangesNeedCSRFAndPassword(t *testing.T) {
	e := newEnv(t)
	e.withMFA(t, testOrigin)
	a := e.signedIn("change@example.com")
	r := e.do(req{Method: "POST", Path: "/api/me/mfa/totp", Cookie: a.Cookie, JSON: map[string]string{"currentPassword": goodPassword}})
	if r.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", r.Status)
	}
	r = e.do(req{Method: "POST", Path: "/api/me/mfa/totp", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": "wrong"}})
	if r.Status != http.StatusBadRequest || r.errorCode() != "current_password_incorrect" {
		t.Errorf("wrong password: %d %s", r.Status, r.Body)
	}
	e.enrolTOTP(t, a)
	r = e.do(req{Method: "POST", Path: "/api/me/mfa/recovery-codes", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": goodPassword}})
	if codes, _ := r.JSON["recoveryCodes"].([]any); r.Status != http.StatusOK || len(codes) != 10 {
		t.Errorf("new recovery codes: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Method: "DELETE", Path: "/api/me/mfa/totp", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": goodPassword}})
	if r.Status != http.StatusNoContent {
		t.Errorf("disable: %d %s", r.Status, r.Body)
	}
	st := e.do(req{Method: "GET", Path: "/api/me/mfa", Cookie: a.Cookie})
	if st.JSON["enabled"] != false {
		t.Errorf("status after disable: %s", st.Body)
	}
	pk := e.do(req{Method: "GET", Path: "/api/me/passkeys", Cookie: a.Cookie})
	if pk.Status != http.StatusOK || !strings.Contains(string(pk.Body), `"passkeys":[]`) {
		t.Errorf("passkeys: %d %s", pk.Status, pk.Body)
	}
}

// Without MFA settings the routes say so instead of failing.
func TestMFARoutesWithoutSettingsAre404(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("off@example.com")
	r := e.do(req{Method: "GET", Path: "/api/me/mfa", Cookie: a.Cookie})
	if r.Status != http.StatusNotFound || r.errorCode() != "mfa_not_enabled" {
		t.Errorf("GET /api/me/mfa: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/login/passkey/options", JSON: map[string]string{}})
	if r.Status != http.StatusNotFound {
		t.Errorf("passkey options: %d %s", r.Status, r.Body)
	}
}
