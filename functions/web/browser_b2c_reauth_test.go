package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"hospitalpriceline/functions/b2c/b2ctest"
)

// b2cSignInActions signs in at the interactive B2C double from the site's
// sign-in page and waits for the account page.
func b2cSignInActions(base, email, name string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/login?returnTo=%2Faccount"),
		chromedp.WaitVisible(chromedp.CSS("#b2c-sign-in")),
		chromedp.Click(chromedp.CSS("#b2c-sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#localAccountForm")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("table.sessions")),
	}
}

// confirmAtProvider follows a "Confirm with your cloud sign-in" link on
// the account page, signs in again at the double as email, and waits for
// the account page's finishing button.
func confirmAtProvider(link, email, name, finish string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.CSS(link)),
		chromedp.Click(chromedp.CSS(link)),
		chromedp.WaitVisible(chromedp.CSS("#localAccountForm")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS(finish)),
	}
}

// ASVS 5.0 V7.5.1 in the browser: a cloud account deletes itself from the
// account page through a fresh sign-in at the provider, then is signed out
// with its account gone.
func TestBrowserB2CDeleteAccountAfterCloudConfirmation(t *testing.T) {
	e := newEnv(t)
	idp := b2ctest.New(t, b2ctest.Options{Interactive: true})
	ctx, base := e.b2cBrowser(t, idp)
	const email, name = "dana.cloud@example.com", "Dana Cloud"
	steps := append(b2cSignInActions(base, email, name), shot("b2c-account-confirm"))
	steps = append(steps, confirmAtProvider("#confirm-delete", email, name, "#delete-account")...)
	err := chromedp.Do(ctx, append(steps, shot("b2c-account-confirmed"))...)
	if err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "You confirmed it is you with the cloud sign-in")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#delete-account")), chromedp.WaitVisible(chromedp.CSS(".notice"))); err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "Your account and everything saved in it were deleted")
	if fetchStatus(ctx, t, "/api/me") != 401 {
		t.Fatal("/api/me is not 401 after deleting the cloud account")
	}
}

// ASVS 5.0 V7.5.1 in the browser: "sign out everywhere else" for a
// cloud account goes through the provider, and ends the other browser's
// session while this one stays signed in.
func TestBrowserB2CSignOutOthersAfterCloudConfirmation(t *testing.T) {
	e := newEnv(t)
	idp := b2ctest.New(t, b2ctest.Options{Interactive: true})
	ctx, base := e.b2cBrowser(t, idp)
	const email, name = "eli.cloud@example.com", "Eli Cloud"
	other, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(other, b2cSignInActions(base, email, name)...); err != nil {
		t.Fatal(err)
	}
	steps := append(b2cSignInActions(base, email, name), confirmAtProvider("#confirm-sign-out-others", email, name, "#sign-out-others")...)
	err := chromedp.Do(ctx, append(steps, chromedp.Click(chromedp.CSS("#sign-out-others")), chromedp.WaitVisible(chromedp.CSS(".notice")))...)
	if err != nil {
		t.Fatal(err)
	}
	waitText(ctx, t, "You were signed out everywhere else")
	if fetchStatus(ctx, t, "/api/me") != 200 {
		t.Fatal("this browser was signed out too")
	}
	if fetchStatus(other, t, "/api/me") != 401 {
		t.Fatal("the other browser is still signed in")
	}
}

// ASVS 5.0 V7.5.1 in the browser: cancelling the confirmation on the
// provider's page brings the cloud account back to its account page, told
// that nothing changed, with the confirm link and not the finishing button.
func TestBrowserB2CReauthCancelledChangesNothing(t *testing.T) {
	e := newEnv(t)
	idp := b2ctest.New(t, b2ctest.Options{Interactive: true})
	ctx, base := e.b2cBrowser(t, idp)
	const email, name = "fay.cloud@example.com", "Fay Cloud"
	steps := append(b2cSignInActions(base, email, name),
		chromedp.Click(chromedp.CSS("#confirm-delete")),
		chromedp.WaitVisible(chromedp.CSS("#cancel")),
		chromedp.Click(chromedp.CSS("#cancel")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-delete")),
		shot("b2c-account-confirm-cancelled"))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
	if loc := location(ctx, t); loc != base+"/account?cancelled=delete" {
		t.Fatalf("after cancelling at %s", loc)
	}
	waitText(ctx, t, "nothing was changed")
	finishing, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("delete-account") !== null`))
	if err != nil || finishing {
		t.Fatalf("the finishing delete button is shown after a cancel (%v)", err)
	}
	if fetchStatus(ctx, t, "/api/me") != 200 {
		t.Fatal("signed out after cancelling a confirmation")
	}
}
