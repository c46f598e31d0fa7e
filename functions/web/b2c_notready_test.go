package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/b2c/b2ctest"
)

// notReady is sso without its provider client, as the handler starts when
// the client secret could not be read yet.
func notReady(sso *auth.CloudSignIn) *auth.CloudSignIn {
	return &auth.CloudSignIn{Flows: sso.Flows, ResetPolicy: sso.ResetPolicy, EditPolicy: sso.EditPolicy, Tokens: sso.Tokens}
}

// Until the provider client exists, sign-in, callback and the user flows
// answer 503 b2c_not_ready with Retry-After (JSON for API clients, the
// readable page for browsers) and set no cookie; once SetClient supplies
// the client the same routes run the real sign-in.
func TestB2CNotReadyAnswers503ThenSignsIn(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	pending := notReady(b.sso)
	b.serveB2C(pending)
	if pending.Ready() {
		t.Fatal("Ready without a client")
	}

	for _, path := range []string{
		"/api/auth/b2c/login?returnTo=%2Faccount",
		"/api/auth/b2c/callback?code=abc&state=def",
		"/api/auth/b2c/reset-password",
		"/api/auth/b2c/edit-profile",
	} {
		r := b.get(path, nil)
		if r.Status != http.StatusServiceUnavailable || r.errorCode() != "b2c_not_ready" {
			t.Errorf("GET %s (API): %d %s, want 503 b2c_not_ready", path, r.Status, r.Body)
		}
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s (API): no Retry-After", path)
		}
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("GET %s (API) set cookies: %q", path, r.Header.Values("Set-Cookie"))
		}

		p := b.get(path, nil, "Accept", "text/html")
		if p.Status != http.StatusServiceUnavailable || p.Header.Get("Retry-After") == "" ||
			!strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(p.Body), "try again shortly") {
			t.Errorf("GET %s (browser): %d %q %q, want the readable 503 page with Retry-After",
				path, p.Status, p.Header.Get("Content-Type"), p.Header.Get("Retry-After"))
		}
	}

	pending.SetClient(b.sso.Client)
	if !pending.Ready() {
		t.Fatal("not Ready after SetClient")
	}
	b.sso = pending
	r := b.signIn("/account")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account" || r.cookie() == nil {
		t.Fatalf("sign-in once ready: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
}

// Sign-out is not refused while cloud sign-in is not ready: a 503 would
// leave the session alive (ASVS V7.4.1), so it ends the session here and
// skips only the provider's sign-out.
func TestASVS_V7_4_1_B2CLogoutWhileNotReadyEndsSessionHere(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	c := b.signedInB2C()
	csrf := b.meWith(c).JSON["csrfToken"].(string)

	b.serveB2C(notReady(b.sso))
	r := b.get("/api/auth/b2c/logout?csrf_token="+url.QueryEscape(csrf), []*http.Cookie{c})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("logout while not ready: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if sc := r.cookie(); sc == nil || sc.MaxAge >= 0 {
		t.Fatal("logout did not clear the session cookie")
	}
	if me := b.meWith(c); me.Status != http.StatusUnauthorized {
		t.Fatalf("the session survived logout: %d", me.Status)
	}
}
