package main

import (
	"context"
	"fmt"
	"log/slog"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/web"
)

// startMFA builds two-step sign-in and passkeys from cfg: nil when neither
// an MFA key secret nor a development key is set. The key is loaded like
// the signing keys (every enabled version, refreshed, a new version sealing
// only after the activation delay, so every instance can open what any
// instance sealed); it comes with a health check.
func startMFA(bg context.Context, cfg *config, vault *keyvault.Source, tables *tablestorage.Client, logger *slog.Logger) (*auth.MFAConfig, []web.HealthCheck, error) {
	if cfg.MFASecretName == "" && cfg.DevMFAKey == nil {
		return nil, nil, nil
	}
	// Without a development key vault is set: loadConfig takes
	// PRICELINE_MFA_SECRET_NAME only with PRICELINE_KEYVAULT_URL, which in
	// turn excludes PRICELINE_DEV_SIGNING_KEY, so buildAppWith opened the
	// vault. Two-step sign-in answers 503 until the key has loaded.
	keys, keyHealth, err := loadKeys(bg, mfaKeySpec(cfg, vault), logger)
	if err != nil {
		return nil, nil, err
	}
	wa, err := auth.NewRelyingParty(cfg.PublicURL, "Hospital Priceline")
	if err != nil {
		return nil, nil, fmt.Errorf("setting PRICELINE_PUBLIC_URL: %w", err)
	}
	m := tables.MFA()
	mfa := &auth.MFAConfig{
		TOTP: m, RecoveryCodes: m, Passkeys: tables.Passkeys(), Challenges: tables.Challenges(),
		Keys: keys, Issuer: "Hospital Priceline", WebAuthn: wa,
	}
	return mfa, []web.HealthCheck{keyHealth}, nil
}
