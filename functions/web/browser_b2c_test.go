package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hospitalpriceline/functions/b2c/b2ctest"
)

// b2cBrowser serves the env with B2C configured on a loopback origin, and
// starts a headless Chromium that reaches the tenant's host name at the
// B2C double and trusts exactly the double's certificate.
func (e *testEnv) b2cBrowser(t *testing.T, idp *b2ctest.Server) (context.Context, string) {
	t.Helper()
	exe := chromiumPath(t)
	e.web.B2CEnabled = true
	base := e.serveLoopback(t, func() http.Handler {
		e.web.B2C = newB2CSignIn(t, e, idp) // after serveLoopback set the public URL it registers
		return e.web.Handler()
	})
	// The tenant's real host name, resolved to the double; and trust for its
	// one certificate rather than ignoring all TLS errors.
	ctx := startChromium(t, exe,
		chromedp.Flag("host-resolver-rules", idp.HostResolverRules()),
		chromedp.Flag("ignore-certificate-errors-spki-list", idp.SPKIHash()),
	)
	return ctx, base
}

// The sign-in button → the provider's sign-in page → back, signed in, with
// the header showing the name typed at the provider.
func TestBrowserB2CSignIn(t *testing.T) {
	e := newEnv(t)
	idp := b2ctest.New(t, b2ctest.Options{Interactive: true})
	ctx, base := e.b2cBrowser(t, idp)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login?returnTo=%2Faccount"),
		chromedp.WaitVisible(chromedp.CSS("#b2c-sign-in")),
		chromedp.Click(chromedp.CSS("#b2c-sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#localAccountForm")),
		chromedp.SendKeys(chromedp.CSS("#email"), "casey.cloud@example.com"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Casey Cloud"),
		shot("b2c-sign-in"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("table.sessions")),
		shot("b2c-signed-in"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if loc := location(ctx, t); loc != base+"/account" {
		t.Fatalf("landed at %s, want %s/account", loc, base)
	}
	body := text(ctx, t)
	if !strings.Contains(body, "Signed in as Casey Cloud") || !strings.Contains(body, "Azure AD B2C") {
		t.Fatalf("header or account page does not show the B2C user: %s", body)
	}
	method, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch("/api/me", {credentials: "same-origin"}).then(r => r.json()).then(j => j.session.method)`, chromedp.EvalAwaitPromise))
	if err != nil || method != "b2c" {
		t.Fatalf("/api/me session method = %q, %v; want b2c", method, err)
	}
	// The flow cookie is gone once the sign-in completed.
	cookies, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if err != nil || cookies != "" {
		t.Fatalf("script-visible cookies after sign-in: %q, %v", cookies, err)
	}
}

// Cancelling on the provider's page brings the browser back to sign in,
// signed out.
func TestBrowserB2CCancel(t *testing.T) {
	e := newEnv(t)
	idp := b2ctest.New(t, b2ctest.Options{Interactive: true})
	ctx, base := e.b2cBrowser(t, idp)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#b2c-sign-in")),
		chromedp.Click(chromedp.CSS("#b2c-sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#cancel")),
		chromedp.Click(chromedp.CSS("#cancel")),
		chromedp.WaitVisible(chromedp.CSS("#sign-in")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if loc := location(ctx, t); !strings.HasPrefix(loc, base+"/login?b2c=cancelled") {
		t.Fatalf("after cancel at %s", loc)
	}
	if fetchStatus(ctx, t, "/api/me") != 401 {
		t.Fatal("signed in after cancelling")
	}
}
