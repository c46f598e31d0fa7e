package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/b2c"
	"hospitalpriceline/functions/internal/backoff"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/web"
)

// b2cSecretRefreshInterval is how often the B2C client secret is re-read
// from Key Vault once it has been read, as for the signing keys: a rotated
// secret reaches every instance within it (plus 10 % jitter), so an
// operator who rotates keeps the old secret valid in the app registration
// at least that long.
const b2cSecretRefreshInterval = keyRefreshInterval

// startB2C builds cloud sign-in from s (nil when it is off). A client
// secret set directly (local development) builds the client at once. One
// named in Key Vault is read in the background, cancelled with bg: cloud
// sign-in starts configured but not ready, its routes answer 503
// b2c_not_ready until the first read succeeds, and later reads pick up a
// rotated secret (b2cSecret.run). The "b2cClientSecret" health check then
// reports it.
func startB2C(bg context.Context, s *b2cSettings, secrets secretReader, flows priceline.AuthFlowStore, tokens priceline.TokenCacheStore, logger *slog.Logger) (*auth.CloudSignIn, []web.HealthCheck, error) {
	if s == nil || s.ClientSecretName == "" {
		// No network I/O: the secret is in the settings.
		sso, err := newB2CSignIn(context.Background(), s, secrets, flows, tokens)
		return sso, nil, err
	}
	if secrets == nil {
		return nil, nil, &settingError{Name: "PRICELINE_B2C_CLIENT_SECRET_NAME", Problem: "needs PRICELINE_KEYVAULT_URL, the vault to read it from"}
	}
	sso := &auth.CloudSignIn{Flows: flows, ResetPolicy: s.ResetPolicy, EditPolicy: s.EditPolicy}
	// As newB2CSignIn decides: provider tokens are kept only for
	// downstream API scopes.
	if len(s.APIScopes) > 0 {
		sso.Tokens = tokens
	}
	sec := newB2CSecret(s, secrets, sso, logger)
	go sec.run(bg)
	return sso, []web.HealthCheck{{Name: "b2cClientSecret", Check: sec.check}}, nil
}

// b2cSecret keeps cloud sign-in's client in step with the client secret in
// Key Vault: the first read makes cloud sign-in ready, and a later read
// that finds a different value builds a new client and swaps it in
// (auth.CloudSignIn.SetClient), so a rotation does not break sign-in until
// a restart. Flows already started finish with whichever client is current:
// their state is in Table Storage, not in the client.
type b2cSecret struct {
	settings *b2cSettings
	secrets  secretReader
	sso      *auth.CloudSignIn
	logger   *slog.Logger
	// build makes the provider client for a secret; tests replace it to
	// see which secret is in use.
	build func(secret string) (priceline.IdentityProvider, error)

	mu        sync.Mutex
	attempted bool     // a read has finished, successfully or not
	loaded    bool     // a client is in place
	current   [32]byte // SHA-256 of the secret in use, to notice a rotation without keeping it twice
	lastErr   string   // the last read's error, "" after a success
}

func newB2CSecret(s *b2cSettings, secrets secretReader, sso *auth.CloudSignIn, logger *slog.Logger) *b2cSecret {
	return &b2cSecret{
		settings: s, secrets: secrets, sso: sso, logger: logger,
		build: func(secret string) (priceline.IdentityProvider, error) {
			c, err := b2c.New(s.clientConfig(secret))
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// refresh reads the secret once and, when it is new, puts a client built
// with it in place. The error names the setting and never the value.
func (b *b2cSecret) refresh(ctx context.Context) error {
	c, cancel := context.WithTimeout(ctx, vaultReadTimeout)
	v, err := b.secrets.Secret(c, b.settings.ClientSecretName)
	cancel()
	if err != nil {
		return b.failed(fmt.Errorf("setting PRICELINE_B2C_CLIENT_SECRET_NAME: read B2C client secret %q: %w", b.settings.ClientSecretName, err))
	}
	sum := sha256.Sum256([]byte(v))
	b.mu.Lock()
	same := b.loaded && sum == b.current
	first := !b.loaded
	b.mu.Unlock()
	if !same {
		client, err := b.build(v)
		if err != nil {
			// Only the secret differs from the validated settings, so this
			// is about its value, which must not be repeated.
			return b.failed(fmt.Errorf("B2C client secret from %s is not usable", secretOrigin(b.settings)))
		}
		b.sso.SetClient(client)
		if first {
			b.logger.Info("B2C client secret read; cloud sign-in is ready", "secret", b.settings.ClientSecretName)
		} else {
			b.logger.Info("B2C client secret changed in Key Vault; cloud sign-in now uses the new one", "secret", b.settings.ClientSecretName)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempted, b.loaded, b.current, b.lastErr = true, true, sum, ""
	return nil
}

// failed records err for the health check and returns it.
func (b *b2cSecret) failed(err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempted, b.lastErr = true, err.Error()
	return err
}

// check is the "b2cClientSecret" health check: starting until the first
// read has finished, unavailable while there is no client or the last
// read failed (a rotation would not reach this instance).
func (b *b2cSecret) check(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.attempted:
		return web.ErrStarting
	case !b.loaded:
		return fmt.Errorf("B2C client secret not read yet (cloud sign-in answers 503): %s", b.lastErr)
	case b.lastErr != "":
		return fmt.Errorf("last B2C client secret refresh failed (signing in with the secret read before): %s", b.lastErr)
	}
	return nil
}

// run reads the secret at once, then every b2cSecretRefreshInterval; after
// a failure it retries from firstRetry, doubling to maxRetry, until ctx
// ends.
func (b *b2cSecret) run(ctx context.Context) {
	backoff.Loop(ctx, 0, b2cSecretRefreshInterval, &backoff.Doubling{First: firstRetry, Max: maxRetry}, b.refresh, b.logFailure)
}

// logFailure says why a read failed: an outage is a warning, anything else
// (a deleted secret, revoked access, an unusable value) needs an operator.
func (b *b2cSecret) logFailure(err error, wait time.Duration) {
	b.mu.Lock()
	loaded := b.loaded
	b.mu.Unlock()
	msg := "B2C client secret not read; cloud sign-in answers 503 until it is"
	if loaded {
		msg = "B2C client secret refresh failed; signing in with the secret read before"
	}
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		b.logger.Error(msg+"; fix the setting or the vault", "secret", b.settings.ClientSecretName, "err", err, "retry_in", wait)
		return
	}
	b.logger.Warn(msg, "secret", b.settings.ClientSecretName, "err", err, "retry_in", wait)
}
