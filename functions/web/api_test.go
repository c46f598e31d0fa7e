package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

func TestRegisterLoginMeLogout(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("pat@example.com")

	me := e.me(a)
	if me.Status != http.StatusOK {
		t.Fatalf("me: %d %s", me.Status, me.Body)
	}
	sess := me.JSON["session"].(map[string]any)
	for _, k := range []string{"id", "createdAt", "expiresAt", "idleExpiresAt", "method"} {
		if _, ok := sess[k]; !ok {
			t.Errorf("session lacks %q: %v", k, sess)
		}
	}
	if sess["method"] != priceline.MethodPassword || me.JSON["csrfToken"] != a.CSRF {
		t.Fatalf("me: %s", me.Body)
	}

	out := e.do(req{Method: "POST", Path: "/api/logout", Cookie: a.Cookie, CSRF: a.CSRF})
	if out.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", out.Status, out.Body)
	}
	if c := out.cookie(); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("logout did not clear the cookie: %+v", c)
	}
	if r := e.me(a); r.Status != http.StatusUnauthorized || r.errorCode() != "unauthenticated" {
		t.Fatalf("me after logout: %d %s", r.Status, r.Body)
	}
}

// ASVS 5.0 V3.3.1–V3.3.4: the session cookie is __Host- prefixed, Secure,
// HttpOnly, SameSite and has no Domain.
func TestASVS_V3_3_SessionCookieAttributes(t *testing.T) {
	e := newEnv(t)
	e.register("cookie@example.com")
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "cookie@example.com", "password": goodPassword}})
	raw := r.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-session=", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %q", raw, want)
		}
	}
	if strings.Contains(strings.ToLower(raw), "domain=") {
		t.Errorf("Set-Cookie %q has a Domain", raw)
	}
}

// ASVS 5.0 V3.4: every response carries the security headers, errors too.
func TestASVS_V3_4_SecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	for _, q := range []req{
		{Method: "GET", Path: "/api/health"},
		{Method: "GET", Path: "/no/such/page"},
		{Method: "POST", Path: "/api/login", Raw: "{", ContentType: "application/json"},
		{Method: "GET", Path: "/api/me"},
	} {
		r := e.do(q)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s: CSP %q", q.Method, q.Path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s %s: headers %v", q.Method, q.Path, h)
		}
	}
}

// Authenticated responses must not be cached (back button after logout).
func TestAuthenticatedResponsesAreNoStore(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("nostore@example.com")
	for _, p := range []string{"/api/me", "/api/me/sessions"} {
		if r := e.do(req{Method: "GET", Path: p, Cookie: a.Cookie}); r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, r.Header.Get("Cache-Control"))
		}
	}
}

// ASVS 5.0 V3.5.1: a state-changing request with a session needs its CSRF token.
func TestASVS_V3_5_1_StateChangeRequiresCSRFToken(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("csrf@example.com")
	for _, tok := range []string{"", "wrong", strings.Repeat("0", 64)} {
		r := e.do(req{Method: "POST", Path: "/api/logout", Cookie: a.Cookie, CSRF: tok})
		if r.Status != http.StatusForbidden || r.errorCode() != "csrf_failed" {
			t.Fatalf("logout with token %q: %d %s", tok, r.Status, r.Body)
		}
	}
	form := url.Values{"csrf_token": {"forged"}}
	if r := e.do(req{Method: "POST", Path: "/api/logout", Cookie: a.Cookie, Form: form}); r.Status != http.StatusForbidden {
		t.Fatalf("form logout with a forged token: %d", r.Status)
	}
	if r := e.me(a); r.Status != http.StatusOK {
		t.Fatalf("refused logout still ended the session: %d", r.Status)
	}
	form = url.Values{"csrf_token": {a.CSRF}}
	r := e.do(req{Method: "POST", Path: "/api/logout", Cookie: a.Cookie, Form: form})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("form logout: %d %v", r.Status, r.Header)
	}
}

// Login and register refuse cross-site requests (login CSRF).
func TestASVS_V3_5_LoginRefusesCrossSiteRequests(t *testing.T) {
	e := newEnv(t)
	e.register("xsite@example.com")
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
	} {
		r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "xsite@example.com", "password": goodPassword}, Header: h})
		if r.Status != http.StatusForbidden || r.cookie() != nil {
			t.Fatalf("%v: %d %s", h, r.Status, r.Body)
		}
	}
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "xsite@example.com", "password": goodPassword},
		Header: map[string]string{"Origin": testOrigin, "Sec-Fetch-Site": "same-origin"}})
	if r.Status != http.StatusOK {
		t.Fatalf("same-origin login: %d %s", r.Status, r.Body)
	}
}

// An unknown email and a wrong password get the same status and body.
func TestASVS_V6_3_LoginDoesNotRevealWhetherAccountExists(t *testing.T) {
	e := newEnv(t)
	e.register("known@example.com")
	a := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "known@example.com", "password": "wrong-password-entirely"}})
	b := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "unknown@example.com", "password": "wrong-password-entirely"}})
	if a.Status != http.StatusUnauthorized || a.Status != b.Status || string(a.Body) != string(b.Body) || a.errorCode() != "invalid_credentials" {
		t.Fatalf("known: %d %s; unknown: %d %s", a.Status, a.Body, b.Status, b.Body)
	}
}

// Registering a taken address answers exactly like a new one (ASVS 5.0
// V6.3.8): 201, the same body, no user ID, and the account is unchanged.
func TestASVS_V6_3_8_RegisterTwiceAnswersLikeANewAccount(t *testing.T) {
	e := newEnv(t)
	first := e.do(req{Method: "POST", Path: "/api/register", JSON: map[string]string{"email": "twice@example.com", "password": goodPassword, "name": "Pat"}})
	r := e.do(req{Method: "POST", Path: "/api/register", JSON: map[string]string{"email": "Twice@Example.com ", "password": "quiet lantern gravel pond", "name": "Other"}})
	if r.Status != http.StatusCreated || first.Status != http.StatusCreated || string(r.Body) != string(first.Body) {
		t.Fatalf("first %d %s; second %d %s", first.Status, first.Body, r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), `"id"`) || r.cookie() != nil {
		t.Fatalf("registration revealed an id or signed in: %s", r.Body)
	}
	a := e.login("twice@example.com", goodPassword)
	if me := e.me(a); me.JSON["user"].(map[string]any)["name"] != "Pat" {
		t.Fatalf("the account changed: %s", me.Body)
	}
}

// Every bad input gets a clear error with the right status, and nothing is written.
func TestBadInputGetsClearErrorAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	reg := func(email, pw string) map[string]string {
		return map[string]string{"email": email, "password": pw, "name": "Pat"}
	}
	cases := []struct {
		name   string
		q      req
		status int
		code   string
		email  string // must not exist afterwards
	}{
		{"malformed json", req{Raw: `{"email":`, ContentType: "application/json"}, 400, "malformed_json", ""},
		{"json array", req{Raw: `[]`, ContentType: "application/json"}, 400, "malformed_json", ""},
		{"trailing data", req{Raw: `{"email":"a@b.co","password":"x","name":"n"} {}`, ContentType: "application/json"}, 400, "malformed_json", ""},
		{"wrong content type", req{Raw: `{}`, ContentType: "text/plain"}, 415, "unsupported_media_type", ""},
		{"no content type", req{Raw: `{}`}, 415, "unsupported_media_type", ""},
		{"unknown field", req{JSON: map[string]string{"email": "u@example.com", "password": goodPassword, "name": "n", "admin": "true"}}, 400, "unknown_field", "u@example.com"},
		{"missing field", req{JSON: map[string]string{"email": "m@example.com", "password": goodPassword}}, 400, "missing_field", "m@example.com"},
		{"number field", req{Raw: `{"email":"n@example.com","password":12,"name":"n"}`, ContentType: "application/json"}, 400, "invalid_field", "n@example.com"},
		{"invalid email", req{JSON: reg("not-an-email", goodPassword)}, 400, "invalid_email", ""},
		{"odata injection", req{JSON: reg("' or PartitionKey ne '", goodPassword)}, 400, "invalid_email", ""},
		{"odata injection 2", req{JSON: reg("x@example.com' or '1' eq '1", goodPassword)}, 400, "invalid_email", ""},
		{"slash", req{JSON: reg("a/b@example.com", goodPassword)}, 400, "invalid_email", ""},
		{"backslash", req{JSON: reg(`a\b@example.com`, goodPassword)}, 400, "invalid_email", ""},
		{"hash", req{JSON: reg("a#b@example.com", goodPassword)}, 400, "invalid_email", ""},
		{"question", req{JSON: reg("a?b@example.com", goodPassword)}, 400, "invalid_email", ""},
		{"control char", req{JSON: reg("a\x01b@example.com", goodPassword)}, 400, "invalid_email", ""},
		{"short password", req{JSON: reg("short@example.com", "tooShort1")}, 400, "password_too_short", "short@example.com"},
		{"common password", req{JSON: reg("common@example.com", "passwordpassword")}, 400, "", "common@example.com"},
		{"long password", req{JSON: reg("long@example.com", strings.Repeat("x7Q", 400))}, 400, "password_too_long", "long@example.com"},
		{"1 MB password", req{JSON: reg("huge@example.com", strings.Repeat("a", 1<<20))}, 413, "body_too_large", "huge@example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Method, tc.q.Path = "POST", "/api/register"
			r := e.do(tc.q)
			if r.Status != tc.status || (tc.code != "" && r.errorCode() != tc.code) {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if r.errorCode() == "" || r.JSON["error"].(map[string]any)["message"] == "" {
				t.Fatalf("error without code or message: %s", r.Body)
			}
			if tc.email != "" {
				if _, err := e.tables.Users().UserByEmail(context.Background(), priceline.NormalizeEmail(tc.email)); !priceline.IsNotFound(err) {
					t.Fatalf("a refused registration wrote a user: %v", err)
				}
			}
		})
	}
}

// An email with an apostrophe is legal, and is stored and found exactly.
func TestApostropheEmailIsStoredSafely(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("o'brien@example.com")
	if r := e.me(a); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "' or PartitionKey ne '", "password": goodPassword}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("injection login: %d %s", r.Status, r.Body)
	}
}

// forge signs arbitrary claims with key and header fields.
func forge(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claimsOf reads a cookie's claims without verifying it (test only).
func claimsOf(t *testing.T, cookie string) jwt.MapClaims {
	t.Helper()
	parts := strings.Split(cookie, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m jwt.MapClaims
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Forged, tampered, expired, unknown-key and cross-user cookies are refused
// (ASVS 5.0 V9.1.1, V9.1.2, V9.2.1, V7.2.1).
func TestASVS_V7_2_1_ForgedOrForeignCookiesAreRefused(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("victim@example.com")
	b := e.signedIn("attacker@example.com")
	ca, cb := claimsOf(t, a.Cookie), claimsOf(t, b.Cookie)
	kid := map[string]any{"kid": "v1"}

	cross := jwt.MapClaims{}
	for k, v := range cb {
		cross[k] = v
	}
	cross["sid"] = ca["sid"] // A's session under B's identity
	expired := jwt.MapClaims{}
	for k, v := range ca {
		expired[k] = v
	}
	expired["exp"] = time.Now().Add(-time.Hour).Unix()

	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, ca).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(a.Cookie, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sid":"x"}`)) + "." + parts[2]

	cases := map[string]string{
		"alg none":       none,
		"wrong key":      forge(t, jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), kid, ca),
		"unknown kid":    forge(t, jwt.SigningMethodHS256, e.key, map[string]any{"kid": "v9"}, ca),
		"expired":        forge(t, jwt.SigningMethodHS256, e.key, kid, expired),
		"other user sid": forge(t, jwt.SigningMethodHS256, e.key, kid, cross),
		"tampered":       tampered,
		"garbage":        "not-a-jwt",
		"oversized":      strings.Repeat("a", 3000),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.do(req{Method: "GET", Path: "/api/me", Cookie: c})
			if r.Status != http.StatusUnauthorized || r.errorCode() != "unauthenticated" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if ck := r.cookie(); ck == nil || ck.MaxAge >= 0 {
				t.Fatalf("a refused cookie was not cleared")
			}
		})
	}
	if r := e.me(a); r.Status != http.StatusOK {
		t.Fatalf("the victim's own session broke: %d", r.Status)
	}
}

// ASVS 5.0 V7.3.1: a session idle past the timeout is refused, server-side.
func TestASVS_V7_3_1_IdleTimeoutEnforcedServerSide(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("idle@example.com")
	e.clock.Advance(31 * time.Minute)
	if r := e.me(a); r.Status != http.StatusUnauthorized {
		t.Fatalf("idle session accepted: %d", r.Status)
	}
}

// ASVS 5.0 V7.3.2: activity does not extend a session past its absolute lifetime.
func TestASVS_V7_3_2_AbsoluteLifetimeEnforced(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("lifetime@example.com")
	for i := 0; i < 26; i++ { // 26 × 29 min > 12 h, never idle
		e.clock.Advance(29 * time.Minute)
		r := e.me(a)
		if r.Status == http.StatusUnauthorized {
			if elapsed := time.Duration(i+1) * 29 * time.Minute; elapsed < 12*time.Hour {
				t.Fatalf("session ended early, after %s", elapsed)
			}
			return
		}
	}
	t.Fatal("session outlived its 12 h lifetime")
}

// ASVS 5.0 V7.5.2: users can see their sessions and end any of them; and
// "sign out everywhere else" keeps only the current one.
func TestASVS_V7_5_2_ListAndTerminateSessions(t *testing.T) {
	e := newEnv(t)
	a1 := e.signedIn("multi@example.com")
	a2 := e.login("multi@example.com", goodPassword)
	a3 := e.login("multi@example.com", goodPassword)

	r := e.do(req{Method: "GET", Path: "/api/me/sessions", Cookie: a1.Cookie})
	list := r.JSON["sessions"].([]any)
	if len(list) != 3 {
		t.Fatalf("want 3 sessions, got %s", r.Body)
	}
	me2 := e.me(a2).JSON["session"].(map[string]any)["id"].(string)
	if r := e.do(req{Method: "DELETE", Path: "/api/me/sessions/" + me2, Cookie: a1.Cookie}); r.Status != http.StatusForbidden {
		t.Fatalf("delete without CSRF: %d", r.Status)
	}
	if r := e.do(req{Method: "DELETE", Path: "/api/me/sessions/" + me2, Cookie: a1.Cookie, CSRF: a1.CSRF}); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := e.me(a2); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked session still works: %d", r.Status)
	}
	if r := e.do(req{Method: "DELETE", Path: "/api/me/sessions/" + strings.Repeat("ab", 32), Cookie: a1.Cookie, CSRF: a1.CSRF}); r.Status != http.StatusNotFound {
		t.Fatalf("unknown session id: %d", r.Status)
	}
	if r := e.do(req{Method: "DELETE", Path: "/api/me/sessions/'%20or%20'1", Cookie: a1.Cookie, CSRF: a1.CSRF}); r.Status != http.StatusNotFound {
		t.Fatalf("hostile session id: %d", r.Status)
	}
	r = e.do(req{Method: "DELETE", Path: "/api/me/sessions", Cookie: a1.Cookie, CSRF: a1.CSRF, JSON: map[string]string{"currentPassword": goodPassword}})
	if r.Status != http.StatusOK {
		t.Fatalf("delete others: %d %s", r.Status, r.Body)
	}
	if e.me(a3).Status != http.StatusUnauthorized || e.me(a1).Status != http.StatusOK {
		t.Fatal("sign out everywhere else did not keep exactly the current session")
	}
}

// A user cannot end another user's session by its id.
func TestCannotRevokeAnotherUsersSession(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("one@example.com")
	b := e.signedIn("two@example.com")
	bid := e.me(b).JSON["session"].(map[string]any)["id"].(string)
	if r := e.do(req{Method: "DELETE", Path: "/api/me/sessions/" + bid, Cookie: a.Cookie, CSRF: a.CSRF}); r.Status != http.StatusNotFound {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if e.me(b).Status != http.StatusOK {
		t.Fatal("another user's session was ended")
	}
}

// ASVS 5.0 V7.4.3 / V7.2.4: a password change ends the other sessions and
// renews the current one.
func TestASVS_V7_4_3_PasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("change@example.com")
	other := e.login("change@example.com", goodPassword)
	newPW := "orange-Walrus-77-umbrella"
	r := e.do(req{Method: "POST", Path: "/api/me/password", Cookie: a.Cookie, CSRF: a.CSRF,
		JSON: map[string]string{"currentPassword": goodPassword, "newPassword": newPW}})
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	renewed := r.cookie()
	if renewed == nil || renewed.Value == a.Cookie {
		t.Fatal("the current session was not renewed")
	}
	if e.me(other).Status != http.StatusUnauthorized || e.me(a).Status != http.StatusUnauthorized {
		t.Fatal("old sessions survived the password change")
	}
	if e.do(req{Method: "GET", Path: "/api/me", Cookie: renewed.Value}).Status != http.StatusOK {
		t.Fatal("renewed session does not work")
	}
	e.login("change@example.com", newPW)
	if r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "change@example.com", "password": goodPassword}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", r.Status)
	}
}

// ASVS 5.0 V6.3.1 / NIST 800-63B: repeated failures are throttled, with Retry-After.
func TestASVS_V6_3_1_RepeatedFailuresAreThrottled(t *testing.T) {
	e := newEnv(t)
	e.register("throttle@example.com")
	var last *response
	for i := 0; i < 12; i++ {
		last = e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "throttle@example.com", "password": "not-the-password-" + itoa(i)}})
		if last.Status == http.StatusTooManyRequests {
			break
		}
	}
	if last.Status != http.StatusTooManyRequests || last.errorCode() != "too_many_attempts" || last.Header.Get("Retry-After") == "" {
		t.Fatalf("no throttling after repeated failures: %d %s", last.Status, last.Body)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{Method: "GET", Path: "/api/health"})
	if r.Status != http.StatusOK || r.JSON["status"] != "ok" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	checks := r.JSON["checks"].(map[string]any)
	if checks["tables"] != "ok" || checks["signingKeys"] != "ok" {
		t.Fatalf("%s", r.Body)
	}
	degraded := *e.web
	degraded.Health = append(slices.Clone(e.web.Health), HealthCheck{Name: "broken", Check: func(context.Context) error {
		return priceline.Errorf(priceline.KindUnavailable, "down", "down")
	}})
	srv := httptest.NewServer(degraded.Handler())
	defer srv.Close()
	e2 := *e
	e2.srv = srv
	r = e2.do(req{Method: "GET", Path: "/api/health"})
	if r.Status != http.StatusServiceUnavailable || r.JSON["status"] != "degraded" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// The timer function answers the host's invocation payload and deletes
// expired session records.
func TestCleanupTimerInvocation(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("expire@example.com")
	e.clock.Advance(13 * time.Hour)
	r := e.do(req{Method: "POST", Path: "/" + CleanupFunction, Raw: `{"Data":{"timer":{}},"Metadata":{}}`, ContentType: "application/json"})
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if _, ok := r.JSON["Logs"]; !ok {
		t.Fatalf("not an invocation response: %s", r.Body)
	}
	left, err := e.tables.Sessions().UserSessions(context.Background(), a.UserID)
	if err != nil || len(left) != 0 {
		t.Fatalf("expired sessions left: %d %v", len(left), err)
	}
}

func TestUnknownRouteIs404JSON(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{Method: "GET", Path: "/api/nothing"})
	if r.Status != http.StatusNotFound || r.errorCode() != "not_found" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// ASVS 5.0 V7.2.4: signing in while signed in replaces the old session.
func TestASVS_V7_2_4_LoginEndsThePreviousSession(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("again@example.com")
	r := e.do(req{Method: "POST", Path: "/api/login", Cookie: a.Cookie, JSON: map[string]string{"email": "again@example.com", "password": goodPassword}})
	if r.Status != http.StatusOK || r.cookie() == nil || r.cookie().Value == a.Cookie {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if e.me(a).Status != http.StatusUnauthorized {
		t.Fatal("the previous session still works after signing in again")
	}
}

// A request without a cookie and one with a forged cookie get the one
// "please sign in" answer that auth gives (auth.Unauthenticated), code and
// message alike: the web layer keeps no wording of its own.
func TestNoOrBadCookieAnswersAuthsUnauthenticated(t *testing.T) {
	e := newEnv(t)
	var want *priceline.Error
	if !errors.As(auth.Unauthenticated.Err(), &want) {
		t.Fatal("auth.Unauthenticated is not a *priceline.Error")
	}
	for name, cookie := range map[string]string{"no cookie": "", "forged cookie": "not-a-jwt"} {
		r := e.do(req{Method: "GET", Path: "/api/me", Cookie: cookie})
		body, _ := r.JSON["error"].(map[string]any)
		if r.Status != http.StatusUnauthorized || body["code"] != want.Code || body["message"] != want.Message {
			t.Errorf("%s: %d %s; want 401 %q %q", name, r.Status, r.Body, want.Code, want.Message)
		}
	}
}
