package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

func TestHomePageRenders(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{Method: "GET", Path: "/", Header: map[string]string{"Accept": "text/html"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.Status, r.Header)
	}
	body := string(r.Body)
	for _, want := range []string{`<html lang="en">`, `/static/app.css`, `/static/app.js`, `Sign in`, `<label for="q">`} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " onclick=") || strings.Contains(body, "style=") {
		t.Error("home page has inline script or style, which the CSP forbids")
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t)
	if r := e.do(req{Method: "GET", Path: "/static/app.css"}); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("css: %d %v", r.Status, r.Header)
	}
	if r := e.do(req{Method: "GET", Path: "/static/app.js"}); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("js: %d", r.Status)
	}
	for _, p := range []string{"/static/nope.css", "/static/../pages.go", "/static/%2e%2e/server.go"} {
		// The mux answers dot-dot paths with a redirect to the cleaned path;
		// either way no file outside static/ is served.
		if r := e.do(req{Method: "GET", Path: p}); r.Status == http.StatusOK || strings.Contains(string(r.Body), "package web") {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
}

// Signed out, the account page sends you to sign in and keeps where you were going.
func TestAccountPageRequiresSignInAndKeepsReturnTo(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{Method: "GET", Path: "/account"})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?returnTo=%2Faccount" {
		t.Fatalf("%d %v", r.Status, r.Header.Get("Location"))
	}
	e.register("page@example.com")
	form := url.Values{"email": {"page@example.com"}, "password": {goodPassword}, "returnTo": {"/account"}}
	r = e.do(req{Method: "POST", Path: "/login", Form: form})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account" || r.cookie() == nil {
		t.Fatalf("form login: %d %v", r.Status, r.Header)
	}
	acct := e.do(req{Method: "GET", Path: "/account", Cookie: r.cookie().Value})
	if acct.Status != http.StatusOK || !strings.Contains(string(acct.Body), "Sign out everywhere else") && !strings.Contains(string(acct.Body), "this device") {
		t.Fatalf("account page: %d", acct.Status)
	}
	if !strings.Contains(string(acct.Body), `id="sign-out"`) || acct.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("signed-in page lacks the Sign out button or no-store")
	}
}

// The forgot-password page states the reset link's real lifetime, the one
// the mail states too: both are built from priceline.AccountTokenLifetime.
func TestForgotPageStatesTheResetLinkLifetime(t *testing.T) {
	e := newEnv(t)
	e.register("forgot@example.com")
	r := e.do(req{Method: "POST", Path: "/forgot-password", Form: url.Values{"email": {"forgot@example.com"}}})
	m := regexp.MustCompile(`The link works for ([^.<]*)\.`).FindStringSubmatch(string(r.Body))
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("%d, no lifetime on the page:\n%s", r.Status, r.Body)
	}
	if want := priceline.LifetimeText(priceline.AccountTokenLifetime); m[1] != want {
		t.Errorf("the page says the link works for %q, want %q", m[1], want)
	}
}

// A failed form keeps what was typed, never the password, and says why.
func TestFormErrorsKeepInputButNotPasswords(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"email": {"keep@example.com"}, "password": {"short-secret"}, "name": {"Kim Keep"}}
	r := e.do(req{Method: "POST", Path: "/register", Form: form})
	body := string(r.Body)
	if r.Status != http.StatusBadRequest || !strings.Contains(body, `value="keep@example.com"`) || !strings.Contains(body, `value="Kim Keep"`) {
		t.Fatalf("%d %s", r.Status, body)
	}
	if strings.Contains(body, "short-secret") {
		t.Fatal("the page echoed the password")
	}
	if !strings.Contains(body, `role="alert"`) {
		t.Fatal("no readable error on the page")
	}
	r = e.do(req{Method: "POST", Path: "/login", Form: url.Values{"email": {"keep@example.com"}, "password": {"whatever-it-was"}}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "incorrect") || strings.Contains(string(r.Body), "whatever-it-was") {
		t.Fatalf("login form error: %d %s", r.Status, r.Body)
	}
}

// A form posted without its CSRF token is refused with a readable page.
func TestASVS_V3_5_1_FormWithoutCSRFTokenGetsReadablePage(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("form@example.com")
	r := e.do(req{Method: "POST", Path: "/account/sessions/revoke-others", Cookie: a.Cookie, Form: url.Values{}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), "Reload the page") {
		t.Fatalf("%d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}

func TestDeviceName(t *testing.T) {
	cases := map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36":         "Chrome on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0":                                              "Firefox on Linux",
		"": "Unknown browser",
	}
	for ua, want := range cases {
		if got := deviceName(ua); got != want {
			t.Errorf("%q: got %q want %q", ua, got, want)
		}
	}
}
