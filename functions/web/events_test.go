package web

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/priceline"
)

// ASVS 5.0 V16.1.1, V16.3.1–V16.3.3: docs/security-log.md lists exactly the
// events there are, and each is emitted by its flow with the documented
// fields.
func TestASVS_V16_1_1_EveryListedEventIsEmitted(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "security-log.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_]+)` \\| (?:success|failure)").FindAllStringSubmatch(string(doc), -1) {
		listed = append(listed, m[1])
	}
	want := slices.Clone(auth.SecurityEvents)
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("docs/security-log.md lists %v\nthe code has %v", listed, want)
	}

	b := newB2CEnv(t, b2ctest.Options{})
	e := b.testEnv
	pw := func(p string) map[string]string { return map[string]string{"currentPassword": p} }
	a := e.signedIn("log@example.com")                                                                                                        // registered, sign_in success
	e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "log@example.com", "password": "wrong-password-entirely"}}) // sign_in failure
	e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "log@example.com", "password": goodPassword}, Header: map[string]string{"Origin": "https://evil.example"}})
	e.do(req{Method: "POST", Path: "/api/logout", Cookie: a.Cookie})                                                      // csrf_refused
	e.do(req{Method: "GET", Path: "/api/me", Cookie: a.Cookie + "x"})                                                     // session_cookie_refused
	e.get("/api/auth/b2c/callback?state=x&code=y", nil)                                                                   // b2c_callback_refused
	e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": "v" + strings.Repeat("0", 96)}}) // account_token_refused
	e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": e.linkFrom("log@example.com", priceline.MailVerifyEmail)}})
	e.login("log@example.com", goodPassword)                                                                                   // a second session, for sign out everywhere else
	e.do(req{Method: "DELETE", Path: "/api/me/sessions", Cookie: a.Cookie, CSRF: a.CSRF, JSON: pw("not the password at all")}) // reauthentication_failed
	e.do(req{Method: "DELETE", Path: "/api/me/sessions", Cookie: a.Cookie, CSRF: a.CSRF, JSON: pw(goodPassword)})              // session_revoked
	r := e.do(req{Method: "POST", Path: "/api/me/password", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": goodPassword, "newPassword": "a brand new passphrase 77"}})
	a.Cookie, a.CSRF = r.cookie().Value, r.JSON["csrfToken"].(string)
	e.do(req{Method: "POST", Path: "/api/me/email", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"newEmail": "log2@example.com", "currentPassword": "a brand new passphrase 77"}})
	e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": e.linkFrom("log2@example.com", priceline.MailEmailChangeVerify)}})
	e.do(req{Method: "POST", Path: "/api/password/forgot", JSON: map[string]string{"email": "log2@example.com"}})
	e.do(req{Method: "POST", Path: "/api/password/reset", JSON: map[string]string{"token": e.linkFrom("log2@example.com", priceline.MailPasswordReset), "newPassword": goodPassword}})
	for range 6 {
		e.do(req{Method: "POST", Path: "/api/password/forgot", JSON: map[string]string{"email": "flood@example.com"}}) // throttled
	}
	c := e.login("log2@example.com", goodPassword)
	if r := e.do(req{Method: "DELETE", Path: "/api/me", Cookie: c.Cookie, CSRF: c.CSRF, JSON: pw(goodPassword)}); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	// Second factors and passkeys, on an account of their own.
	e.withMFA(t, testOrigin)
	m := e.signedIn("mfalog@example.com")
	e.enrolTOTP(t, m)                                                                                                         // totp_enabled
	r = e.do(req{Method: "POST", Path: "/api/me/mfa/recovery-codes", Cookie: m.Cookie, CSRF: m.CSRF, JSON: pw(goodPassword)}) // recovery_codes_regenerated
	codes, _ := r.JSON["recoveryCodes"].([]any)
	if len(codes) == 0 {
		t.Fatalf("regenerate: %d %s", r.Status, r.Body)
	}
	e.do(req{Method: "POST", Path: "/api/login/mfa", JSON: map[string]string{"recoveryCode": codes[0].(string)}, Header: withPending(e.pendingCookie(t, m.Email))}) // recovery_code_used
	id := e.addPasskeyAPI(t, m, softKey(t))                                                                                                                         // passkey_added
	e.do(req{Method: "DELETE", Path: "/api/me/passkeys/" + id, Cookie: m.Cookie, CSRF: m.CSRF, JSON: pw(goodPassword)})                                             // passkey_removed
	e.do(req{Method: "DELETE", Path: "/api/me/mfa/totp", Cookie: m.Cookie, CSRF: m.CSRF, JSON: pw(goodPassword)})                                                   // totp_disabled
	// A fresh sign-in at the provider before deleting a cloud account.
	sc := b.signedInB2C()
	rs := b.begin("/api/auth/b2c/reauth?action=delete&returnTo=%2Faccount", sc)
	if cb := b.get(b.atProvider(rs), []*http.Cookie{sc, rs.Flow}); cb.Status != http.StatusSeeOther { // reauthenticated
		t.Fatalf("re-authentication callback: %d %s", cb.Status, cb.Body)
	}
	e.web.Auth.WaitMail()

	seen := map[string]bool{}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) != nil || ev["log"] != "security" {
			continue
		}
		for _, f := range []string{"time", "event", "outcome", "client_address", "request_id"} {
			if _, ok := ev[f]; !ok {
				t.Errorf("event without %s: %s", f, line)
			}
		}
		seen[ev["event"].(string)] = true
	}
	for _, name := range listed {
		if !seen[name] {
			t.Errorf("event %s was never emitted", name)
		}
	}
}
