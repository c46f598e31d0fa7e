package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/b2c"
	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// serveB2C serves the env's real handler (Server.Handler: the route table,
// readiness and every middleware) with cloud sign-in set to sso; nil is
// cloud sign-in not configured.
func (e *testEnv) serveB2C(sso *auth.CloudSignIn) {
	e.web.B2C = sso
	e.serve(e.web.Handler())
}

// b2cRoutes are the route table's cloud sign-in rows.
func b2cRoutes(s *Server) []route {
	var rs []route
	for _, rt := range s.routes() {
		if strings.HasPrefix(rt.Path, b2cPrefix) {
			rs = append(rs, rt)
		}
	}
	return rs
}

// b2cEnv is the real stack plus the real MSAL-based b2c client talking to
// the B2C protocol double.
type b2cEnv struct {
	*testEnv
	idp *b2ctest.Server
	sso *auth.CloudSignIn
}

func newB2CEnv(t *testing.T, opts b2ctest.Options) *b2cEnv {
	t.Helper()
	e := newEnv(t)
	idp := b2ctest.New(t, opts)
	sso := newB2CSignIn(t, e, idp)
	e.web.B2CEnabled = true
	e.serveB2C(sso)
	return &b2cEnv{testEnv: e, idp: idp, sso: sso}
}

// newB2CSignIn configures the real b2c client for the double's tenant with
// the env's public URL as the registered redirect, and creates the flows
// table.
func newB2CSignIn(t *testing.T, e *testEnv, idp *b2ctest.Server) *auth.CloudSignIn {
	t.Helper()
	redirect := e.web.Config.PublicURL + "/api/auth/b2c/callback"
	idp.AllowRedirectURI(redirect)
	client, err := b2c.New(b2c.Config{
		Authority:    b2ctest.B2CAuthority(b2ctest.PolicySignUpSignIn),
		ClientID:     b2ctest.ClientID,
		ClientSecret: idp.ClientSecret,
		RedirectURI:  redirect,
		ResetPolicy:  b2ctest.PolicyPasswordReset,
		EditPolicy:   b2ctest.PolicyProfileEdit,
		HTTPClient:   idp.Client(),
		Now:          e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.tables.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &auth.CloudSignIn{Client: client, Flows: e.tables.AuthFlows(), ResetPolicy: b2ctest.PolicyPasswordReset, EditPolicy: b2ctest.PolicyProfileEdit}
}

// serve replaces the env's server with one serving h.
func (e *testEnv) serve(h http.Handler) {
	e.srv.Close()
	e.srv = httptest.NewServer(h)
	e.t.Cleanup(e.srv.Close)
}

// get sends a GET with the given cookies (and headers as name, value pairs).
func (e *testEnv) get(path string, cookies []*http.Cookie, header ...string) *response {
	e.t.Helper()
	h := map[string]string{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	if len(cookies) > 0 {
		var parts []string
		for _, c := range cookies {
			if c != nil {
				parts = append(parts, c.Name+"="+c.Value)
			}
		}
		h["Cookie"] = strings.Join(parts, "; ")
	}
	return e.do(req{Method: "GET", Path: path, Header: h})
}

// setCookie returns the response's Set-Cookie named name, or nil.
func (r *response) setCookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// started is a sign-in begun by the app: the flow cookie and where the
// browser was sent.
type started struct {
	Flow    *http.Cookie
	AuthURL string
}

// begin calls the login route like a browser following the button.
func (b *b2cEnv) begin(path string, cookies ...*http.Cookie) started {
	b.t.Helper()
	r := b.get(path, cookies)
	if r.Status != http.StatusFound {
		b.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	fc := r.setCookie(B2CFlowCookie)
	if fc == nil || fc.Value == "" {
		b.t.Fatalf("GET %s set no flow cookie", path)
	}
	return started{Flow: fc, AuthURL: r.Header.Get("Location")}
}

// atProvider plays the browser at the provider and returns the callback
// path the provider redirected to.
func (b *b2cEnv) atProvider(s started) string {
	b.t.Helper()
	q, err := b.idp.SignIn(context.Background(), s.AuthURL)
	if err != nil {
		b.t.Fatalf("at the provider: %v", err)
	}
	return "/api/auth/b2c/callback?" + q.Encode()
}

// signIn runs login → provider → callback and returns the callback's
// response.
func (b *b2cEnv) signIn(returnTo string, cookies ...*http.Cookie) *response {
	b.t.Helper()
	s := b.begin("/api/auth/b2c/login?returnTo="+url.QueryEscape(returnTo), cookies...)
	return b.get(b.atProvider(s), append(cookies, s.Flow))
}

// signedInB2C completes a sign-in and returns the session cookie.
func (b *b2cEnv) signedInB2C() *http.Cookie {
	b.t.Helper()
	r := b.signIn("/")
	c := r.cookie()
	if r.Status != http.StatusSeeOther || c == nil || c.Value == "" {
		b.t.Fatalf("B2C sign-in: %d %s", r.Status, r.Body)
	}
	return c
}

func (b *b2cEnv) meWith(c *http.Cookie) *response {
	return b.get("/api/me", []*http.Cookie{c})
}

// wantRefused checks a callback was refused with status and code and left
// no session behind.
func wantRefused(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.Status != status || r.errorCode() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
	if c := r.cookie(); c != nil && c.MaxAge >= 0 {
		t.Fatalf("a refused callback set a session cookie")
	}
	if fc := r.setCookie(B2CFlowCookie); fc != nil && fc.MaxAge >= 0 {
		t.Fatalf("a refused callback set a flow cookie: %+v", fc)
	}
}

// The whole sign-in through the HTTP handlers with the real MSAL client:
// the user lands where they were going, signed in with a B2C session.
func TestASVS_V10_1_2_B2CSignInEndToEnd(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	s := b.begin("/api/auth/b2c/login?returnTo=" + url.QueryEscape("/account?tab=1"))
	au, err := url.Parse(s.AuthURL)
	if err != nil || au.Host != b2ctest.B2CHost || !strings.HasSuffix(au.Path, "/oauth2/v2.0/authorize") {
		t.Fatalf("sent to %s, want the tenant's authorize endpoint", s.AuthURL)
	}
	q := au.Query()
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge_method") != "S256" || q.Get("response_mode") != "query" ||
		q.Get("redirect_uri") != b.web.Config.PublicURL+"/api/auth/b2c/callback" {
		t.Fatalf("authorize request lacks state, nonce, PKCE or the redirect URI: %v", q)
	}
	if strings.Contains(s.AuthURL, s.Flow.Value) {
		t.Fatal("the flow ID (the cookie value) was sent to the provider")
	}
	r := b.get(b.atProvider(s), []*http.Cookie{s.Flow})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?tab=1" {
		t.Fatalf("callback: %d Location %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if fc := r.setCookie(B2CFlowCookie); fc == nil || fc.MaxAge >= 0 {
		t.Fatalf("the flow cookie was not cleared: %+v", fc)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("callback Cache-Control = %q", cc)
	}
	me := b.meWith(r.cookie())
	if me.Status != http.StatusOK {
		t.Fatalf("/api/me: %d %s", me.Status, me.Body)
	}
	user := me.JSON["user"].(map[string]any)
	sess := me.JSON["session"].(map[string]any)
	if sess["method"] != "b2c" || user["provider"] != "b2c" || user["name"] != "Alex Doe" || user["email"] != "alex.doe@example.com" {
		t.Fatalf("/api/me = %s", me.Body)
	}
	// Signing in again is the same account.
	again := b.meWith(b.signedInB2C())
	if again.JSON["user"].(map[string]any)["id"] != user["id"] {
		t.Fatal("a second B2C sign-in made another account")
	}
}

// The flow cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/ and
// lives no longer than the flow (ASVS V3.3.1, V3.3.4).
func TestASVS_V3_3_1_B2CFlowCookieAttributes(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	r := b.get("/api/auth/b2c/login", nil)
	raw := ""
	for _, line := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, B2CFlowCookie+"=") {
			raw = line
		}
	}
	c := r.setCookie(B2CFlowCookie)
	if c == nil {
		t.Fatal("no flow cookie")
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("flow cookie attributes: %s", raw)
	}
	if c.MaxAge <= 0 || c.MaxAge > 15*60 {
		t.Fatalf("flow cookie Max-Age = %d, want 1..900", c.MaxAge)
	}
	if len(c.Value) != 64 {
		t.Fatalf("flow ID %q is not 256 bits of hex", c.Value)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("the redirect to the provider is cacheable")
	}
}

// A B2C session is the same record, cookie and timeouts as a password
// session, and it replaces the session the browser had (ASVS V7.2.4).
func TestASVS_V7_2_4_B2CSignInReplacesPreviousSessionLikeLocalLogin(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	b.register("local-first@example.com")
	lr := b.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "local-first@example.com", "password": goodPassword}})
	local := lr.cookie()
	if local == nil {
		t.Fatal("no local session")
	}
	r := b.signIn("/", local)
	cloud := r.cookie()
	if r.Status != http.StatusSeeOther || cloud == nil {
		t.Fatalf("B2C sign-in: %d %s", r.Status, r.Body)
	}
	if cloud.Value == local.Value {
		t.Fatal("the session cookie was not renewed")
	}
	if me := b.meWith(local); me.Status != http.StatusUnauthorized {
		t.Fatalf("the previous session still works after B2C sign-in: %d", me.Status)
	}
	// Same cookie attributes as local login.
	if cloud.Secure != local.Secure || cloud.HttpOnly != local.HttpOnly || cloud.SameSite != local.SameSite ||
		cloud.Path != local.Path || cloud.Domain != local.Domain || cloud.MaxAge != local.MaxAge {
		t.Fatalf("cookie differs from local login's:\nlocal %+v\ncloud %+v", local, cloud)
	}
	me := b.meWith(cloud)
	sess := me.JSON["session"].(map[string]any)
	created, _ := time.Parse(time.RFC3339, sess["createdAt"].(string))
	idle, _ := time.Parse(time.RFC3339, sess["idleExpiresAt"].(string))
	expires, _ := time.Parse(time.RFC3339, sess["expiresAt"].(string))
	if idle.Sub(created) != 30*time.Minute || expires.Sub(created) != 12*time.Hour {
		t.Fatalf("B2C session timeouts idle %s, lifetime %s; want the local 30m and 12h", idle.Sub(created), expires.Sub(created))
	}
	// And it ends by the same idle timeout.
	b.clock.Advance(31 * time.Minute)
	if me := b.meWith(cloud); me.Status != http.StatusUnauthorized {
		t.Fatalf("B2C session survived the idle timeout: %d", me.Status)
	}
}

// The callback is honoured only for the browser that started the flow,
// with the state the provider was given (ASVS V10.1.2, V10.2.1).
func TestASVS_V10_2_1_B2CCallbackStateMissingOrMismatched(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	for name, edit := range map[string]func(url.Values){
		"state missing":    func(q url.Values) { q.Del("state") },
		"state mismatched": func(q url.Values) { q.Set("state", "forged-"+q.Get("state")) },
		"state repeated":   func(q url.Values) { q.Add("state", q.Get("state")) },
	} {
		t.Run(name, func(t *testing.T) {
			s := b.begin("/api/auth/b2c/login")
			cb, _ := url.Parse(b.atProvider(s))
			q := cb.Query()
			edit(q)
			r := b.get("/api/auth/b2c/callback?"+q.Encode(), []*http.Cookie{s.Flow})
			wantRefused(t, r, http.StatusForbidden, "b2c_state_mismatch")
		})
	}
}

// A callback completes at most once: a replay with the same cookie and URL
// finds no flow (ASVS V10.1.2).
func TestASVS_V10_1_2_B2CCallbackReplayRefused(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	s := b.begin("/api/auth/b2c/login")
	cb := b.atProvider(s)
	if r := b.get(cb, []*http.Cookie{s.Flow}); r.Status != http.StatusSeeOther {
		t.Fatalf("first callback: %d %s", r.Status, r.Body)
	}
	wantRefused(t, b.get(cb, []*http.Cookie{s.Flow}), http.StatusForbidden, "b2c_flow_missing")
}

// A callback URL without the flow cookie, or carried to another browser
// (login CSRF: an attacker's code planted in a victim's browser), is
// refused, and the other browser's own sign-in is not harmed.
func TestASVS_V10_1_2_B2CCallbackFromAnotherBrowserRefused(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	attacker := b.begin("/api/auth/b2c/login")
	planted := b.atProvider(attacker)

	wantRefused(t, b.get(planted, nil), http.StatusForbidden, "b2c_flow_missing")
	wantRefused(t, b.get(planted, []*http.Cookie{{Name: B2CFlowCookie, Value: "not-a-flow"}}), http.StatusForbidden, "b2c_flow_missing")
	wantRefused(t, b.get(planted, []*http.Cookie{{Name: B2CFlowCookie, Value: strings.Repeat("ab", 32)}}), http.StatusForbidden, "b2c_flow_missing")

	victim := b.begin("/api/auth/b2c/login")
	wantRefused(t, b.get(planted, []*http.Cookie{victim.Flow}), http.StatusForbidden, "b2c_state_mismatch")

	// The attacker's own flow was never touched by those refusals.
	if r := b.get(planted, []*http.Cookie{attacker.Flow}); r.Status != http.StatusSeeOther || r.cookie() == nil {
		t.Fatalf("the starting browser's callback: %d %s", r.Status, r.Body)
	}
}

// A flow older than its lifetime is refused even if the cookie survived.
func TestB2CCallbackAfterFlowLifetimeRefused(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	s := b.begin("/api/auth/b2c/login")
	cb := b.atProvider(s)
	b.clock.Advance(b2c.FlowLifetime)
	wantRefused(t, b.get(cb, []*http.Cookie{s.Flow}), http.StatusForbidden, "b2c_flow_expired")
}

// ID tokens that fail validation start no session (ASVS V10.5.1 nonce,
// V10.5.3 issuer, V10.5.4 audience, and signature checks).
func TestASVS_V10_5_1_B2CBadIDTokenRefused(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	for name, fault := range map[string]b2ctest.Fault{
		"V10.5.1 nonce mismatch": b2ctest.FaultWrongNonce,
		"V10.5.3 wrong issuer":   b2ctest.FaultWrongIssuer,
		"V10.5.4 wrong audience": b2ctest.FaultWrongAudience,
		"expired":                b2ctest.FaultExpired,
		"bad signature":          b2ctest.FaultBadSignature,
		"alg none":               b2ctest.FaultAlgNone,
		"wrong user flow":        b2ctest.FaultWrongPolicy,
	} {
		t.Run(name, func(t *testing.T) {
			s := b.begin("/api/auth/b2c/login")
			cb := b.atProvider(s)
			b.idp.FailNextToken(fault)
			wantRefused(t, b.get(cb, []*http.Cookie{s.Flow}), http.StatusUnauthorized, "b2c_token_invalid")
		})
	}
}

// Errors the provider sends back through the browser become readable pages
// that never echo the provider's text.
func TestB2CProviderErrorsShowReadablePage(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	for _, tc := range []struct {
		code, desc string
		status     int
		want       string
	}{
		{"access_denied", "AADB2C90273: <script>alert(1)</script>", http.StatusUnauthorized, "Signing in with your cloud account failed"},
		{"server_error", "AADB2C90000: internal", http.StatusServiceUnavailable, "Cloud sign-in is unavailable right now"},
		{"invalid_request", "AADB2C99999: bad", http.StatusUnauthorized, "Signing in with your cloud account failed"},
	} {
		s := b.begin("/api/auth/b2c/login")
		b.idp.FailNextAuthorize(tc.code, tc.desc)
		r := b.get(b.atProvider(s), []*http.Cookie{s.Flow}, "Accept", "text/html")
		body := string(r.Body)
		if r.Status != tc.status || !strings.Contains(body, tc.want) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", tc.code, r.Status, body)
		}
		if strings.Contains(body, "AADB2C") || strings.Contains(body, "alert(1)") {
			t.Errorf("%s: the page repeats provider text: %s", tc.code, body)
		}
		if c := r.cookie(); c != nil {
			t.Errorf("%s: set a session cookie", tc.code)
		}
	}
}

// "Forgot your password?" on the sign-in page (AADB2C90118) starts the
// password-reset user flow, with a fresh flow, and that flow signs in.
func TestB2CForgotPasswordStartsResetFlow(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	s := b.begin("/api/auth/b2c/login?returnTo=%2Faccount")
	b.idp.FailNextAuthorize("access_denied", "AADB2C90118: The user has forgotten their password.")
	r := b.get(b.atProvider(s), []*http.Cookie{s.Flow})
	reset := r.setCookie(B2CFlowCookie)
	if r.Status != http.StatusFound || reset == nil || reset.Value == "" || reset.Value == s.Flow.Value || r.cookie() != nil {
		t.Fatalf("forgot password: %d %s (flow cookie %+v)", r.Status, r.Body, reset)
	}
	loc := r.Header.Get("Location")
	if !strings.Contains(strings.ToLower(loc), strings.ToLower(b2ctest.PolicyPasswordReset)) {
		t.Fatalf("not sent to the reset flow: %s", loc)
	}
	done := b.get(b.atProvider(started{Flow: reset, AuthURL: loc}), []*http.Cookie{reset})
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account" || done.cookie() == nil {
		t.Fatalf("after reset: %d %q %s", done.Status, done.Header.Get("Location"), done.Body)
	}
}

// Cancelling at the provider brings the user back to sign-in with a
// message, signed out, and keeps where they were going.
func TestB2CCancelReturnsWithReadableMessage(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	s := b.begin("/api/auth/b2c/login?returnTo=%2Faccount")
	b.idp.FailNextAuthorize("access_denied", "AADB2C90091: The user has cancelled entering self-asserted information.")
	r := b.get(b.atProvider(s), []*http.Cookie{s.Flow})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?b2c=cancelled&returnTo=%2Faccount" || r.cookie() != nil {
		t.Fatalf("cancel: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if fc := r.setCookie(B2CFlowCookie); fc == nil || fc.MaxAge >= 0 {
		t.Fatal("the flow cookie was not cleared on cancel")
	}
	loc, _ := url.Parse(r.Header.Get("Location"))
	if got := b2cLoginNotice(loc.Query()); got != "Sign-in was cancelled." {
		t.Fatalf("login notice = %q", got)
	}
	if got := b2cLoginNotice(url.Values{"b2c": {"<script>"}}); got != "" {
		t.Fatalf("unknown b2c value shows %q", got)
	}
}

// Every open-redirect form of returnTo lands on "/" after a complete
// sign-in (ASVS V3.7.2).
func TestASVS_V3_7_2_B2CReturnToOpenRedirects(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	for _, evil := range []string{
		"//evil.example", `/\evil.example`, "https://evil.example/", "javascript:alert(1)", "%2F%2Fevil.example",
		"/%2F/evil.example", "/%5Cevil.example", "/%252F/evil.example", "/\t/evil.example", "HTTPS://evil.example", "",
	} {
		r := b.signIn(evil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Errorf("returnTo %q landed at %q (%d)", evil, r.Header.Get("Location"), r.Status)
		}
	}
	// Cancelling with an evil returnTo keeps it out of the login link too.
	s := b.begin("/api/auth/b2c/login?returnTo=" + url.QueryEscape("//evil.example"))
	b.idp.FailNextAuthorize("access_denied", "AADB2C90091: cancelled")
	if r := b.get(b.atProvider(s), []*http.Cookie{s.Flow}); r.Header.Get("Location") != "/login?b2c=cancelled&returnTo=%2F" {
		t.Errorf("cancel with evil returnTo went to %q", r.Header.Get("Location"))
	}
}

// With the token endpoint down the user gets a clear page and no session.
func TestB2CTokenEndpointDownShowsErrorPage(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	for name, o := range map[string]b2ctest.Outage{"503": b2ctest.Unavailable, "connection cut": b2ctest.ConnectionCut} {
		t.Run(name, func(t *testing.T) {
			s := b.begin("/api/auth/b2c/login")
			cb := b.atProvider(s)
			b.idp.SetTokenOutage(o)
			defer b.idp.SetTokenOutage(b2ctest.Up)
			r := b.get(cb, []*http.Cookie{s.Flow}, "Accept", "text/html")
			if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "Cloud sign-in is unavailable right now") || r.Header.Get("Retry-After") == "" {
				t.Fatalf("token endpoint %s: %d %s", name, r.Status, r.Body)
			}
			if r.cookie() != nil {
				t.Fatal("set a session cookie")
			}
		})
	}
}

// Without B2C settings every B2C route is 404 b2c_not_configured and the
// sign-in page shows no B2C button.
func TestB2CNotConfigured(t *testing.T) {
	e := newEnv(t)
	e.serveB2C(nil)
	a := e.signedIn("nob2c@example.com")
	for _, rt := range b2cRoutes(e.web) {
		r := e.do(req{Method: rt.Method, Path: rt.Path + "?csrf_token=" + a.CSRF, Cookie: a.Cookie, CSRF: a.CSRF})
		if r.Status != http.StatusNotFound || r.errorCode() != "b2c_not_configured" {
			t.Errorf("%s %s: %d %s", rt.Method, rt.Path, r.Status, r.Body)
		}
	}
	page := e.do(req{Method: "GET", Path: "/login"})
	if strings.Contains(string(page.Body), "b2c-sign-in") || strings.Contains(string(page.Body), "/api/auth/b2c/") {
		t.Fatal("the sign-in page offers B2C without settings")
	}
	if me := e.me(a); me.Status != http.StatusOK {
		t.Fatal("a not-configured B2C route signed the user out")
	}
}

// The sign-in page offers B2C when it is configured.
func TestB2CButtonShownWhenConfigured(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	page := b.do(req{Method: "GET", Path: "/login?returnTo=%2Faccount"})
	if !strings.Contains(string(page.Body), `href="/api/auth/b2c/login?returnTo=%2faccount"`) {
		t.Fatalf("no B2C button with the return path: %s", page.Body)
	}
}

// A B2C user whose address equals a local account's is a separate account
// (ASVS V10.5.2: users are identified by the provider's subject).
func TestASVS_V10_5_2_B2CUserNeverMergedWithLocalAccount(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	local := b.signedIn("alex.doe@example.com") // the double's user's address
	me := b.meWith(b.signedInB2C())
	user := me.JSON["user"].(map[string]any)
	if user["id"] == local.UserID || user["provider"] != "b2c" {
		t.Fatalf("B2C sign-in reached the local account: %s", me.Body)
	}
	again := b.login("alex.doe@example.com", goodPassword)
	if again.UserID != local.UserID {
		t.Fatal("the local account's password now signs into another account")
	}
}

// Sign-out needs the session's CSRF token: a link or image on another site
// cannot sign users out (ASVS V3.5.1). With it, the session is deleted and
// the browser goes on to the provider's end-session endpoint.
func TestASVS_V3_5_1_B2CLogoutRequiresCSRFToken(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	c := b.signedInB2C()
	csrf := b.meWith(c).JSON["csrfToken"].(string)

	for _, path := range []string{"/api/auth/b2c/logout", "/api/auth/b2c/logout?csrf_token=wrong"} {
		r := b.get(path, []*http.Cookie{c})
		if r.Status != http.StatusForbidden || r.errorCode() != "csrf_failed" {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	if me := b.meWith(c); me.Status != http.StatusOK {
		t.Fatal("a logout without the token ended the session")
	}

	r := b.get("/api/auth/b2c/logout?csrf_token="+url.QueryEscape(csrf), []*http.Cookie{c})
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != http.StatusFound || loc == nil || loc.Host != b2ctest.B2CHost || !strings.HasSuffix(loc.Path, "/oauth2/v2.0/logout") ||
		loc.Query().Get("post_logout_redirect_uri") != b.web.Config.PublicURL+"/" {
		t.Fatalf("logout: %d %q", r.Status, r.Header.Get("Location"))
	}
	if sc := r.cookie(); sc == nil || sc.MaxAge >= 0 {
		t.Fatal("logout did not clear the session cookie")
	}
	if me := b.meWith(c); me.Status != http.StatusUnauthorized {
		t.Fatalf("the session survived logout: %d", me.Status)
	}
	if again := b.get("/api/auth/b2c/logout?csrf_token="+url.QueryEscape(csrf), []*http.Cookie{c}); again.Status != http.StatusUnauthorized {
		t.Fatalf("logout with a dead session: %d", again.Status)
	}
}

// A local user using the B2C sign-out is signed out here and not sent to
// the provider, which knows nothing of them.
func TestB2CLogoutOfLocalSessionStaysHere(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	a := b.signedIn("local-out@example.com")
	r := b.get("/api/auth/b2c/logout?csrf_token="+a.CSRF, []*http.Cookie{{Name: SessionCookie, Value: a.Cookie}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("local logout via B2C route: %d %q", r.Status, r.Header.Get("Location"))
	}
	if me := b.me(a); me.Status != http.StatusUnauthorized {
		t.Fatal("session survived")
	}
}

// The reset and profile-edit user flows start from their routes; editing
// needs a signed-in B2C user.
func TestB2CResetAndEditProfileFlows(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	reset := b.begin("/api/auth/b2c/reset-password?returnTo=%2Faccount")
	if !strings.Contains(strings.ToLower(reset.AuthURL), strings.ToLower(b2ctest.PolicyPasswordReset)) {
		t.Fatalf("reset went to %s", reset.AuthURL)
	}

	// Signed out: sent to sign in first, and back here afterwards.
	out := b.get("/api/auth/b2c/edit-profile", nil)
	if out.Status != http.StatusSeeOther || out.Header.Get("Location") != "/login?returnTo=%2Fapi%2Fauth%2Fb2c%2Fedit-profile" {
		t.Fatalf("signed-out edit-profile: %d %q", out.Status, out.Header.Get("Location"))
	}
	// A local account has no cloud profile.
	a := b.signedIn("local-edit@example.com")
	if r := b.get("/api/auth/b2c/edit-profile", []*http.Cookie{{Name: SessionCookie, Value: a.Cookie}}); r.Status != http.StatusForbidden || r.errorCode() != "b2c_not_cloud_account" {
		t.Fatalf("local edit-profile: %d %s", r.Status, r.Body)
	}

	c := b.signedInB2C()
	edit := b.begin("/api/auth/b2c/edit-profile", c)
	if !strings.Contains(strings.ToLower(edit.AuthURL), strings.ToLower(b2ctest.PolicyProfileEdit)) {
		t.Fatalf("edit-profile went to %s", edit.AuthURL)
	}
	done := b.get(b.atProvider(edit), []*http.Cookie{c, edit.Flow})
	// A profile edit keeps the session it was made in: no new cookie.
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account" || done.cookie() != nil {
		t.Fatalf("after edit-profile: %d %q %s", done.Status, done.Header.Get("Location"), done.Body)
	}
	// Cancelling an edit goes back to the account page, still signed in.
	edit2 := b.begin("/api/auth/b2c/edit-profile", c)
	b.idp.FailNextAuthorize("access_denied", "AADB2C90091: cancelled")
	r := b.get(b.atProvider(edit2), []*http.Cookie{c, edit2.Flow})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account" {
		t.Fatalf("cancelled edit: %d %q", r.Status, r.Header.Get("Location"))
	}
	if me := b.meWith(c); me.Status != http.StatusOK {
		t.Fatal("cancelling an edit signed the user out")
	}
}

// Storage down when starting: a clear 503 page, no cookie, no redirect.
func TestB2CLoginWithStorageDownShowsErrorPage(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	flows := memstore.NewAuthFlows()
	flows.Fail = memstore.FailOn(&priceline.Error{Kind: priceline.KindUnavailable, Code: "storage_unavailable",
		Message: "The service is temporarily unavailable. Please try again shortly.", RetryAfter: time.Second})
	b.sso.Flows = flows
	b.serveB2C(b.sso)
	r := b.get("/api/auth/b2c/login", nil, "Accept", "text/html")
	if r.Status != http.StatusServiceUnavailable || r.setCookie(B2CFlowCookie) != nil || !strings.Contains(string(r.Body), "temporarily unavailable") {
		t.Fatalf("login with storage down: %d %s", r.Status, r.Body)
	}
}

// The clean-up timer's helper removes flows abandoned at the provider.
func TestB2CCleanupDeletesAbandonedFlows(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	abandoned := b.begin("/api/auth/b2c/login")
	ctx := context.Background()
	if n, err := b.web.Auth.DeleteExpiredCloudFlows(ctx, b.sso); err != nil || n != 0 {
		t.Fatalf("cleanup of a live flow = %d, %v; want 0", n, err)
	}
	b.clock.Advance(b2c.FlowLifetime)
	if n, err := b.web.Auth.DeleteExpiredCloudFlows(ctx, b.sso); err != nil || n != 1 {
		t.Fatalf("cleanup of an expired flow = %d, %v; want 1", n, err)
	}
	if _, err := b.sso.Flows.TakeFlow(ctx, abandoned.Flow.Value); !priceline.IsNotFound(err) {
		t.Fatalf("the abandoned flow is still stored: %v", err)
	}
	if n, err := b.web.Auth.DeleteExpiredCloudFlows(ctx, nil); err != nil || n != 0 {
		t.Fatalf("cleanup without B2C = %d, %v", n, err)
	}
}
