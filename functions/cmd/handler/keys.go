package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
	"hospitalpriceline/functions/web"
)

// keySpec says where one versioned key comes from: the session-signing keys
// and the MFA key are loaded, refreshed and checked the same way.
type keySpec struct {
	check      string           // the health check's name
	what       string           // the key in messages, such as "signing key"
	dev        []byte           // a local development key; the vault is not read when set
	devSetting string           // the setting that holds dev
	vault      *keyvault.Source // where the versions are read otherwise
	secret     string           // the vault secret that holds them
}

// signingKeySpec says where the session-signing keys come from in cfg;
// vault is nil when the signing key is a development key.
func signingKeySpec(cfg *config, vault *keyvault.Source) keySpec {
	return keySpec{check: "signingKeys", what: "signing key", vault: vault, secret: cfg.SigningSecretName,
		dev: cfg.DevSigningKey, devSetting: "PRICELINE_DEV_SIGNING_KEY"}
}

// mfaKeySpec says where the MFA key that seals authenticator-app secrets
// comes from in cfg (its secret name is "" when two-step sign-in is off).
func mfaKeySpec(cfg *config, vault *keyvault.Source) keySpec {
	return keySpec{check: "mfaKey", what: "MFA key", vault: vault, secret: cfg.MFASecretName,
		dev: cfg.DevMFAKey, devSetting: "PRICELINE_DEV_MFA_KEY"}
}

// loadKeys returns a keyring filled from spec, with its health check. A
// development key is set at once. Vault versions load in the background,
// so startup never waits for the vault, and are refreshed until bg ends; a
// new version is used only once every instance has loaded it: older than
// the longest refresh gap (interval plus 10 % jitter) with margin, so every
// instance can verify or open what any instance signed or sealed. Until the
// first load, the routes that need the keys answer 503, never 401, so no
// browser drops a cookie another instance signed.
func loadKeys(bg context.Context, spec keySpec, logger *slog.Logger) (*token.Keyring, web.HealthCheck, error) {
	keys := token.NewKeyring()
	if spec.dev != nil {
		if err := keys.Set([]priceline.SigningKey{{Version: "dev", Secret: spec.dev, Enabled: true, Created: time.Now()}}); err != nil {
			return nil, web.HealthCheck{}, fmt.Errorf("setting %s: %w", spec.devSetting, err)
		}
		logger.Warn("using " + spec.devSetting + ": for local development only")
		return keys, web.DevKeyHealth(spec.check, spec.what, keys), nil
	}
	keys.SetActivationDelay(keyActivationDelay, nil)
	refresher := &token.Refresher{Keys: keys, Source: spec.vault, Name: spec.secret, Interval: keyRefreshInterval, AttemptTimeout: vaultReadTimeout, Logger: logger}
	go refresher.Run(bg)
	return keys, web.KeyHealth(spec.check, spec.what, refresher), nil
}

// The labels of derivedKey, one per purpose.
const (
	// cursorKeyLabel: the key that signs price-list cursors. A rotation
	// invalidates cursors in flight: the client starts from page one.
	cursorKeyLabel = "priceline cursor v1"
	// eventKeyLabel: the key of the security log's account keys. A rotation
	// changes the account keys from then on.
	eventKeyLabel = "priceline security log account key v1"
)

// derivedKey is the source of a key for one purpose, named by label,
// derived from the newest session-signing key, so every instance agrees
// without another secret. Each call of the source derives it anew: nil until
// a signing key has loaded, and a rotation changes it from then on.
func derivedKey(keys *token.Keyring, label string) func() []byte {
	return func() []byte {
		k, ok := keys.Signing()
		if !ok {
			return nil
		}
		m := hmac.New(sha256.New, k.Secret)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
}
