package web

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// mfaBrowser starts Chromium against the env served on http://localhost
// (an IP address cannot be a WebAuthn RP ID; localhost is a secure
// context), with two-step sign-in and passkeys for that origin.
func (e *testEnv) mfaBrowser(t *testing.T) (context.Context, string) {
	t.Helper()
	exe := chromiumPath(t)
	e.srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener.Close()
	srv.Listener = l
	_, port, _ := net.SplitHostPort(l.Addr().String())
	base := "http://localhost:" + port
	e.web.Config.PublicURL = base
	e.withMFA(t, base)
	srv.Config.Handler = e.web.Handler()
	srv.Start()
	e.srv = srv
	t.Cleanup(srv.Close)
	return startChromium(t, exe), base
}

// virtualAuthenticator adds a platform authenticator to the tab through
// the DevTools WebAuthn domain: CTAP2, internal transport, resident keys
// and user verification that succeeds.
func virtualAuthenticator() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
			Options: &cdpwebauthn.VirtualAuthenticatorOptions{
				Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Ctap2version: cdpwebauthn.Ctap2versionCtap21,
				Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return err
	})
}

func waitText(ctx context.Context, t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"))); err == nil && strings.Contains(s, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the page never said %q; it says: %s", want, text(ctx, t))
}

// meMethod is the method of the browser's current session.
func meMethod(ctx context.Context, t *testing.T) string {
	t.Helper()
	m, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/api/me", {credentials: "same-origin"}).then(r => r.json()).then(j => j.session.method)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Add a passkey from /account (with the current password), sign out, sign in with it (no email, no
// password), sign in again with the password and the passkey as the
// second step, and remove it with the current password.
func TestBrowserPasskeyAddSignInRemove(t *testing.T) {
	e := newEnv(t)
	ctx, base := e.mfaBrowser(t)
	e.register("passkey@example.com")
	err := chromedp.Do(ctx,
		virtualAuthenticator(),
		chromedp.Navigate(base+"/login"),
		signInInBrowser("passkey@example.com", goodPassword),
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#add-passkey")),
		chromedp.Clear(chromedp.CSS("#passkeyName")),
		chromedp.SendKeys(chromedp.CSS("#passkeyName"), "Test laptop"),
		// Without the current password the page asks for it (ASVS V7.5.1).
		chromedp.Click(chromedp.CSS("#add-passkey")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "Enter your current password to add a passkey.")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#passkeyPassword"), "not my password"),
		chromedp.Click(chromedp.CSS("#add-passkey")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "Your current password is incorrect.")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#passkeyPassword"), goodPassword),
		chromedp.Click(chromedp.CSS("#add-passkey")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The first passkey turns two-step sign-in on and brings the
	// account's recovery codes, shown once.
	err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#recovery-codes")), chromedp.Click(chromedp.CSS("#codes-saved")))
	if err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "Your passkey was added.")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#passkey-list")), shot("account-security")); err != nil {
		t.Fatal(err)
	}
	if body := text(ctx, t); !strings.Contains(body, "Test laptop") || !strings.Contains(body, "Two-step sign-in is on") {
		t.Fatalf("account page after adding: %s", body)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
		chromedp.Navigate(base+"/login?returnTo=%2Faccount"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-sign-in")),
		shot("passkey-sign-in"),
		chromedp.Click(chromedp.CSS("#passkey-sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if m := meMethod(ctx, t); m != "passkey" {
		t.Fatalf("session method = %q, want passkey", m)
	}
	waitText(ctx, t, "signed in with passkey")

	// The passkey as the second step after the password, from the
	// two-step page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
		chromedp.Navigate(base+"/login?returnTo=%2Faccount"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "passkey@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#mfa-passkey")),
		chromedp.Click(chromedp.CSS("#mfa-passkey")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if m := meMethod(ctx, t); m != "password+passkey" {
		t.Fatalf("session method = %q, want password+passkey", m)
	}
	waitText(ctx, t, "signed in with password and passkey")

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#passkey-list summary")),
		chromedp.SendKeys(chromedp.CSS("#passkey-list input[type=password]"), goodPassword),
		chromedp.Click(chromedp.CSS(".remove-passkey")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "Your passkey was removed.")
	if body := text(ctx, t); strings.Contains(body, "Test laptop") || !strings.Contains(body, "Two-step sign-in is off") {
		t.Fatalf("account page after removing: %s", body)
	}
}

// Set up an authenticator app from /account (the test computes the codes),
// then sign in with the password and a code.
func TestBrowserTOTPSetupAndTwoStepSignIn(t *testing.T) {
	e := newEnv(t)
	ctx, base := e.mfaBrowser(t)
	e.register("totp@example.com")
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		signInInBrowser("totp@example.com", goodPassword),
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#totp-setup")),
		chromedp.SendKeys(chromedp.CSS("#totpPassword"), goodPassword),
		chromedp.Click(chromedp.CSS("#totp-setup")),
		chromedp.WaitVisible(chromedp.CSS("#totp-qr")),
		shot("totp-setup"),
	)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#totp-secret")))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), totpCode(t, strings.TrimSpace(secret), e.clock.Now())),
		chromedp.Click(chromedp.CSS("#confirm-totp")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`)); err != nil || n != 10 {
		t.Fatalf("%d recovery codes shown (%v), want 10", n, err)
	}
	e.clock.Advance(30 * time.Second)
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "totp@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#verify-code")),
		shot("two-step-sign-in"),
		chromedp.SendKeys(chromedp.CSS("#code"), totpCode(t, strings.TrimSpace(secret), e.clock.Now())),
		chromedp.Click(chromedp.CSS("#verify-code")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if m := meMethod(ctx, t); m != "password+totp" {
		t.Fatalf("session method = %q, want password+totp", m)
	}
}
