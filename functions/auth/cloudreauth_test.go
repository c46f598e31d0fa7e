package auth

import (
	"context"
	"net/url"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// newReauthEnv is a cloud env with account tokens (where re-authentication
// grants are kept) and a cloud user signed in long ago.
func newReauthEnv(t *testing.T) (*cloudEnv, *Result) {
	t.Helper()
	c := newCloudEnv(t)
	if c.svc.AccountTokens == nil {
		c.svc.AccountTokens = memstore.NewAccountTokens()
	}
	res := c.signIn(t).Session
	c.clock.Advance(10 * time.Minute) // the sign-in itself is no re-authentication
	return c, res
}

// reauth starts a re-authentication for action as res's browser, lets the
// provider vouch for id, and finishes it.
func (c *cloudEnv) reauth(t *testing.T, res *Result, action string, id *priceline.ExternalIdentity) (*CloudOutcome, error) {
	t.Helper()
	ctx := context.Background()
	started, err := c.svc.BeginCloudReauth(ctx, c.sso, res.User, res.Session, action, "/account")
	if err != nil {
		t.Fatalf("BeginCloudReauth: %v", err)
	}
	c.idp.setIdentity(id)
	return c.svc.FinishCloudSignIn(ctx, c.sso, back(t, started, res.Cookie))
}

// freshIdentity is the signed-in cloud user, signed in at the provider at.
func freshIdentity(at time.Time) *priceline.ExternalIdentity {
	id := b2cIdentity("oid-cloud", "cloud@example.com", "Cloud User")
	id.AuthTime = at
	return id
}

// ASVS 5.0 V7.5.1: a re-authentication asks the provider for a sign-in no
// older than 5 minutes and records the action and user on the flow.
func TestASVS_V7_5_1_CloudReauthFlowAsksForMaxAge(t *testing.T) {
	c, res := newReauthEnv(t)
	ctx := context.Background()
	started, err := c.svc.BeginCloudReauth(ctx, c.sso, res.User, res.Session, ReauthDeleteAccount, "")
	if err != nil {
		t.Fatal(err)
	}
	flow, err := c.flows.TakeFlow(ctx, started.FlowID)
	if err != nil {
		t.Fatal(err)
	}
	if flow.MaxAge != priceline.ReauthMaxAge || flow.Action != ReauthDeleteAccount || flow.UserID != res.User.ID || flow.ReturnTo != "/account" {
		t.Errorf("flow = MaxAge %v Action %q UserID %q ReturnTo %q", flow.MaxAge, flow.Action, flow.UserID, flow.ReturnTo)
	}
	_, err = c.svc.BeginCloudReauth(ctx, c.sso, res.User, res.Session, "change-everything", "")
	wantCode(t, err, priceline.KindInvalid, "invalid_reauth_action")
	local := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal}
	_, err = c.svc.BeginCloudReauth(ctx, c.sso, local, res.Session, ReauthDeleteAccount, "")
	wantCode(t, err, priceline.KindForbidden, "b2c_not_cloud_account")
}

// ASVS 5.0 V7.5.1: with a fresh auth_time the pending action succeeds, once.
func TestASVS_V7_5_1_CloudReauthFreshAuthTimeAccepted(t *testing.T) {
	c, res := newReauthEnv(t)
	ctx := context.Background()
	other := c.signIn(t).Session
	out, err := c.reauth(t, res, ReauthSignOutOthers, freshIdentity(c.clock.Now().Add(-time.Minute)))
	if err != nil || out.Redirect != "/account" || out.Session != nil {
		t.Fatalf("finish = %+v, %v", out, err)
	}
	n, err := c.svc.RevokeOtherSessionsReauth(ctx, res.User, res.Session, "", client)
	if err != nil || n != 1 {
		t.Fatalf("sign out others after re-authentication: %d, %v", n, err)
	}
	if _, _, err := c.svc.Authenticate(ctx, other.Cookie); err == nil {
		t.Error("the other session still works")
	}
	// Single use: the grant is gone.
	_, err = c.svc.RevokeOtherSessionsReauth(ctx, res.User, res.Session, "", client)
	wantCode(t, err, priceline.KindForbidden, "reauthentication_required")

	// And deletion, with its own re-authentication.
	if _, err := c.reauth(t, res, ReauthDeleteAccount, freshIdentity(c.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.DeleteAccount(ctx, c.sso, res.User, res.Session, "", client); err != nil {
		t.Fatalf("delete after re-authentication: %v", err)
	}
	if _, err := c.users.UserByID(ctx, res.User.ID); !priceline.IsNotFound(err) {
		t.Fatalf("user still there: %v", err)
	}
}

// ASVS 5.0 V7.5.1: the old stand-in is gone: a session that has just
// started is no re-authentication, and neither is a password.
func TestASVS_V7_5_1_CloudAccountWithoutReauthRefused(t *testing.T) {
	c := newCloudEnv(t)
	c.svc.AccountTokens = memstore.NewAccountTokens()
	res := c.signIn(t).Session
	ctx := context.Background()
	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, res.User, res.Session, "anything", client), priceline.KindForbidden, "reauthentication_required")
	_, err := c.svc.RevokeOtherSessionsReauth(ctx, res.User, res.Session, "", client)
	wantCode(t, err, priceline.KindForbidden, "reauthentication_required")
}

// ASVS 5.0 V7.5.1: a stale auth_time (the provider answered from its
// single-sign-on session) is refused at the callback, and leaves nothing.
func TestASVS_V7_5_1_CloudReauthStaleAuthTimeRefused(t *testing.T) {
	c, res := newReauthEnv(t)
	ctx := context.Background()
	for name, at := range map[string]time.Time{
		"stale":   c.clock.Now().Add(-priceline.ReauthMaxAge - reauthSkew - time.Second),
		"missing": {},
		"future":  c.clock.Now().Add(reauthSkew + time.Minute),
	} {
		_, err := c.reauth(t, res, ReauthDeleteAccount, freshIdentity(at))
		if err == nil || priceline.ErrorCode(err) != "reauthentication_required" || priceline.ErrorKind(err) != priceline.KindForbidden {
			t.Errorf("%s auth_time: %v, want reauthentication_required", name, err)
		}
	}
	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, res.User, res.Session, "", client), priceline.KindForbidden, "reauthentication_required")
}

// The grant expires five minutes after the sign-in at the provider, and is
// bound to its action and its session.
func TestASVS_V7_5_1_CloudReauthGrantBoundAndShortLived(t *testing.T) {
	c, res := newReauthEnv(t)
	ctx := context.Background()
	if _, err := c.reauth(t, res, ReauthDeleteAccount, freshIdentity(c.clock.Now())); err != nil {
		t.Fatal(err)
	}
	_, err := c.svc.RevokeOtherSessionsReauth(ctx, res.User, res.Session, "", client)
	wantCode(t, err, priceline.KindForbidden, "reauthentication_required") // another action
	second := c.signIn(t).Session
	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, second.User, second.Session, "", client), priceline.KindForbidden, "reauthentication_required") // another session
	c.clock.Advance(priceline.ReauthMaxAge + time.Second)
	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, res.User, res.Session, "", client), priceline.KindForbidden, "reauthentication_required") // too late
}

// ASVS 5.0 V7.5.1: the callback counts only for the user who started it:
// the provider vouching for another account, or the browser now signed in
// as another account, or signed out, confirms nothing.
func TestASVS_V7_5_1_CloudReauthOtherUserRefused(t *testing.T) {
	c, res := newReauthEnv(t)
	ctx := context.Background()
	otherID := b2cIdentity("oid-other", "other@example.com", "Other")
	otherID.AuthTime = c.clock.Now()
	_, err := c.reauth(t, res, ReauthDeleteAccount, otherID)
	wantCode(t, err, priceline.KindForbidden, "b2c_reauth_other_user")

	// Started by res, finished in a browser signed in as someone else.
	started, err := c.svc.BeginCloudReauth(ctx, c.sso, res.User, res.Session, ReauthDeleteAccount, "")
	if err != nil {
		t.Fatal(err)
	}
	c.idp.setIdentity(otherID)
	otherRes, err := c.svc.SignInExternal(ctx, otherID, cloudClient)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.svc.FinishCloudSignIn(ctx, c.sso, back(t, started, otherRes.Cookie))
	wantCode(t, err, priceline.KindForbidden, "b2c_reauth_other_user")

	// Signed out meanwhile.
	started, err = c.svc.BeginCloudReauth(ctx, c.sso, res.User, res.Session, ReauthDeleteAccount, "")
	if err != nil {
		t.Fatal(err)
	}
	c.idp.setIdentity(freshIdentity(c.clock.Now()))
	_, err = c.svc.FinishCloudSignIn(ctx, c.sso, back(t, started, ""))
	wantCode(t, err, priceline.KindForbidden, "b2c_reauth_signed_out")

	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, res.User, res.Session, "", client), priceline.KindForbidden, "reauthentication_required")
	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, otherRes.User, otherRes.Session, "", client), priceline.KindForbidden, "reauthentication_required")
}

// A cancel at the provider confirms nothing: the outcome names the
// cancelled action (so the web layer can say so instead of going to the
// returnTo, which expects a confirmation), and no grant is left.
func TestCloudReauthCancelled(t *testing.T) {
	c, res := newReauthEnv(t)
	ctx := context.Background()
	started, err := c.svc.BeginCloudReauth(ctx, c.sso, res.User, res.Session, ReauthDeleteAccount, "/account")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.svc.FinishCloudSignIn(ctx, c.sso, CloudCallback{FlowID: started.FlowID,
		Query: url.Values{"state": {state(t, started.Redirect)}, "error": {"cancel"}}, SessionCookie: res.Cookie, Client: cloudClient})
	if err != nil || out.Redirect != "/account" || out.ReauthCancelled != ReauthDeleteAccount || out.Session != nil || out.FlowID != "" {
		t.Fatalf("cancel = %+v, %v", out, err)
	}
	wantCode(t, c.svc.DeleteAccount(ctx, c.sso, res.User, res.Session, "", client), priceline.KindForbidden, "reauthentication_required")
}
