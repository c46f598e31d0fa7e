package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/token"
	"hospitalpriceline/functions/web"
)

// app is the wired handler and what must be stopped with it.
type app struct {
	Handler http.Handler
	Server  *web.Server
	stop    context.CancelFunc
}

// Close stops background work (the key refresher).
func (a *app) Close() { a.stop() }

// keyRefreshInterval is how often signing-key versions are re-read from Key
// Vault, so a rotation reaches every instance within this time.
const keyRefreshInterval = 5 * time.Minute

// keyActivationDelay is how old a signing-key version must be before it
// signs: longer than any instance's refresh gap, so every instance verifies
// a version before any instance signs with it.
const keyActivationDelay = keyRefreshInterval + 2*time.Minute

// startupKeyWait bounds how long startup waits for the first key load; after
// that the app serves (health says degraded) and the refresher keeps trying.
const startupKeyWait = 10 * time.Second

// buildApp wires adapters, flows and the HTTP layer from cfg.
func buildApp(ctx context.Context, cfg *config, logger *slog.Logger) (*app, error) {
	bg, stop := context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			stop()
		}
	}()

	var cred azcore.TokenCredential
	needCred := cfg.TablesEndpoint != "" || cfg.KeyVaultURL != ""
	if needCred {
		c, err := keyvault.Credential(cfg.ManagedIdentityID, nil)
		if err != nil {
			return nil, fmt.Errorf("managed identity credential: %w", err)
		}
		cred = c
	}

	tables, err := newTables(cfg, cred)
	if err != nil {
		return nil, err
	}
	// Create tables in the background when missing; a storage outage at
	// startup must not stop the instance from answering 503s.
	ensureCtx, cancelEnsure := context.WithTimeout(ctx, 15*time.Second)
	if err := tables.EnsureTables(ensureCtx); err != nil {
		logger.Warn("could not ensure tables at startup; will retry", "err", err)
		go retryEnsureTables(bg, tables, logger)
	}
	cancelEnsure()

	keys := token.NewKeyring()
	var refresher *token.Refresher // nil with the local development key
	var vault *keyvault.Source     // set when the signing key comes from Key Vault
	health := []web.HealthCheck{{Name: "tables", Check: tables.Ping}}
	if cfg.DevSigningKey != nil {
		if err := keys.Set([]priceline.SigningKey{{Version: "dev", Secret: cfg.DevSigningKey, Enabled: true, Created: time.Now()}}); err != nil {
			return nil, fmt.Errorf("setting PRICELINE_DEV_SIGNING_KEY: %w", err)
		}
		logger.Warn("using PRICELINE_DEV_SIGNING_KEY: for local development only")
	} else {
		src, err := keyvault.New(cfg.KeyVaultURL, cred, keyvault.Options{})
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_KEYVAULT_URL: %w", err)
		}
		vault = src
		// A new version signs only once every instance has loaded it: older
		// than the longest refresh gap (interval plus 10 % jitter) with margin.
		keys.SetActivationDelay(keyActivationDelay, nil)
		ref := &token.Refresher{Keys: keys, Source: src, Name: cfg.SigningSecretName, Interval: keyRefreshInterval, Logger: logger}
		refresher = ref
		first, cancel := context.WithTimeout(ctx, startupKeyWait)
		if err := ref.Refresh(first); err != nil {
			logger.Error("signing keys not loaded at startup; serving degraded until they are", "vault", cfg.KeyVaultURL, "err", err)
		}
		cancel()
		go ref.Run(bg)
	}
	// Degraded also while the last refresh failed: the instance still serves
	// with its cached keys, but a rotation would not reach it.
	health = append(health, web.HealthCheck{Name: "signingKeys", Check: func(context.Context) error {
		if !keys.Loaded() {
			return fmt.Errorf("no signing key loaded")
		}
		if refresher != nil {
			if st := refresher.Status(); st.LastError != "" {
				return fmt.Errorf("last signing-key refresh failed (serving with cached keys): %s", st.LastError)
			}
		}
		return nil
	}})

	// Each argon2id hash holds 19 MiB; cap concurrent hashes so a login flood
	// cannot exhaust memory (excess requests wait briefly, then get 503).
	// Hashing with p=1 is CPU-bound, so more hashes than cores add memory
	// and latency, not throughput.
	hashers := max(2, runtime.NumCPU())
	svc := &auth.Service{
		Users:    tables.Users(),
		Sessions: tables.Sessions(),
		Attempts: tables.Attempts(),
		Hasher:   password.NewHasher(password.DefaultParams(), hashers, 2*time.Second),
		Policy:   password.DefaultPolicy(),
		Tokens:   &token.Codec{Keys: keys, Issuer: cfg.PublicURL, Audience: cfg.PublicURL, Leeway: 30 * time.Second},
		Config:   auth.Config{IdleTimeout: cfg.IdleTimeout, Lifetime: cfg.SessionLifetime, SessionCacheTTL: cfg.SessionCacheTTL},
		Logger:   logger,
	}
	var secrets secretReader // stays a nil interface without a vault
	if vault != nil {
		secrets = vault
	}
	b2cCtx, cancelB2C := context.WithTimeout(ctx, startupKeyWait)
	sso, err := newB2CSignIn(b2cCtx, cfg.B2C, secrets, tables.AuthFlows(), tables.TokenCaches())
	cancelB2C()
	if err != nil {
		return nil, err
	}
	srv := &web.Server{
		Config:     web.Config{PublicURL: cfg.PublicURL, TrustForwardedFor: cfg.TrustForwardedFor},
		Auth:       svc,
		Health:     health,
		Logger:     logger,
		B2C:        sso,
		B2CEnabled: sso != nil,
		Prices: &web.PriceAPI{
			Store:     tables.Prices(),
			Saved:     tables.Saved(),
			CursorKey: func() []byte { return cursorKey(keys) },
		},
	}
	ok = true
	return &app{Handler: srv.Handler(), Server: srv, stop: stop}, nil
}

// cursorKey derives the key that signs price-list cursors from the newest
// session-signing key, so every instance agrees without another secret. A
// rotation invalidates cursors in flight: the client starts from page one.
func cursorKey(keys *token.Keyring) []byte {
	k, ok := keys.Signing()
	if !ok {
		return nil
	}
	m := hmac.New(sha256.New, k.Secret)
	m.Write([]byte("priceline cursor v1"))
	return m.Sum(nil)
}

func newTables(cfg *config, cred azcore.TokenCredential) (*tablestorage.Client, error) {
	if cfg.TablesConnString != "" {
		c, err := tablestorage.NewFromConnectionString(cfg.TablesConnString, tablestorage.Options{})
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_TABLES_CONNECTION_STRING: %w", err)
		}
		return c, nil
	}
	c, err := tablestorage.NewWithCredential(cfg.TablesEndpoint, cred, tablestorage.Options{})
	if err != nil {
		return nil, fmt.Errorf("setting PRICELINE_TABLES_ENDPOINT: %w", err)
	}
	return c, nil
}

func retryEnsureTables(ctx context.Context, tables *tablestorage.Client, logger *slog.Logger) {
	delay := time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		c, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := tables.EnsureTables(c)
		cancel()
		if err == nil {
			logger.Info("tables ensured")
			return
		}
		delay = min(2*delay, time.Minute)
	}
}
