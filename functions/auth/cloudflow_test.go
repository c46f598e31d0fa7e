package auth

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// The user flows of the fake tenant. The provider keeps its own spelling of
// a policy in the flow, as B2C's names are case-insensitive.
const (
	fakeSignInPolicy = "B2C_1_signupsignin"
	fakeResetPolicy  = "B2C_1_passwordreset"
	fakeEditPolicy   = "B2C_1_profileedit"
)

// fakeProvider is a priceline.IdentityProvider that plays the provider's
// part of the contract without a network: it checks state as b2c.Client
// does, answers the user's choices at the provider (callback "error"
// values "forgot" and "cancel") with the codes the flow acts on, and vouches
// for whichever identity the test set.
type fakeProvider struct {
	now func() time.Time

	mu        sync.Mutex
	identity  *priceline.ExternalIdentity
	tokens    []byte // returned by CompleteWithTokens
	logoutErr error
}

var _ priceline.IdentityProvider = (*fakeProvider)(nil)

func (p *fakeProvider) setIdentity(id *priceline.ExternalIdentity) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.identity = id
}

func (p *fakeProvider) Begin(_ context.Context, policy, returnTo string, maxAge time.Duration) (string, *priceline.AuthFlow, error) {
	if policy == "" {
		policy = fakeSignInPolicy
	}
	now := p.now()
	flow := &priceline.AuthFlow{
		ID:           priceline.NewToken(32),
		State:        priceline.NewToken(16),
		Nonce:        priceline.NewToken(16),
		PKCEVerifier: priceline.NewToken(32),
		ReturnTo:     priceline.SafeReturnTo(returnTo),
		Policy:       strings.ToUpper(policy),
		MaxAge:       maxAge,
		CreatedAt:    now,
		ExpiresAt:    now.Add(priceline.AuthFlowLifetime),
	}
	return "https://idp.example/" + policy + "/authorize?state=" + flow.State, flow, nil
}

func (p *fakeProvider) Complete(ctx context.Context, flow *priceline.AuthFlow, q url.Values) (*priceline.ExternalIdentity, error) {
	id, _, err := p.complete(flow, q, false)
	return id, err
}

func (p *fakeProvider) CompleteWithTokens(ctx context.Context, flow *priceline.AuthFlow, q url.Values) (*priceline.ExternalIdentity, []byte, error) {
	return p.complete(flow, q, true)
}

func (p *fakeProvider) complete(flow *priceline.AuthFlow, q url.Values, keep bool) (*priceline.ExternalIdentity, []byte, error) {
	if q.Get("state") != flow.State {
		return nil, nil, priceline.Errorf(priceline.KindForbidden, "b2c_state_mismatch", "This sign-in response does not belong to your browser session.")
	}
	switch q.Get("error") {
	case "forgot":
		return nil, nil, priceline.Errorf(priceline.KindUnauthorized, "b2c_forgot_password", "Reset your password to continue.")
	case "cancel":
		return nil, nil, priceline.Errorf(priceline.KindUnauthorized, "b2c_cancelled", "Sign-in was cancelled.")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	id := *p.identity
	id.Policy = flow.Policy
	var blob []byte
	if keep {
		blob = p.tokens
	}
	return &id, blob, nil
}

func (p *fakeProvider) KeepsTokens() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens != nil
}

func (p *fakeProvider) LogoutURL(_ context.Context, policy, _, postLogoutRedirect string) (string, error) {
	if p.logoutErr != nil {
		return "", p.logoutErr
	}
	return "https://idp.example/logout?post_logout_redirect_uri=" + url.QueryEscape(postLogoutRedirect), nil
}

// cloudEnv is the auth test env with cloud sign-in over the fake provider
// and the in-memory flow and token stores.
type cloudEnv struct {
	*testEnv
	idp    *fakeProvider
	flows  *memstore.AuthFlows
	tokens *memstore.TokenCaches
	sso    *CloudSignIn
}

func newCloudEnv(t *testing.T) *cloudEnv {
	t.Helper()
	e := newTestEnv(t)
	c := &cloudEnv{
		testEnv: e,
		idp:     &fakeProvider{now: e.clock.Now, identity: b2cIdentity("oid-cloud", "cloud@example.com", "Cloud User")},
		flows:   &memstore.AuthFlows{Now: e.clock.Now},
		tokens:  &memstore.TokenCaches{Now: e.clock.Now, Sessions: e.sessions},
	}
	c.sso = &CloudSignIn{Client: c.idp, Flows: c.flows, Tokens: c.tokens, ResetPolicy: fakeResetPolicy, EditPolicy: fakeEditPolicy}
	return c
}

// state reads the state the provider was sent from an authorization URL.
func state(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// begin starts a sign-in and returns the outcome.
func (c *cloudEnv) begin(t *testing.T, returnTo string) *CloudOutcome {
	t.Helper()
	out, err := c.svc.BeginCloudSignIn(context.Background(), c.sso, returnTo, client)
	if err != nil {
		t.Fatalf("BeginCloudSignIn: %v", err)
	}
	return out
}

// back is the callback of a flow the provider completed normally.
func back(t *testing.T, started *CloudOutcome, sessionCookie string) CloudCallback {
	t.Helper()
	return CloudCallback{FlowID: started.FlowID, Query: url.Values{"state": {state(t, started.Redirect)}, "code": {"c"}}, SessionCookie: sessionCookie, Client: cloudClient}
}

// signIn runs a whole sign-in and returns its outcome.
func (c *cloudEnv) signIn(t *testing.T) *CloudOutcome {
	t.Helper()
	out, err := c.svc.FinishCloudSignIn(context.Background(), c.sso, back(t, c.begin(t, "/account"), ""))
	if err != nil || out.Session == nil {
		t.Fatalf("FinishCloudSignIn = %+v, %v", out, err)
	}
	return out
}

// A sign-in stores its flow until the callback, which takes it and starts
// a session like a password login, and lands where the user was going.
func TestCloudSignInBeginThenFinishStartsSession(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	started := c.begin(t, "/account?tab=1")
	if !started.ToProvider || !strings.HasPrefix(started.Redirect, "https://idp.example/") || !priceline.IsLowerHex(started.FlowID, 64) || started.Session != nil {
		t.Fatalf("begin = %+v", started)
	}
	if c.flows.Len() != 1 {
		t.Fatalf("flows stored = %d, want 1", c.flows.Len())
	}
	out, err := c.svc.FinishCloudSignIn(ctx, c.sso, back(t, started, ""))
	if err != nil {
		t.Fatalf("FinishCloudSignIn: %v", err)
	}
	if out.Redirect != "/account?tab=1" || out.ToProvider || out.FlowID != "" || out.SignInCancelled || out.Session == nil {
		t.Fatalf("finish = %+v", out)
	}
	if out.Session.Session.Method != priceline.MethodB2C || out.Session.User.Subject != "oid-cloud" {
		t.Fatalf("session %+v for user %+v", out.Session.Session, out.Session.User)
	}
	if u, _, err := c.svc.Authenticate(ctx, out.Session.Cookie); err != nil || u.ID != out.Session.User.ID {
		t.Fatalf("Authenticate(new cookie) = %v, %v", u, err)
	}
	if c.flows.Len() != 0 {
		t.Fatal("the flow was not taken")
	}
}

// An evil return path is kept out of the flow and of the redirect
// (ASVS V3.7.2).
func TestASVS_V3_7_2_CloudSignInReturnToStaysOnSite(t *testing.T) {
	c := newCloudEnv(t)
	out, err := c.svc.FinishCloudSignIn(context.Background(), c.sso, back(t, c.begin(t, "//evil.example"), ""))
	if err != nil || out.Redirect != "/" {
		t.Fatalf("finish = %+v, %v; want Redirect /", out, err)
	}
}

// A flow older than its lifetime is refused, whether the store refuses it
// or (its clock behind the service's) still hands it out, and starts no
// session.
func TestASVS_V10_1_2_CloudFlowExpiredRefused(t *testing.T) {
	c := newCloudEnv(t)
	started := c.begin(t, "/")
	c.clock.Advance(priceline.AuthFlowLifetime)
	_, err := c.svc.FinishCloudSignIn(context.Background(), c.sso, back(t, started, ""))
	wantCode(t, err, priceline.KindForbidden, "b2c_flow_expired")

	lagging := c.clock.Now()
	c.flows.Now = func() time.Time { return lagging }
	started = c.begin(t, "/")
	c.clock.Advance(priceline.AuthFlowLifetime)
	_, err = c.svc.FinishCloudSignIn(context.Background(), c.sso, back(t, started, ""))
	wantCode(t, err, priceline.KindForbidden, "b2c_flow_expired")
	if c.flows.Len() != 0 {
		t.Fatal("the expired flow handed out is still stored")
	}
	if n := c.users.Calls("CreateUser") + c.sessions.Calls("CreateSession"); n != 0 {
		t.Fatalf("expired flows made %d user or session writes", n)
	}
}

// A flow completes at most once, and a callback without this browser's
// flow finds none (ASVS V10.1.2).
func TestASVS_V10_1_2_CloudFlowTakenOnce(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	cb := back(t, c.begin(t, "/"), "")
	if _, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb); err != nil {
		t.Fatalf("first callback: %v", err)
	}
	_, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb)
	wantCode(t, err, priceline.KindForbidden, "b2c_flow_missing")
	for _, id := range []string{"", "not-a-flow", strings.Repeat("ab", 32), strings.Repeat("AB", 32)} {
		cb.FlowID = id
		_, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb)
		wantCode(t, err, priceline.KindForbidden, "b2c_flow_missing")
	}
	if n := c.users.Succeeded("CreateUser"); n != 1 {
		t.Fatalf("users = %d, want the one of the first callback", n)
	}
}

// The provider's state check refuses the callback, which then starts no
// session, and the flow is spent (ASVS V10.2.1).
func TestASVS_V10_2_1_CloudStateMismatchStartsNoSession(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	cb := back(t, c.begin(t, "/"), "")
	good := cb.Query.Get("state")
	cb.Query = url.Values{"state": {"forged-" + good}, "code": {"c"}}
	_, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb)
	wantCode(t, err, priceline.KindForbidden, "b2c_state_mismatch")
	if n := c.users.Succeeded("CreateUser"); n != 0 {
		t.Fatalf("a mismatched state created %d users", n)
	}
	cb.Query.Set("state", good)
	_, err = c.svc.FinishCloudSignIn(ctx, c.sso, cb)
	wantCode(t, err, priceline.KindForbidden, "b2c_flow_missing")
}

// A profile edit changes only the account signed in here, and only when
// the provider vouched for that very account (ASVS V10.5.2); it starts no
// session and needs a session at all.
func TestASVS_V10_5_2_CloudProfileEditForAnotherUserRefused(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	me := c.signIn(t).Session
	beginEdit := func() *CloudOutcome {
		t.Helper()
		out, err := c.svc.BeginCloudProfileEdit(ctx, c.sso, me.User, "")
		if err != nil {
			t.Fatalf("BeginCloudProfileEdit: %v", err)
		}
		return out
	}

	c.idp.setIdentity(b2cIdentity("oid-other", "mallory@example.com", "Mallory"))
	_, err := c.svc.FinishCloudSignIn(ctx, c.sso, back(t, beginEdit(), me.Cookie))
	wantCode(t, err, priceline.KindForbidden, "b2c_profile_other_user")
	if u, _ := c.users.UserByID(ctx, me.User.ID); u.Name != "Cloud User" {
		t.Fatalf("the refused edit renamed the user to %q", u.Name)
	}
	if _, err := c.users.UserBySubject(ctx, priceline.ProviderB2C, "oid-other"); !priceline.IsNotFound(err) {
		t.Fatalf("the refused edit created the other account: %v", err)
	}

	c.idp.setIdentity(b2cIdentity("oid-cloud", "cloud@example.com", "Renamed"))
	_, err = c.svc.FinishCloudSignIn(ctx, c.sso, back(t, beginEdit(), ""))
	wantCode(t, err, priceline.KindForbidden, "b2c_profile_signed_out")

	out, err := c.svc.FinishCloudSignIn(ctx, c.sso, back(t, beginEdit(), me.Cookie))
	if err != nil || out.Session != nil || out.Redirect != "/account" || out.ToProvider {
		t.Fatalf("edit = %+v, %v; want back to /account with no new session", out, err)
	}
	if u, _ := c.users.UserByID(ctx, me.User.ID); u.Name != "Renamed" {
		t.Fatalf("after the edit the name is %q", u.Name)
	}
	if e := c.sessionCount(t, me.User.ID); e != 1 {
		t.Fatalf("sessions after the edit = %d, want the one it was made in", e)
	}
}

// Only a cloud account has a cloud profile to edit.
func TestCloudProfileEditRefusesLocalAccount(t *testing.T) {
	c := newCloudEnv(t)
	local := c.register(t, "local@example.com")
	_, err := c.svc.BeginCloudProfileEdit(context.Background(), c.sso, local, "")
	wantCode(t, err, priceline.KindForbidden, "b2c_not_cloud_account")
	if c.flows.Len() != 0 {
		t.Fatal("a refused edit stored a flow")
	}
}

// The provider's tokens are kept under the new session's key and deleted
// when it signs out or when the clean-up finds its session gone
// (ASVS V10.1.1); a profile edit leaves them alone.
func TestASVS_V10_1_1_CloudTokenCacheKeptAndDropped(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	c.idp.tokens = []byte(`{"AccessToken":{}}`)
	first := c.signIn(t).Session
	if blob, err := c.tokens.TokenCache(ctx, first.User.ID, first.Session.Key); err != nil || string(blob) != `{"AccessToken":{}}` {
		t.Fatalf("kept cache = %q, %v", blob, err)
	}

	// A profile edit neither keeps nor drops tokens.
	edit, err := c.svc.BeginCloudProfileEdit(ctx, c.sso, first.User, "")
	if err != nil {
		t.Fatal(err)
	}
	c.idp.tokens = []byte(`{"other":1}`)
	if _, err := c.svc.FinishCloudSignIn(ctx, c.sso, back(t, edit, first.Cookie)); err != nil {
		t.Fatal(err)
	}
	if blob, _ := c.tokens.TokenCache(ctx, first.User.ID, first.Session.Key); string(blob) != `{"AccessToken":{}}` {
		t.Fatalf("a profile edit changed the kept tokens to %q", blob)
	}

	// Signing out drops them.
	out, err := c.svc.SignOutCloud(ctx, c.sso, first.Session, "https://priceline.example/")
	if err != nil || out.TokensNotDropped != nil {
		t.Fatalf("SignOutCloud = %+v, %v", out, err)
	}
	if _, err := c.tokens.TokenCache(ctx, first.User.ID, first.Session.Key); !priceline.IsNotFound(err) {
		t.Fatalf("tokens survived sign-out: %v", err)
	}

	// A revoked session's tokens go at the next clean-up; a live one's stay.
	second, third := c.signIn(t).Session, c.signIn(t).Session
	if err := c.svc.RevokeSession(ctx, second.User.ID, second.Session.Key); err != nil {
		t.Fatal(err)
	}
	if n, err := c.svc.DeleteOrphanedCloudTokens(ctx, c.sso); err != nil || n != 1 {
		t.Fatalf("DeleteOrphanedCloudTokens = %d, %v; want 1", n, err)
	}
	if _, err := c.tokens.TokenCache(ctx, third.User.ID, third.Session.Key); err != nil {
		t.Fatalf("a live session's tokens were swept: %v", err)
	}
	if n, err := c.svc.DeleteOrphanedCloudTokens(ctx, nil); err != nil || n != 0 {
		t.Fatalf("clean-up without cloud sign-in = %d, %v", n, err)
	}
}

// Tokens that cannot be kept do not undo the sign-in; the reason comes back
// to be logged, by size and code, never by content.
func TestCloudTokenCacheNotKeptIsReportedNotFatal(t *testing.T) {
	c := newCloudEnv(t)
	c.idp.tokens = []byte(`{"AccessToken":{"secret":"at-123"}}`)
	c.tokens.Fail = memstore.FailOn(priceline.Errorf(priceline.KindInvalid, "token_cache_too_large", "The token cache is too large."), "PutTokenCache")
	out := c.signIn(t)
	if priceline.ErrorCode(out.TokensNotKept) != "token_cache_too_large" || strings.Contains(out.TokensNotKept.Error(), "at-123") {
		t.Fatalf("TokensNotKept = %v", out.TokensNotKept)
	}
	if _, _, err := c.svc.Authenticate(context.Background(), out.Session.Cookie); err != nil {
		t.Fatalf("the session does not work: %v", err)
	}
}

// Without tokens from the provider, or without a store, nothing is kept.
func TestCloudTokenCacheNotKeptWithoutTokens(t *testing.T) {
	c := newCloudEnv(t)
	s := c.signIn(t).Session
	if _, err := c.tokens.TokenCache(context.Background(), s.User.ID, s.Session.Key); !priceline.IsNotFound(err) {
		t.Fatalf("a cache was kept without provider tokens: %v", err)
	}
	c.idp.tokens = []byte(`{}`)
	c.sso.Tokens = nil
	if out := c.signIn(t); out.TokensNotKept != nil {
		t.Fatalf("TokensNotKept without a store: %v", out.TokensNotKept)
	}
}

// "Forgot your password?" starts the reset flow with a new flow; without a
// reset flow configured it is an error the user can read.
func TestCloudForgotPasswordStartsResetFlow(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	started := c.begin(t, "/account")
	cb := back(t, started, "")
	cb.Query.Set("error", "forgot")
	out, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb)
	if err != nil || !out.ToProvider || !strings.Contains(out.Redirect, fakeResetPolicy) || out.FlowID == "" || out.FlowID == started.FlowID || out.Session != nil {
		t.Fatalf("forgot password = %+v, %v", out, err)
	}
	done, err := c.svc.FinishCloudSignIn(ctx, c.sso, back(t, out, ""))
	if err != nil || done.Session == nil || done.Redirect != "/account" {
		t.Fatalf("after the reset = %+v, %v", done, err)
	}

	c.sso.ResetPolicy = ""
	cb = back(t, c.begin(t, "/"), "")
	cb.Query.Set("error", "forgot")
	_, err = c.svc.FinishCloudSignIn(ctx, c.sso, cb)
	wantCode(t, err, priceline.KindUnauthorized, "b2c_forgot_password")
}

// A cancel at the provider is no error: a sign-in or a password reset goes
// back to sign-in with a notice, a profile edit back where the user was.
func TestCloudCancelReturnsToSignInOrBack(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	reset, err := c.svc.BeginCloudPasswordReset(ctx, c.sso, "/saved", client)
	if err != nil || !strings.Contains(reset.Redirect, fakeResetPolicy) {
		t.Fatalf("BeginCloudPasswordReset = %+v, %v", reset, err)
	}
	for name, started := range map[string]*CloudOutcome{"sign-in": c.begin(t, "/saved"), "password reset": reset} {
		cb := back(t, started, "")
		cb.Query.Set("error", "cancel")
		out, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb)
		if err != nil || !out.SignInCancelled || out.Redirect != "/saved" || out.Session != nil || out.FlowID != "" {
			t.Fatalf("cancelled %s = %+v, %v", name, out, err)
		}
	}

	me := c.signIn(t).Session
	edit, err := c.svc.BeginCloudProfileEdit(ctx, c.sso, me.User, "/search")
	if err != nil {
		t.Fatal(err)
	}
	cb := back(t, edit, me.Cookie)
	cb.Query.Set("error", "cancel")
	out, err := c.svc.FinishCloudSignIn(ctx, c.sso, cb)
	if err != nil || out.SignInCancelled || out.Redirect != "/search" {
		t.Fatalf("cancelled edit = %+v, %v", out, err)
	}
}

// Signing out of a cloud session ends it here and goes on to the
// provider's end-session URL; a local session, a provider not ready or an
// end-session URL that cannot be built ends here only (ASVS V7.4.1).
func TestASVS_V7_4_1_CloudSignOut(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	const home = "https://priceline.example/"
	gone := func(r *Result) {
		t.Helper()
		if _, _, err := c.svc.Authenticate(ctx, r.Cookie); priceline.ErrorKind(err) != priceline.KindUnauthorized {
			t.Fatalf("the session survived sign-out: %v", err)
		}
	}

	s := c.signIn(t).Session
	out, err := c.svc.SignOutCloud(ctx, c.sso, s.Session, home)
	if err != nil || !out.ToProvider || out.Redirect != "https://idp.example/logout?post_logout_redirect_uri="+url.QueryEscape(home) {
		t.Fatalf("cloud sign-out = %+v, %v", out, err)
	}
	gone(s)

	c.register(t, "local-out@example.com")
	local := c.login(t, "local-out@example.com")
	if out, err := c.svc.SignOutCloud(ctx, c.sso, local.Session, home); err != nil || out.ToProvider || out.Redirect != "/" || out.SignedOutHereOnly != nil {
		t.Fatalf("local sign-out = %+v, %v", out, err)
	}
	gone(local)

	c.idp.logoutErr = priceline.Errorf(priceline.KindUnavailable, "b2c_unavailable", "down")
	s = c.signIn(t).Session
	if out, err := c.svc.SignOutCloud(ctx, c.sso, s.Session, home); err != nil || out.ToProvider || out.Redirect != "/" || out.SignedOutHereOnly == nil {
		t.Fatalf("sign-out without an end-session URL = %+v, %v", out, err)
	}
	gone(s)

	s = c.signIn(t).Session
	pending := &CloudSignIn{Flows: c.flows, Tokens: c.tokens}
	if out, err := c.svc.SignOutCloud(ctx, pending, s.Session, home); err != nil || out.ToProvider || out.Redirect != "/" || out.SignedOutHereOnly == nil {
		t.Fatalf("sign-out while not ready = %+v, %v", out, err)
	}
	gone(s)

	_, err = c.svc.SignOutCloud(ctx, nil, s.Session, home)
	wantCode(t, err, priceline.KindNotFound, "b2c_not_configured")
}

// Without settings every step is not configured; without a provider yet
// every step but sign-out is not ready, with Retry-After, until SetClient;
// an unset user flow is not configured.
func TestCloudCheckNotConfiguredNotReady(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	var none *CloudSignIn
	for _, step := range []CloudStep{CloudLogin, CloudResetPassword, CloudEditProfile, CloudFinish, CloudLogout} {
		wantCode(t, none.Check(step), priceline.KindNotFound, "b2c_not_configured")
	}
	_, err := c.svc.BeginCloudSignIn(ctx, nil, "/", client)
	wantCode(t, err, priceline.KindNotFound, "b2c_not_configured")
	if none.Ready() {
		t.Fatal("a nil CloudSignIn is Ready")
	}

	pending := &CloudSignIn{Flows: c.flows, ResetPolicy: fakeResetPolicy, EditPolicy: fakeEditPolicy}
	for _, step := range []CloudStep{CloudLogin, CloudResetPassword, CloudEditProfile, CloudFinish} {
		if pe := wantCode(t, pending.Check(step), priceline.KindUnavailable, "b2c_not_ready"); pe.RetryAfter <= 0 {
			t.Fatalf("b2c_not_ready without RetryAfter")
		}
	}
	if err := pending.Check(CloudLogout); err != nil {
		t.Fatalf("sign-out while not ready: %v", err)
	}
	_, err = c.svc.FinishCloudSignIn(ctx, pending, CloudCallback{FlowID: strings.Repeat("ab", 32)})
	wantCode(t, err, priceline.KindUnavailable, "b2c_not_ready")

	pending.SetClient(c.idp)
	if !pending.Ready() || pending.Check(CloudLogin) != nil {
		t.Fatal("not ready after SetClient")
	}
	pending.ResetPolicy, pending.EditPolicy = "", ""
	wantCode(t, pending.Check(CloudResetPassword), priceline.KindNotFound, "b2c_reset_not_configured")
	wantCode(t, pending.Check(CloudEditProfile), priceline.KindNotFound, "b2c_edit_not_configured")
	_, err = c.svc.BeginCloudPasswordReset(ctx, pending, "/", client)
	wantCode(t, err, priceline.KindNotFound, "b2c_reset_not_configured")
}

// A flow that cannot be stored sends nobody to the provider; abandoned
// flows are swept by the clean-up timer.
func TestCloudFlowStoreDownAndSweep(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	down := unavailable()
	c.flows.Fail = memstore.FailOn(down)
	out, err := c.svc.BeginCloudSignIn(ctx, c.sso, "/", client)
	if out != nil || priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("begin with the store down = %+v, %v", out, err)
	}
	_, err = c.svc.FinishCloudSignIn(ctx, c.sso, CloudCallback{FlowID: strings.Repeat("ab", 32)})
	if priceline.ErrorKind(err) != priceline.KindUnavailable || !errors.Is(err, down) {
		t.Fatalf("finish with the store down: %v", err)
	}
	c.flows.Fail = nil

	c.begin(t, "/")
	if n, err := c.svc.DeleteExpiredCloudFlows(ctx, c.sso); err != nil || n != 0 {
		t.Fatalf("sweep of a live flow = %d, %v", n, err)
	}
	c.clock.Advance(priceline.AuthFlowLifetime)
	if n, err := c.svc.DeleteExpiredCloudFlows(ctx, c.sso); err != nil || n != 1 {
		t.Fatalf("sweep of an expired flow = %d, %v; want 1", n, err)
	}
	if n, err := c.svc.DeleteExpiredCloudFlows(ctx, nil); err != nil || n != 0 {
		t.Fatalf("sweep without cloud sign-in = %d, %v", n, err)
	}
}

// TestASVS_V6_3_1_CloudStartsCountedPerAddress: every signed-out start of a
// cloud flow stores a record, so starts are counted per client address; past
// the free ones an address waits (Retry-After) and stores nothing, while
// another address is unaffected.
func TestASVS_V6_3_1_CloudStartsCountedPerAddress(t *testing.T) {
	c := newCloudEnv(t)
	ctx := context.Background()
	from := Client{IP: "192.0.2.61"}
	for i := range 60 {
		begin := c.svc.BeginCloudSignIn
		if i%2 == 1 {
			begin = c.svc.BeginCloudPasswordReset
		}
		if _, err := begin(ctx, c.sso, "/", from); err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
	}
	stored := c.flows.Calls("PutFlow")
	for _, begin := range []func(context.Context, *CloudSignIn, string, Client) (*CloudOutcome, error){c.svc.BeginCloudSignIn, c.svc.BeginCloudPasswordReset} {
		_, err := begin(ctx, c.sso, "/", from)
		if pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts"); pe.RetryAfter != time.Second {
			t.Errorf("RetryAfter after 60 starts = %v, want 1s", pe.RetryAfter)
		}
	}
	if got := c.flows.Calls("PutFlow"); got != stored {
		t.Errorf("refused starts stored %d flows", got-stored)
	}
	if _, err := c.svc.BeginCloudSignIn(ctx, c.sso, "/", Client{IP: "192.0.2.62"}); err != nil {
		t.Errorf("a start from another address: %v", err)
	}
	c.clock.Advance(time.Second)
	if _, err := c.svc.BeginCloudSignIn(ctx, c.sso, "/", from); err != nil {
		t.Errorf("a start after waiting: %v", err)
	}
	// An address that stays quiet for a flow's lifetime starts afresh.
	c.clock.Advance(10 * time.Minute)
	if got := c.failures(t, "b2c:192.0.2.61"); got != 61 {
		t.Errorf("stored starts = %d, want 61", got)
	}
	if _, err := c.svc.BeginCloudSignIn(ctx, c.sso, "/", from); err != nil {
		t.Fatal(err)
	}
	if got := c.failures(t, "b2c:192.0.2.61"); got != 1 {
		t.Errorf("starts after a quiet period = %d, want 1", got)
	}
}
