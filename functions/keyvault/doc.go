// Package keyvault implements priceline.SecretSource with Azure Key Vault.
//
// Why a vault and managed identity: the session-signing key and the B2C
// client secret must not live in app settings, files or the repository,
// where they are copied into every backup and every deployment log (ASVS
// 13.3.1). The function app instead reads them from Key Vault, and it
// authenticates to the vault with its managed identity (ASVS 13.2.1): Azure
// hands the app short-lived tokens through the local IDENTITY_ENDPOINT, so
// there is no stored credential to leak, rotate or forget. The identity is
// granted only "get" and "list" on secrets (least privilege, ASVS 13.3.2).
//
// Rotation is by secret version. Every enabled, unexpired version of the
// signing secret is loaded, newest first, so a new version starts signing
// while cookies signed by older versions keep verifying; disabling a version
// revokes every cookie it signed at the next refresh.
package keyvault
