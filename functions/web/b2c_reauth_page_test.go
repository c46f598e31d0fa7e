package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/priceline"
)

// ASVS 5.0 V7.5.1 on the account page: a cloud account is offered the
// provider round trip instead of a password field, the finishing form is
// shown only on the way back, and the page's form without a fresh
// sign-in at the provider is refused with a readable page that says what
// to do, leaving the account and its other sessions as they were.
func TestASVS_V7_5_1_B2CAccountPageNeedsCloudConfirmation(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	sc := b.signedInB2C()
	b.signedInB2C() // a second session, so "sign out everywhere else" is offered
	_, _, csrf := b.whoami(sc)

	page := b.get("/account", []*http.Cookie{sc}, "Accept", "text/html")
	body := string(page.Body)
	if page.Status != http.StatusOK {
		t.Fatalf("/account: %d %s", page.Status, body)
	}
	for _, want := range []string{
		`id="confirm-delete"`, `href="/api/auth/b2c/reauth?action=delete&amp;returnTo=%2Faccount%3Fconfirmed%3Ddelete"`,
		`id="confirm-sign-out-others"`, `href="/api/auth/b2c/reauth?action=signout-others&amp;returnTo=%2Faccount%3Fconfirmed%3Dsignout-others"`,
		`aria-describedby="delete-reauth-help"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/account lacks %s", want)
		}
	}
	for _, unwanted := range []string{`id="delete-account"`, `id="sign-out-others"`, `name="currentPassword"`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("/account offers %s to a cloud account before it confirmed", unwanted)
		}
	}
	back := string(b.get("/account?confirmed=delete", []*http.Cookie{sc}, "Accept", "text/html").Body)
	if !strings.Contains(back, `id="delete-account"`) || !strings.Contains(back, `role="status"`) || strings.Contains(back, `id="sign-out-others"`) {
		t.Errorf("/account?confirmed=delete does not show just the finishing delete form: %s", back)
	}

	// The forms without a grant: a page, not JSON, that names the step.
	for _, path := range []string{"/account/delete", "/account/sessions/revoke-others"} {
		r := b.do(req{Method: "POST", Path: path, Cookie: sc.Value, Form: url.Values{"csrf_token": {csrf}}})
		got := string(r.Body)
		if r.Status != http.StatusForbidden || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(got, "Confirm with your cloud sign-in") || !strings.Contains(got, "within "+priceline.LifetimeText(priceline.ReauthMaxAge)) {
			t.Errorf("%s without a grant: %d %s %s", path, r.Status, r.Header.Get("Content-Type"), got)
		}
	}
	if me := b.meWith(sc); me.Status != http.StatusOK {
		t.Fatalf("the account or session is gone after refused forms: %d", me.Status)
	}
	if r := b.get("/api/me/sessions", []*http.Cookie{sc}); r.Status != http.StatusOK || len(r.JSON["sessions"].([]any)) != 2 {
		t.Fatalf("sessions after a refused sign out everywhere else: %d %s", r.Status, r.Body)
	}

	// A local account keeps its password fields and gets no confirmed form.
	b.register("local-page@example.com")
	a := b.login("local-page@example.com", goodPassword)
	local := string(b.get("/account?confirmed=delete", []*http.Cookie{{Name: SessionCookie, Value: a.Cookie}}, "Accept", "text/html").Body)
	if !strings.Contains(local, `id="deleteCurrentPassword"`) || strings.Contains(local, "confirm-delete") || strings.Contains(local, "You confirmed it is you") {
		t.Errorf("local account page: %s", local)
	}
}
