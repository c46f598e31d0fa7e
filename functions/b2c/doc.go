// Package b2c signs users in through Azure AD B2C or Microsoft Entra External
// ID with the OpenID Connect authorization code flow.
//
// MSAL Go (a confidential client) resolves the endpoints, builds the
// authorization URL and redeems the code. It does not do the parts a relying
// party must do itself, so this package adds them: state, nonce and PKCE
// (S256) per sign-in attempt, and full ID token validation (RS256 signature
// against the provider's JWKS, issuer, audience, lifetime, nonce and, for
// B2C, the user-flow claim). It also builds the sign-out redirect, which MSAL
// has no helper for.
//
// The provider's access and refresh tokens are dropped unless downstream API
// scopes are configured (Config.Scopes); then CompleteWithTokens returns
// MSAL's serialized token cache of that one sign-in for the caller to keep
// with its own session. MSAL's shared in-memory cache never holds more than
// the latest token response.
//
// Client is the priceline.IdentityProvider of the app. The flow around it
// (storing and taking the AuthFlow, expiry, password reset, profile edit,
// kept tokens, sign-out) runs in package auth, and the routes and the flow
// cookie in package web; this package only turns "start a sign-in" into a
// URL plus an AuthFlow, and "the browser came back" into a verified
// priceline.ExternalIdentity.
package b2c
