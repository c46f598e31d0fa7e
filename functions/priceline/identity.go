package priceline

import (
	"context"
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
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

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
}
