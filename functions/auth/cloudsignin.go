package auth

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"hospitalpriceline/functions/priceline"
)

// CloudSignIn is what cloud sign-in (Azure AD B2C / Entra External ID)
// needs: the identity provider, the stores the flow keeps its state in, and
// the optional user flows. The steps themselves are methods of Service
// (BeginCloudSignIn, FinishCloudSignIn, SignOutCloud, …), which take it as an
// argument. A nil *CloudSignIn means cloud sign-in is not configured: every
// step then fails with KindNotFound/"b2c_not_configured".
type CloudSignIn struct {
	// Client is the identity provider. It may be nil while the client
	// secret cannot be read yet (Key Vault down at startup): the steps that
	// need it then fail with KindUnavailable/"b2c_not_ready" until SetClient
	// supplies one, and sign-out ends the session here only.
	Client priceline.IdentityProvider
	// Flows keeps each sign-in attempt until its callback, which any
	// instance may receive.
	Flows priceline.AuthFlowStore
	// ResetPolicy and EditPolicy are the password-reset and profile-edit
	// user flows; "" when not configured (always "" for External ID).
	ResetPolicy, EditPolicy string
	// Tokens keeps the provider's token cache of each cloud session, keyed
	// by our session; nil keeps nothing. Only a provider that KeepsTokens
	// produces anything to keep.
	Tokens priceline.TokenCacheStore

	late atomic.Pointer[lateClient] // set by SetClient; wins over Client
}

// lateClient boxes the provider SetClient supplies, since atomic.Pointer
// cannot hold an interface value.
type lateClient struct{ p priceline.IdentityProvider }

// SetClient supplies the identity provider to a CloudSignIn that started
// without one, or replaces the current one (a rotated client secret); it is
// safe while requests are being served, and a step that has already begun
// finishes with the provider it started with.
func (c *CloudSignIn) SetClient(p priceline.IdentityProvider) { c.late.Store(&lateClient{p: p}) }

// Ready reports whether there is an identity provider to sign in with.
func (c *CloudSignIn) Ready() bool { return c != nil && c.client() != nil }

// client returns the identity provider, or nil while there is none yet.
func (c *CloudSignIn) client() priceline.IdentityProvider {
	if l := c.late.Load(); l != nil {
		return l.p
	}
	return c.Client
}

// CloudStep names a step of cloud sign-in, for Check.
type CloudStep int

// The steps of cloud sign-in, one per route of the web layer.
const (
	CloudLogin         CloudStep = iota // start the default sign-up/sign-in user flow
	CloudResetPassword                  // start the password-reset user flow
	CloudEditProfile                    // start the profile-edit user flow
	CloudFinish                         // the provider's redirect back: finish whichever flow it ran
	CloudLogout                         // sign out here, then at the provider
	CloudReauth                         // start a re-authentication before a sensitive change
)

// Check reports why step cannot run now: b2c_not_configured (c is nil),
// b2c_not_ready (no provider yet; never for CloudLogout, which can always end
// the session here), b2c_reset_not_configured or b2c_edit_not_configured
// (that user flow is not set). It is nil when step can run. The web layer
// calls it before anything else about the request (a signed-out visitor of
// an unconfigured profile edit learns it is not configured, not that they
// should sign in), and every step calls it again itself.
func (c *CloudSignIn) Check(step CloudStep) error {
	switch {
	case c == nil:
		return errCloudNotConfigured()
	case step == CloudLogout:
		return nil
	case !c.Ready():
		return errCloudNotReady()
	case step == CloudResetPassword && c.ResetPolicy == "":
		return priceline.Errorf(priceline.KindNotFound, "b2c_reset_not_configured",
			"Reset your password from the cloud sign-in page (\"Forgot your password?\").")
	case step == CloudEditProfile && c.EditPolicy == "":
		return priceline.Errorf(priceline.KindNotFound, "b2c_edit_not_configured", "Editing your cloud profile is not available here.")
	}
	return nil
}

// policy is the user flow that step starts.
func (c *CloudSignIn) policy(step CloudStep) string {
	switch step {
	case CloudResetPassword:
		return c.ResetPolicy
	case CloudEditProfile:
		return c.EditPolicy
	}
	return ""
}

// isEditProfile reports whether flow runs the profile-edit user flow. The
// provider stores its canonical spelling of the policy, and B2C policy
// names are case-insensitive.
func (c *CloudSignIn) isEditProfile(flow *priceline.AuthFlow) bool {
	return c.EditPolicy != "" && strings.EqualFold(flow.Policy, c.EditPolicy)
}

// keepTokens stores the provider tokens of a new cloud session, when there
// are any (the provider KeepsTokens) and a store is set. The error is for
// the caller to log: the session is valid without the tokens, only calls to
// the downstream API will ask the user to sign in again. It names the size
// and the store's code, never the content.
func (c *CloudSignIn) keepTokens(ctx context.Context, sess *priceline.Session, blob []byte) error {
	if blob == nil || c.Tokens == nil || sess == nil {
		return nil
	}
	if err := c.Tokens.PutTokenCache(ctx, sess.UserID, sess.Key, blob, sess.ExpiresAt); err != nil {
		return fmt.Errorf("keep %d bytes of provider tokens for user %s: %w", len(blob), sess.UserID, err)
	}
	return nil
}

// DropTokenCache deletes the provider tokens kept for sess, a session that
// has just ended (any sign-out, or a new sign-in replacing it). It does
// nothing for a nil c, a local session or when no tokens are kept. The error
// is for the caller to log, not to fail on: the session is already gone, and
// the clean-up timer (DeleteOrphanedCloudTokens) deletes caches whose
// session no longer exists.
func (c *CloudSignIn) DropTokenCache(ctx context.Context, sess *priceline.Session) error {
	if c == nil || c.Tokens == nil || sess == nil || sess.Method != priceline.MethodB2C {
		return nil
	}
	if err := c.Tokens.DeleteTokenCache(ctx, sess.UserID, sess.Key); err != nil {
		return fmt.Errorf("delete the provider tokens of an ended session of user %s: %w", sess.UserID, err)
	}
	return nil
}

// cloudRetryAfter is what a browser is told to wait while cloud sign-in is
// not ready: the app retries reading its secret every few seconds at first.
const cloudRetryAfter = 5 * time.Second

// errCloudNotReady is the answer while the provider is missing; like any
// outage it is KindUnavailable with RetryAfter, not KindNotFound, since cloud
// sign-in is configured and will come back by itself.
func errCloudNotReady() error {
	return priceline.Unavailable(nil, "b2c_not_ready",
		"Sign-in with Azure AD B2C is not available at the moment. Please try again shortly.", cloudRetryAfter)
}

// errCloudNotConfigured is the answer of every step without cloud settings.
func errCloudNotConfigured() error {
	return priceline.Errorf(priceline.KindNotFound, "b2c_not_configured", "Sign-in with Azure AD B2C is not available here.")
}

// errFlowMissing refuses a callback that names no flow of this browser.
func errFlowMissing() error {
	return priceline.Errorf(priceline.KindForbidden, "b2c_flow_missing",
		"This sign-in response does not belong to a sign-in started in this browser, or it was already used. Please start again.")
}

// errFlowExpired refuses a callback whose flow outlived AuthFlowLifetime.
func errFlowExpired() error {
	return priceline.Errorf(priceline.KindForbidden, "b2c_flow_expired", "This sign-in attempt took too long. Please start again.")
}
