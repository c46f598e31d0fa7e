package priceline

import (
	"context"
	"time"
)

// SigningKey is one version of the session-signing secret.
type SigningKey struct {
	Version string // Key Vault secret version, or "dev" for a local key; the JWT "kid"
	Secret  []byte // at least 32 bytes
	Enabled bool
	Created time.Time
}

// SecretSource reads secrets, such as the session-signing key's versions and
// the B2C client secret, from wherever they are kept (Key Vault in Azure).
type SecretSource interface {
	// SigningKeys returns every enabled version of the named secret, newest
	// first. Disabled and expired versions are left out.
	SigningKeys(ctx context.Context, name string) ([]SigningKey, error)
	// Secret returns the current value of the named secret.
	Secret(ctx context.Context, name string) (string, error)
}
