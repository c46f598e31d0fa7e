// Package keyvaulttest holds protocol doubles for the two Azure endpoints the
// keyvault adapter talks to: the App Service managed-identity endpoint and
// the Key Vault secrets API. Every test that needs them uses these, so the
// protocol details live in one place.
//
// The doubles speak the wire protocol, not an SDK interface, so tests run the
// real azidentity ManagedIdentityCredential and the real azsecrets client,
// including Key Vault's 401 challenge and its resource verification.
//
// One caveat: the managed-identity library keeps a process-wide token cache
// keyed by client ID and resource. Tests that start their own
// ManagedIdentity double should each ask for a distinct user-assigned client
// ID (see NewClientID), or a token cached from another test's double would be
// presented to this test's vault and refused.
package keyvaulttest
