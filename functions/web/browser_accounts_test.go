package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hospitalpriceline/functions/priceline"
)

// The whole lifecycle of a local account in Chromium, reading each link
// from the dev mail folder: verify (the nudge, resend, confirm, confirm
// again), change the address, forget and reset the password from the
// sign-in page, and delete the account.
func TestBrowserAccountLifecycle(t *testing.T) {
	e := newEnv(t)
	e.register("bea@example.com")
	ctx, base := e.browser(t)
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}

	// Verification: the account page nudges and resends; the link confirms.
	do(chromedp.Navigate(base+"/login"), signInInBrowser("bea@example.com", goodPassword),
		chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.CSS("#verify-nudge")), shot("account-unverified"),
		chromedp.Click(chromedp.CSS("#resend-verification")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	waitText(ctx, t, "We sent you a new link")
	tok := e.linkFrom("bea@example.com", priceline.MailVerifyEmail)
	do(chromedp.Navigate(base+"/verify-email?token="+tok), chromedp.WaitVisible(chromedp.CSS("#confirm-email")), shot("verify"),
		chromedp.Click(chromedp.CSS("#confirm-email")), chromedp.WaitVisible(chromedp.CSS("#verify-done")))
	waitText(ctx, t, "your email address is confirmed")
	do(chromedp.Navigate(base+"/verify-email?token="+tok), chromedp.WaitVisible(chromedp.CSS("#confirm-email")),
		chromedp.Click(chromedp.CSS("#confirm-email")), chromedp.WaitVisible(chromedp.CSS("#verify-done")))
	waitText(ctx, t, "already confirmed")
	do(chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.CSS("#change-email")))
	if strings.Contains(text(ctx, t), "Send the link again") {
		t.Fatal("the account page still nudges after verifying")
	}

	// Email change: the new address's link completes it.
	do(chromedp.SendKeys(chromedp.CSS("#newEmail"), "bea.new@example.com"),
		chromedp.SendKeys(chromedp.CSS("#emailCurrentPassword"), goodPassword),
		chromedp.Click(chromedp.CSS("#change-email")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	waitText(ctx, t, "We sent a link to your new address")
	tok = e.linkFrom("bea.new@example.com", priceline.MailEmailChangeVerify)
	do(chromedp.Navigate(base+"/verify-email?token="+tok), chromedp.WaitVisible(chromedp.CSS("#confirm-email")),
		chromedp.Click(chromedp.CSS("#confirm-email")), chromedp.WaitVisible(chromedp.CSS("#verify-done")))
	waitText(ctx, t, "Your email address is changed")
	e.mailTo("bea@example.com", priceline.MailEmailChanged)

	// Forgot → reset from the sign-in page; the reset signs this browser out.
	do(chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
		chromedp.Navigate(base+"/login"), chromedp.Click(chromedp.CSS("#forgot-password")),
		chromedp.WaitVisible(chromedp.CSS("#send-reset")), shot("forgot"),
		chromedp.SendKeys(chromedp.CSS("#email"), "bea.new@example.com"),
		chromedp.Click(chromedp.CSS("#send-reset")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	waitText(ctx, t, "If that address has an account")
	tok = e.linkFrom("bea.new@example.com", priceline.MailPasswordReset)
	const newPassword = "a brand new passphrase 77"
	do(chromedp.Navigate(base+"/reset-password?token="+tok), chromedp.WaitVisible(chromedp.CSS("#newPassword")), shot("reset"),
		chromedp.SendKeys(chromedp.CSS("#newPassword"), newPassword),
		chromedp.Click(chromedp.CSS("#reset-password")), chromedp.WaitVisible(chromedp.CSS("#sign-in")))
	waitText(ctx, t, "Your password was changed")
	// The used link explains itself and offers a new one.
	do(chromedp.Navigate(base+"/reset-password?token="+tok), chromedp.WaitVisible(chromedp.CSS("#newPassword")),
		chromedp.SendKeys(chromedp.CSS("#newPassword"), "yet another passphrase 79"),
		chromedp.Click(chromedp.CSS("#reset-password")), chromedp.WaitVisible(chromedp.CSS("#new-link")))
	waitText(ctx, t, "This link does not work")

	// Delete the account.
	do(chromedp.Navigate(base+"/login"), signInInBrowser("bea.new@example.com", newPassword),
		chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.CSS("#delete-account")),
		chromedp.SendKeys(chromedp.CSS("#deleteCurrentPassword"), newPassword),
		chromedp.Click(chromedp.CSS("#delete-account")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	waitText(ctx, t, "Your account and everything saved in it were deleted")
	if fetchStatus(ctx, t, "/api/me") != 401 {
		t.Fatal("/api/me is not 401 after deleting the account")
	}
	e.mailTo("bea.new@example.com", priceline.MailAccountDeleted)
}
