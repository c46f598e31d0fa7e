package priceline

import (
	"context"
	"net/url"
	"time"
)

// ExternalIdentity is a verified identity from a cloud identity provider:
// every field comes from an ID token whose signature, issuer, audience,
// lifetime and nonce have been checked.
type ExternalIdentity struct {
	Provider      string // ProviderB2C
	Subject       string // the provider's immutable user ID (oid, else sub); never an email
	Email         string // normalised; "" when the token carries no usable address
	Name          string // display name, as the user typed it at the provider
	Policy        string // the B2C user flow that signed the user in; "" for External ID
	EmailVerified bool   // true only when the token says so explicitly
	// AuthTime is when the user last actively signed in at the provider
	// (the ID token's auth_time claim); zero when the token has none. A
	// single-sign-on session can vouch for a user without a new sign-in,
	// so this, not the token's iat, says how fresh the sign-in is.
	AuthTime time.Time
}

// AuthFlow is the server-side state of one sign-in attempt. It is single use
// and bound to the browser that started it: ID also travels in a short-lived
// __Host- cookie, and the callback is honoured only when that cookie, the
// stored flow and the provider's state parameter all agree.
type AuthFlow struct {
	ID           string // random (256 bits), also the cookie value
	State        string // OAuth state sent to the provider (CSRF defence)
	Nonce        string // OIDC nonce that the ID token must echo (replay defence)
	PKCEVerifier string // PKCE code_verifier; only its S256 challenge leaves the server
	ReturnTo     string // same-origin relative path to land on after sign-in
	Policy       string // the user flow this attempt runs; "" means the default
	// MaxAge, when above zero, asks the provider for a sign-in no older
	// than this (OIDC max_age, with prompt=login) and makes completing the
	// flow refuse an ID token whose auth_time is older: re-authentication
	// before a sensitive change.
	MaxAge time.Duration
	// Action and UserID are set for a re-authentication flow: the
	// sensitive action it unlocks and the signed-in user who started it;
	// "" for a sign-in.
	Action, UserID string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// AuthFlowLifetime is how long a sign-in attempt may take from its start to
// the callback: long enough to sign up and verify an email, short enough that
// a leaked flow cookie or URL soon stops mattering. The flow record and the
// cookie that binds it to the browser both live this long.
const AuthFlowLifetime = 15 * time.Minute

// ReauthMaxAge is how fresh a sign-in at the provider must be to stand in
// for the current password before a sensitive change (ASVS 5.0 V7.5.1).
const ReauthMaxAge = 5 * time.Minute

// Expired reports whether f may no longer be completed at now.
func (f *AuthFlow) Expired(now time.Time) bool {
	return !now.Before(f.ExpiresAt)
}

// AuthFlowStore keeps AuthFlows between the redirect to the provider and the
// callback, where any instance may receive the callback.
type AuthFlowStore interface {
	// PutFlow stores f; it fails with KindConflict if f.ID already exists.
	PutFlow(ctx context.Context, f *AuthFlow) error
	// TakeFlow reads and deletes the flow atomically (an ETag-conditional
	// delete), so a flow completes at most once. It returns KindNotFound when
	// the flow is missing or was already taken.
	TakeFlow(ctx context.Context, id string) (*AuthFlow, error)
	// DeleteExpiredFlows deletes the flows that expired at or before now
	// without a callback (the user closed the tab) and returns how many it
	// deleted, for the clean-up timer. TakeFlow already refuses expired
	// flows; this only reclaims storage.
	DeleteExpiredFlows(ctx context.Context, now time.Time) (int, error)
}

// The refusals of an IdentityProvider that the sign-in flow acts on (see
// IdentityProvider): the adapter answers with them, keeping the provider's
// words as the cause, and package auth checks them with In.
var (
	// ForgotPassword is a user who asked the provider's sign-in page to
	// reset the password.
	ForgotPassword = Refusal{KindUnauthorized, "b2c_forgot_password", "Reset your password to continue."}
	// SignInCancelled is a user who cancelled at the provider.
	SignInCancelled = Refusal{KindUnauthorized, "b2c_cancelled", "Sign-in was cancelled."}
	// ReauthRequired is a re-authentication the provider did not do freshly
	// enough; flows that ask for one themselves word it with Saying.
	ReauthRequired = Refusal{KindForbidden, "reauthentication_required",
		"The cloud sign-in did not ask for your password again. Please try again and sign in."}
)

// IdentityProvider is a cloud identity provider (Azure AD B2C or Entra
// External ID) that signs users in with the OpenID Connect authorization
// code flow; package b2c implements it, and auth.Service runs the flow
// against it. A policy names one of the provider's user flows (sign-up and
// sign-in, password reset, profile edit); "" is the default sign-up/sign-in
// flow.
//
// Besides the usual kinds, Complete and CompleteWithTokens report what the
// user did at the provider as refusals the flow acts on: ForgotPassword
// ("b2c_forgot_password": the user asked to reset the password from the
// sign-in page) and SignInCancelled ("b2c_cancelled").
type IdentityProvider interface {
	// Begin starts a sign-in with policy. It returns the provider URL to
	// send the browser to, and the AuthFlow the caller must store and bind
	// to the browser; returnTo is kept only if SafeReturnTo keeps it. A
	// maxAge above zero starts a re-authentication: the provider is asked
	// to sign the user in again (max_age and prompt=login), and Complete
	// refuses an ID token whose auth_time is older than maxAge (allowing
	// for clock skew) with ReauthRequired ("reauthentication_required").
	Begin(ctx context.Context, policy, returnTo string, maxAge time.Duration) (authURL string, flow *AuthFlow, err error)
	// Complete finishes the sign-in flow started, given the query of the
	// provider's redirect back (state and code, or an error): it checks the
	// state, redeems the code and returns the identity whose ID token it
	// verified.
	Complete(ctx context.Context, flow *AuthFlow, callback url.Values) (*ExternalIdentity, error)
	// CompleteWithTokens is Complete that also returns the provider's
	// serialized token cache of this sign-in when KeepsTokens, nil
	// otherwise. The cache holds secrets: keep it server-side, never log it.
	CompleteWithTokens(ctx context.Context, flow *AuthFlow, callback url.Values) (*ExternalIdentity, []byte, error)
	// KeepsTokens reports whether CompleteWithTokens returns anything worth
	// keeping (downstream API scopes are configured).
	KeepsTokens() bool
	// LogoutURL returns the provider's end-session URL for policy, which
	// signs the user out there too and then sends the browser to
	// postLogoutRedirect, an absolute URL. idTokenHint may be "".
	LogoutURL(ctx context.Context, policy, idTokenHint, postLogoutRedirect string) (string, error)
}
