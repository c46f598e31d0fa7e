package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/b2c/b2ctest"
)

// ASVS 5.0 V7.5.1 end to end with the real MSAL client and the B2C double:
// a cloud account cannot delete itself on its session alone; the reauth
// route sends it to the provider with max_age=300 and prompt=login, and
// after a fresh sign-in there the page's DELETE succeeds.
func TestASVS_V7_5_1_B2CReauthThenDeleteAccount(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	sc := b.signedInB2C()
	me := b.meWith(sc)
	csrf, _ := me.JSON["csrfToken"].(string)
	if csrf == "" {
		t.Fatalf("/api/me gave no CSRF token: %s", me.Body)
	}
	del := func() *response {
		return b.do(req{Method: "DELETE", Path: "/api/me", Cookie: sc.Value, CSRF: csrf, JSON: map[string]string{}})
	}
	if r := del(); r.Status != http.StatusForbidden || r.errorCode() != "reauthentication_required" {
		t.Fatalf("delete without re-authentication: %d %s", r.Status, r.Body)
	}
	if r := b.get("/api/auth/b2c/reauth?action=everything", []*http.Cookie{sc}); r.Status != http.StatusBadRequest || r.errorCode() != "invalid_reauth_action" {
		t.Fatalf("unknown action: %d %s", r.Status, r.Body)
	}
	s := b.begin("/api/auth/b2c/reauth?action=delete&returnTo=%2Faccount", sc)
	u, err := url.Parse(s.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("max_age") != "300" || q.Get("prompt") != "login" {
		t.Fatalf("provider URL max_age %q prompt %q", q.Get("max_age"), q.Get("prompt"))
	}
	cb := b.get(b.atProvider(s), []*http.Cookie{sc, s.Flow})
	if cb.Status != http.StatusSeeOther || cb.Header.Get("Location") != "/account" {
		t.Fatalf("callback: %d %s %s", cb.Status, cb.Header.Get("Location"), cb.Body)
	}
	if c := cb.cookie(); c != nil && c.Value != "" && c.Value != sc.Value {
		t.Fatal("a re-authentication started a new session")
	}
	if r := del(); r.Status != http.StatusNoContent {
		t.Fatalf("delete after re-authentication: %d %s", r.Status, r.Body)
	}
	if r := b.meWith(sc); r.Status != http.StatusUnauthorized {
		t.Fatalf("/api/me after deletion: %d", r.Status)
	}
}

// A provider that answers from its single-sign-on session despite max_age
// returns a stale auth_time: the callback refuses it (403
// reauthentication_required) and the delete stays refused.
func TestASVS_V7_5_1_B2CReauthStaleAuthTimeRefused(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{IgnoreReauth: true})
	sc := b.signedInB2C()
	csrf, _ := b.meWith(sc).JSON["csrfToken"].(string)
	b.idp.SetLastSignIn(time.Now().Add(-10 * time.Minute))
	s := b.begin("/api/auth/b2c/reauth?action=signout-others", sc)
	cb := b.get(b.atProvider(s), []*http.Cookie{sc, s.Flow})
	if cb.Status != http.StatusForbidden || !strings.Contains(string(cb.Body), "reauthentication_required") && cb.errorCode() != "reauthentication_required" {
		t.Fatalf("stale callback: %d %s", cb.Status, cb.Body)
	}
	r := b.do(req{Method: "DELETE", Path: "/api/me/sessions", Cookie: sc.Value, CSRF: csrf, JSON: map[string]string{}})
	if r.Status != http.StatusForbidden || r.errorCode() != "reauthentication_required" {
		t.Fatalf("sign out others after a stale re-authentication: %d %s", r.Status, r.Body)
	}
}

// The reauth route needs a signed-in cloud account.
func TestB2CReauthNeedsACloudSession(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	if r := b.get("/api/auth/b2c/reauth?action=delete", nil); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("signed out: %d %s", r.Status, r.Header.Get("Location"))
	}
	b.register("local@example.com")
	a := b.login("local@example.com", goodPassword)
	r := b.get("/api/auth/b2c/reauth?action=delete", []*http.Cookie{{Name: SessionCookie, Value: a.Cookie}})
	if r.Status != http.StatusForbidden || r.errorCode() != "b2c_not_cloud_account" {
		t.Fatalf("local account: %d %s", r.Status, r.Body)
	}
}

// ASVS 5.0 V7.5.1: a cloud account that cancels the confirmation at the
// provider comes back to the account page told that nothing was confirmed
// or changed, not to the returnTo that shows the finishing form
// (?confirmed=): the flow cookie is cleared, no session starts, no grant
// is left (the page's form is still refused) and the account stays.
func TestASVS_V7_5_1_B2CReauthCancelledChangesNothing(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	sc := b.signedInB2C()
	_, _, csrf := b.whoami(sc)
	for action, finish := range map[string]string{"delete": `id="delete-account"`, "signout-others": `id="sign-out-others"`} {
		s := b.begin("/api/auth/b2c/reauth?action="+action+"&returnTo="+url.QueryEscape("/account?confirmed="+action), sc)
		b.idp.FailNextAuthorize("access_denied", "AADB2C90091: The user has cancelled entering self-asserted information.")
		cb := b.get(b.atProvider(s), []*http.Cookie{sc, s.Flow})
		if cb.Status != http.StatusSeeOther || cb.Header.Get("Location") != "/account?cancelled="+action {
			t.Fatalf("%s cancelled: %d %q %s", action, cb.Status, cb.Header.Get("Location"), cb.Body)
		}
		if fc := cb.setCookie(B2CFlowCookie); fc == nil || fc.MaxAge >= 0 {
			t.Errorf("%s cancelled: the flow cookie was not cleared", action)
		}
		if c := cb.cookie(); c != nil {
			t.Errorf("%s cancelled: a session cookie was set", action)
		}
		page := b.get(cb.Header.Get("Location"), []*http.Cookie{sc}, "Accept", "text/html")
		body := string(page.Body)
		if page.Status != http.StatusOK || !strings.Contains(body, `role="status"`) || !strings.Contains(body, "cancelled") ||
			!strings.Contains(body, "nothing was changed") || strings.Contains(body, finish) || strings.Contains(body, "You confirmed it is you") {
			t.Errorf("/account after %s was cancelled: %d %s", action, page.Status, body)
		}
	}
	r := b.do(req{Method: "POST", Path: "/account/delete", Cookie: sc.Value, Form: url.Values{"csrf_token": {csrf}}})
	if r.Status != http.StatusForbidden {
		t.Errorf("delete after a cancelled confirmation: %d %s", r.Status, r.Body)
	}
	if me := b.meWith(sc); me.Status != http.StatusOK {
		t.Fatalf("the account or session is gone after a cancelled confirmation: %d", me.Status)
	}
	// Only a cloud account's own actions are named; anything else is no notice.
	for _, q := range []string{"cancelled=everything", "cancelled=%3Cscript%3E"} {
		if body := string(b.get("/account?"+q, []*http.Cookie{sc}, "Accept", "text/html").Body); strings.Contains(body, "cancelled") {
			t.Errorf("/account?%s shows a notice: %s", q, body)
		}
	}
}
