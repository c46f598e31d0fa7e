package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/token"
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
	keys := token.NewKeyring()
	var refresher *token.Refresher
	if cfg.DevMFAKey != nil {
		if err := keys.Set([]priceline.SigningKey{{Version: "dev", Secret: cfg.DevMFAKey, Enabled: true, Created: time.Now()}}); err != nil {
			return nil, nil, fmt.Errorf("setting PRICELINE_DEV_MFA_KEY: %w", err)
		}
		logger.Warn("using PRICELINE_DEV_MFA_KEY: for local development only")
	} else {
		if vault == nil {
			return nil, nil, fmt.Errorf("setting PRICELINE_MFA_SECRET_NAME: needs PRICELINE_KEYVAULT_URL")
		}
		keys.SetActivationDelay(keyActivationDelay, nil)
		// Loaded in the background like the signing keys, so startup never
		// waits for the vault; two-step sign-in answers 503 until it is.
		refresher = &token.Refresher{Keys: keys, Source: vault, Name: cfg.MFASecretName, Interval: keyRefreshInterval, AttemptTimeout: vaultReadTimeout, Logger: logger}
		go refresher.Run(bg)
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
	health := []web.HealthCheck{{Name: "mfaKey", Check: func(context.Context) error {
		if !keys.Loaded() {
			if refresher != nil && !refresher.Attempted() {
				return web.ErrStarting
			}
			return fmt.Errorf("no MFA key loaded")
		}
		if refresher != nil {
			if st := refresher.Status(); st.LastError != "" {
				return fmt.Errorf("last MFA key refresh failed (serving with cached keys): %s", st.LastError)
			}
		}
		return nil
	}}}
	return mfa, health, nil
}
