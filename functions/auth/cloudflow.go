package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// CloudOutcome is where a step of cloud sign-in sends the browser, and what
// the web layer must set on the way. Nothing in it is secret except
// Session.Cookie, which only goes into the session cookie.
type CloudOutcome struct {
	// Redirect is where to send the browser: the provider's URL when
	// ToProvider, else a same-origin path (already through SafeReturnTo).
	Redirect   string
	ToProvider bool
	// FlowID is a flow just started, to bind to this browser with the flow
	// cookie; "" means the browser has no flow pending any more.
	FlowID string
	// Session is the session a finished sign-in started; nil for every
	// other outcome (a profile edit keeps the session it was made in).
	Session *Result
	// SignInCancelled is set when the user cancelled a sign-in at the
	// provider: the browser goes back to the sign-in page with a notice,
	// and Redirect is where it was going.
	SignInCancelled bool
	// ReauthCancelled is the action (ReauthDeleteAccount, …) whose
	// re-authentication the user cancelled at the provider: nothing was
	// confirmed, so the browser must not go to Redirect, the returnTo that
	// expects a confirmation, but back to say so.
	ReauthCancelled string
	// TokensNotKept, TokensNotDropped and SignedOutHereOnly are failures
	// that did not stop the step, for the caller to log (they name sizes
	// and codes, never tokens): the new session's provider tokens could not
	// be stored, an ended session's could not be deleted (the clean-up
	// timer will), or the provider's sign-out was skipped (the provider's
	// own session then ends by its own timeout).
	TokensNotKept, TokensNotDropped, SignedOutHereOnly error
}

// BeginCloudSignIn starts the default sign-up/sign-in flow: it asks the
// provider for the authorization URL and a new flow (state, nonce, PKCE),
// stores the flow for whichever instance receives the callback, and returns
// both. returnTo is where the browser goes once signed in, kept only if
// SafeReturnTo keeps it. Each start stores a record until it expires, so
// starts are counted per client address c (Config.Throttle.CloudStart) and
// refused with KindTooManyRequests "too_many_attempts" past the limit.
func (s *Service) BeginCloudSignIn(ctx context.Context, sso *CloudSignIn, returnTo string, c Client) (*CloudOutcome, error) {
	if err := s.countCloudStart(ctx, sso, CloudLogin, c); err != nil {
		return nil, err
	}
	return s.beginCloud(ctx, sso, CloudLogin, returnTo)
}

// BeginCloudPasswordReset starts the password-reset user flow (B2C only),
// which ends signed in like a sign-in; it is counted with the sign-in
// starts of the same address.
func (s *Service) BeginCloudPasswordReset(ctx context.Context, sso *CloudSignIn, returnTo string, c Client) (*CloudOutcome, error) {
	if err := s.countCloudStart(ctx, sso, CloudResetPassword, c); err != nil {
		return nil, err
	}
	return s.beginCloud(ctx, sso, CloudResetPassword, returnTo)
}

// countCloudStart counts a signed-out start of a cloud user flow against
// the client's address ("b2c:" and the address) before the flow is stored.
// A client without a usable address is not counted, as for registration.
func (s *Service) countCloudStart(ctx context.Context, sso *CloudSignIn, step CloudStep, c Client) error {
	if err := sso.Check(step); err != nil {
		return err
	}
	ip := s.ipKey(c.IP)
	if ip == "" {
		return nil
	}
	start := counter{name: "cloud_start", key: "b2c:" + strings.TrimPrefix(ip, "ip:"), limit: s.config().Throttle.CloudStart}
	if _, err := s.reserve(ctx, []counter{start}, s.now()); err != nil {
		return fmt.Errorf("begin cloud sign-in: %w", err)
	}
	return nil
}

// BeginCloudProfileEdit starts the profile-edit user flow for u, the user
// signed in on this browser, and only for a cloud account: a local account
// has no cloud profile to edit (KindForbidden/"b2c_not_cloud_account").
// An empty returnTo returns to the account page.
func (s *Service) BeginCloudProfileEdit(ctx context.Context, sso *CloudSignIn, u *priceline.User, returnTo string) (*CloudOutcome, error) {
	if err := sso.Check(CloudEditProfile); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, Unauthenticated.Wrap(errors.New("profile edit without a signed-in user"))
	}
	if u.Provider != priceline.ProviderB2C {
		return nil, priceline.Errorf(priceline.KindForbidden, "b2c_not_cloud_account",
			"Your account signs in with a password kept here, so there is no cloud profile to edit. Change your details on your account page.")
	}
	if returnTo == "" {
		returnTo = "/account"
	}
	return s.beginCloud(ctx, sso, CloudEditProfile, returnTo)
}

// beginCloud starts the user flow of step; see BeginCloudSignIn.
func (s *Service) beginCloud(ctx context.Context, sso *CloudSignIn, step CloudStep, returnTo string) (*CloudOutcome, error) {
	if err := sso.Check(step); err != nil {
		return nil, err
	}
	authURL, flow, err := sso.client().Begin(ctx, sso.policy(step), priceline.SafeReturnTo(returnTo), 0)
	if err != nil {
		return nil, fmt.Errorf("begin cloud sign-in: %w", err)
	}
	if err := sso.Flows.PutFlow(ctx, flow); err != nil {
		return nil, fmt.Errorf("store cloud sign-in flow: %w", err)
	}
	return &CloudOutcome{Redirect: authURL, ToProvider: true, FlowID: flow.ID}, nil
}

// CloudCallback is what the browser brings back from the provider.
type CloudCallback struct {
	// FlowID is the flow cookie's value, "" when the browser sent none.
	FlowID string
	// Query is the callback URL's query: state and code, or the
	// provider's error.
	Query url.Values
	// SessionCookie is the browser's session cookie value, "" for none; a
	// profile edit applies only to its user.
	SessionCookie string
	// Client is where the request came from, for a new session.
	Client Client
}

// FinishCloudSignIn finishes the flow the browser's flow cookie names. The
// flow is taken from the store, so a callback completes at most once, and
// it must not have expired; the provider then checks its state against the
// query, redeems the code and verifies the ID token. Only then:
//
//   - a sign-in or password reset signs the user in exactly as a password
//     login would (SignInExternal) and keeps the provider's tokens, if any;
//   - a profile edit updates the user signed in here, and only if that is
//     the very account the provider vouched for; it starts no session and
//     touches no kept tokens;
//   - "Forgot your password?" on the provider's sign-in page starts the
//     password-reset flow, with a new flow to bind to the browser;
//   - a cancel at the provider is no error: back to sign-in (or, for a
//     profile edit, back where the user was).
//
// Any error means no session was started and the browser's pending flow is
// gone (KindForbidden b2c_flow_missing, b2c_flow_expired, b2c_state_mismatch,
// b2c_profile_other_user, b2c_profile_signed_out, and the provider's codes).
func (s *Service) FinishCloudSignIn(ctx context.Context, sso *CloudSignIn, cb CloudCallback) (*CloudOutcome, error) {
	if err := sso.Check(CloudFinish); err != nil {
		return nil, err
	}
	if !priceline.IsLowerHex(cb.FlowID, 64) {
		return nil, errFlowMissing()
	}
	flow, err := sso.Flows.TakeFlow(ctx, cb.FlowID)
	switch {
	case priceline.AuthFlowExpired.In(err) || (err == nil && flow.Expired(s.now())):
		return nil, errFlowExpired()
	case priceline.IsNotFound(err):
		return nil, errFlowMissing()
	case err != nil:
		return nil, fmt.Errorf("take cloud sign-in flow: %w", err)
	}
	if flow.Action != "" {
		return s.finishCloudReauth(ctx, sso, flow, cb)
	}
	if sso.isEditProfile(flow) {
		return s.finishCloudProfileEdit(ctx, sso, flow, cb)
	}
	id, tokens, err := sso.client().CompleteWithTokens(ctx, flow, cb.Query)
	if err != nil {
		switch {
		case priceline.ForgotPassword.In(err):
			if sso.ResetPolicy != "" {
				// B2C's sign-in page links "Forgot your password?" back to
				// us with AADB2C90118; the reset is a user flow of its own.
				return s.beginCloud(ctx, sso, CloudResetPassword, flow.ReturnTo)
			}
		case priceline.SignInCancelled.In(err):
			return &CloudOutcome{Redirect: priceline.SafeReturnTo(flow.ReturnTo), SignInCancelled: true}, nil
		}
		return nil, err
	}
	res, err := s.SignInExternal(ctx, id, cb.Client)
	if err != nil {
		return nil, err
	}
	return &CloudOutcome{
		Redirect:      priceline.SafeReturnTo(flow.ReturnTo),
		Session:       res,
		TokensNotKept: sso.keepTokens(ctx, res.Session, tokens),
	}, nil
}

// finishCloudProfileEdit finishes a profile-edit flow; see FinishCloudSignIn.
func (s *Service) finishCloudProfileEdit(ctx context.Context, sso *CloudSignIn, flow *priceline.AuthFlow, cb CloudCallback) (*CloudOutcome, error) {
	back := &CloudOutcome{Redirect: priceline.SafeReturnTo(flow.ReturnTo)}
	id, err := sso.client().Complete(ctx, flow, cb.Query)
	if priceline.SignInCancelled.In(err) {
		return back, nil // still signed in: back where they were
	}
	if err != nil {
		return nil, err
	}
	if err := s.applyCloudProfileEdit(ctx, cb.SessionCookie, id); err != nil {
		return nil, err
	}
	return back, nil
}

// applyCloudProfileEdit updates the user signed in with sessionCookie from a
// finished profile-edit flow. The browser must still be signed in, and as the
// very identity the provider just vouched for (UpdateCloudProfile checks
// provider and subject): the flow cookie proves the edit was started in this
// browser, but not that the session is still the one that started it (it
// may have ended, or another account may have signed in meanwhile in
// another tab).
func (s *Service) applyCloudProfileEdit(ctx context.Context, sessionCookie string, id *priceline.ExternalIdentity) error {
	var u *priceline.User
	var err error = Unauthenticated.Wrap(errors.New("no session cookie"))
	if sessionCookie != "" {
		u, _, err = s.Authenticate(ctx, sessionCookie)
	}
	if priceline.ErrorKind(err) == priceline.KindUnauthorized {
		return priceline.Errorf(priceline.KindForbidden, "b2c_profile_signed_out",
			"You are no longer signed in here, so your profile change was not applied. Sign in and edit your profile again.")
	}
	if err != nil {
		return err
	}
	_, err = s.UpdateCloudProfile(ctx, u, id)
	return err
}

// SignOutCloud ends sess here, its record and any provider tokens kept for
// it, and returns where to send the browser: for a cloud session the
// provider's end-session URL, which signs the user out there too and then
// returns to home (an absolute URL); for a local session, or when the
// provider cannot be reached, "/". A session that cannot be deleted is the
// only error: signed out here is what matters most, so a provider not ready
// (its secret still being read) or an end-session URL that cannot be built
// only leaves the provider's session to its own timeout (SignedOutHereOnly).
func (s *Service) SignOutCloud(ctx context.Context, sso *CloudSignIn, sess *priceline.Session, home string) (*CloudOutcome, error) {
	if err := sso.Check(CloudLogout); err != nil {
		return nil, err
	}
	if err := s.Logout(ctx, sess); err != nil {
		return nil, err
	}
	out := &CloudOutcome{Redirect: "/", TokensNotDropped: sso.DropTokenCache(ctx, sess)}
	if sess == nil || sess.Method != priceline.MethodB2C {
		return out, nil // the provider knows nothing of a local session
	}
	provider := sso.client()
	if provider == nil {
		out.SignedOutHereOnly = errors.New("cloud sign-in is not ready")
		return out, nil
	}
	target, err := provider.LogoutURL(ctx, "", "", home)
	if err != nil {
		out.SignedOutHereOnly = fmt.Errorf("build the provider's sign-out URL: %w", err)
		return out, nil
	}
	out.Redirect, out.ToProvider = target, true
	return out, nil
}

// DeleteExpiredCloudFlows deletes the sign-in flows that expired without a
// callback (the user closed the tab), for the clean-up timer. It does
// nothing when cloud sign-in is not configured.
func (s *Service) DeleteExpiredCloudFlows(ctx context.Context, sso *CloudSignIn) (int, error) {
	if sso == nil || sso.Flows == nil {
		return 0, nil
	}
	return s.sweep(ctx, "delete expired cloud sign-in flows", sso.Flows.DeleteExpiredFlows)
}

// DeleteOrphanedCloudTokens deletes the kept provider tokens whose session
// has ended in any way (revoked, timed out, password changed, signed out
// elsewhere), for the clean-up timer. It does nothing when no tokens are
// kept.
func (s *Service) DeleteOrphanedCloudTokens(ctx context.Context, sso *CloudSignIn) (int, error) {
	if sso == nil || sso.Tokens == nil {
		return 0, nil
	}
	return s.sweep(ctx, "delete the provider tokens of ended sessions", sso.Tokens.DeleteOrphanedTokenCaches)
}
