// Package b2ctest is a protocol double of Azure AD B2C and Entra External ID
// for tests: an HTTPS server that answers under the real-looking host names
// pricelinetest.b2clogin.com and pricelinetest.ciamlogin.com, serving the
// per-policy OpenID configuration, authorize (automatic or an HTML sign-in
// page for browser tests), token (client secret, code, redirect URI and PKCE
// checked), JWKS and logout endpoints.
//
// Client returns an *http.Client that sends those names to the loopback
// listener and trusts a certificate generated at run time, so the code under
// test uses real https URLs unchanged. Knobs make the next token response
// wrong in one specific way (issuer, audience, nonce, lifetime, signature,
// algorithm, key ID, policy), make authorize return an error, or take the
// token or metadata endpoints down.
package b2ctest
