// Package token signs and verifies the session cookie: a short HS256 JWT
// that names a server-side session record.
//
// The cookie is a pointer, not a credential on its own: the Table record
// stays the authority, so a valid signature only lets a request ask the
// session store. Signing keys come from a Keyring that a Refresher keeps in
// step with a priceline.SecretSource (Key Vault in Azure), so keys can be
// rotated by adding a secret version: the newest enabled version signs, every
// enabled version verifies, and disabling a version revokes every cookie it
// signed.
package token
