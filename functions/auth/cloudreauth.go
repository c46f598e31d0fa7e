package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// The sensitive actions a cloud account re-authenticates for at the
// provider, as the web layer names them (?action=).
const (
	ReauthDeleteAccount = "delete"         // DELETE /api/me
	ReauthSignOutOthers = "signout-others" // DELETE /api/me/sessions
)

// reauthSkew is the clock skew allowed between us and the provider when
// judging auth_time (the b2c package allows the same).
const reauthSkew = 2 * time.Minute

// validReauthAction reports whether action is one a re-authentication can
// unlock.
func validReauthAction(action string) bool {
	return action == ReauthDeleteAccount || action == ReauthSignOutOthers
}

// BeginCloudReauth starts a re-authentication at the provider for u, a
// cloud account signed in with sess, before the sensitive action (ASVS 5.0
// V7.5.1): the provider is asked for a sign-in no older than
// priceline.ReauthMaxAge (max_age=300, prompt=login), and the flow records
// the action and the user. When the callback shows such a sign-in for the
// same account in the same browser session, FinishCloudSignIn leaves a
// single-use grant for that session and action, valid until five minutes
// after the sign-in; the action itself still needs its own CSRF-protected
// request, so a forged start of this flow achieves nothing. Local accounts
// are refused (KindForbidden/"b2c_not_cloud_account"): they confirm with
// their password.
func (s *Service) BeginCloudReauth(ctx context.Context, sso *CloudSignIn, u *priceline.User, sess *priceline.Session, action, returnTo string) (*CloudOutcome, error) {
	if err := sso.Check(CloudReauth); err != nil {
		return nil, err
	}
	if u == nil || sess == nil {
		return nil, Unauthenticated.Wrap(errors.New("re-authentication without a signed-in user"))
	}
	if !validReauthAction(action) {
		return nil, priceline.Errorf(priceline.KindInvalid, "invalid_reauth_action", "There is nothing to confirm for that.")
	}
	if u.Provider != priceline.ProviderB2C {
		return nil, priceline.Errorf(priceline.KindForbidden, "b2c_not_cloud_account",
			"Your account signs in with a password kept here: confirm with your current password instead.")
	}
	if s.AccountTokens == nil {
		return nil, errTokensOff()
	}
	if returnTo == "" {
		returnTo = "/account"
	}
	authURL, flow, err := sso.client().Begin(ctx, "", priceline.SafeReturnTo(returnTo), priceline.ReauthMaxAge)
	if err != nil {
		return nil, fmt.Errorf("begin cloud re-authentication: %w", err)
	}
	flow.Action, flow.UserID = action, u.ID
	if err := sso.Flows.PutFlow(ctx, flow); err != nil {
		return nil, fmt.Errorf("store cloud re-authentication flow: %w", err)
	}
	return &CloudOutcome{Redirect: authURL, ToProvider: true, FlowID: flow.ID}, nil
}

// finishCloudReauth finishes a re-authentication flow; see
// BeginCloudReauth. It starts no session and keeps no tokens. The browser
// must still be signed in as the user who started the flow, and the
// provider must vouch for that very account with a fresh auth_time
// (checked here too, whatever the provider's adapter did); anything else
// is KindForbidden: b2c_reauth_signed_out, b2c_reauth_other_user or
// reauthentication_required.
func (s *Service) finishCloudReauth(ctx context.Context, sso *CloudSignIn, flow *priceline.AuthFlow, cb CloudCallback) (*CloudOutcome, error) {
	back := &CloudOutcome{Redirect: priceline.SafeReturnTo(flow.ReturnTo)}
	id, err := sso.client().Complete(ctx, flow, cb.Query)
	if priceline.SignInCancelled.In(err) {
		// Still signed in, nothing confirmed and nothing written.
		back.ReauthCancelled = flow.Action
		return back, nil
	}
	if err != nil {
		return nil, err
	}
	var u *priceline.User
	var sess *priceline.Session
	err = Unauthenticated.Wrap(errors.New("no session cookie"))
	if cb.SessionCookie != "" {
		u, sess, err = s.Authenticate(ctx, cb.SessionCookie)
	}
	switch {
	case priceline.ErrorKind(err) == priceline.KindUnauthorized:
		s.event(ctx, EventCloudRefused, OutcomeFailure, "reauth_signed_out", cb.Client, flow.UserID)
		return nil, priceline.Errorf(priceline.KindForbidden, "b2c_reauth_signed_out",
			"You are no longer signed in here. Sign in, then confirm again.")
	case err != nil:
		return nil, err
	}
	if u.ID != flow.UserID || u.Provider != priceline.ProviderB2C || u.Subject != id.Subject {
		s.event(ctx, EventCloudRefused, OutcomeFailure, "reauth_other_user", cb.Client, u.ID)
		return nil, priceline.Errorf(priceline.KindForbidden, "b2c_reauth_other_user",
			"You confirmed as a different account from the one signed in here, so nothing was confirmed.")
	}
	now := s.now()
	switch {
	case id.AuthTime.IsZero(), id.AuthTime.After(now.Add(reauthSkew)), now.Sub(id.AuthTime) > priceline.ReauthMaxAge+reauthSkew:
		s.event(ctx, EventReauthFailed, OutcomeFailure, "sign_in_too_old", cb.Client, u.ID)
		return nil, errReauthRequired()
	}
	// Valid until five minutes after the sign-in itself, with the skew
	// allowance, but never longer than five minutes from now.
	expires := id.AuthTime.Add(priceline.ReauthMaxAge + reauthSkew)
	if limit := now.Add(priceline.ReauthMaxAge); expires.After(limit) {
		expires = limit
	}
	grant := &priceline.AccountToken{
		UserID: u.ID, Purpose: priceline.TokenReauth,
		Hash:      priceline.ReauthGrantHash(flow.Action, sess.Key),
		CreatedAt: now, ExpiresAt: expires,
	}
	if err := s.AccountTokens.PutAccountToken(ctx, grant); err != nil {
		return nil, fmt.Errorf("keep re-authentication: %w", err)
	}
	s.event(ctx, EventReauthenticated, OutcomeSuccess, flow.Action, cb.Client, u.ID)
	return back, nil
}

// takeReauthGrant uses up the grant a re-authentication at the provider
// left for sess and action; errReauthRequired when there is none (never
// re-authenticated, another session or action, already used) or it has
// expired.
func (s *Service) takeReauthGrant(ctx context.Context, u *priceline.User, sess *priceline.Session, action string, c Client) error {
	refuse := func(reason string) error {
		s.event(ctx, EventReauthFailed, OutcomeFailure, reason, c, u.ID)
		return errReauthRequired()
	}
	if s.AccountTokens == nil || !validReauthAction(action) {
		return refuse("sign_in_too_old")
	}
	t, err := s.AccountTokens.TakeAccountToken(ctx, u.ID, priceline.TokenReauth, priceline.ReauthGrantHash(action, sess.Key))
	switch {
	case priceline.IsNotFound(err):
		return refuse("sign_in_too_old")
	case err != nil:
		return fmt.Errorf("reauthenticate: %w", err)
	case t.Expired(s.now()):
		return refuse("sign_in_too_old")
	}
	return nil
}

// errReauthRequired asks a cloud account to sign in again at the provider.
func errReauthRequired() error {
	return priceline.ReauthRequired.Saying(
		"For your safety, confirm it is you with the cloud sign-in, then do this within " + priceline.LifetimeText(priceline.ReauthMaxAge) + ".").Err()
}
