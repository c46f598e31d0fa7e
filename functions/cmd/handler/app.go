package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/internal/backoff"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/pricing"
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

// vaultReadTimeout bounds each read of Key Vault (signing keys, B2C client
// secret). A vault that accepts connections and never answers would
// otherwise hold a background load forever.
const vaultReadTimeout = 10 * time.Second

// ensureTablesTimeout bounds each attempt to create the tables.
const ensureTablesTimeout = 15 * time.Second

// Background loads (tables, B2C client secret) retry after a failure from
// firstRetry, doubling to at most maxRetry (±10 % jitter, so instances
// started together do not retry together): a blip costs a second, a long
// outage one attempt a minute per instance. The signing keys' refresher
// backs off the same way (token.Refresher.Run).
const (
	firstRetry = time.Second
	maxRetry   = time.Minute
)

// appDeps are the connections buildApp makes beyond what the settings say.
// Production uses the zero value; tests fill it in to reach the Key Vault
// double's TLS endpoint and to keep their tables apart, which no setting
// may do in production.
type appDeps struct {
	vault  keyvault.Options     // passed to keyvault.New
	tables tablestorage.Options // passed to the table client
}

// buildApp wires adapters, flows and the HTTP layer from cfg.
func buildApp(cfg *config, logger *slog.Logger) (*app, error) {
	return buildAppWith(cfg, logger, appDeps{})
}

// buildAppWith is buildApp with deps in place of the defaults.
//
// Nothing here waits on the network. The Functions host gives a custom
// handler 30 s to answer on its port before it gives up on the worker
// (HttpWorkerOptions.InitializationTimeout in Azure/azure-functions-host,
// src/WebJobs.Script/Workers/Http/Configuration/HttpWorkerOptions.cs;
// DefaultHttpWorkerService.IsWorkerReady polls http://127.0.0.1:PORT/ every
// 25 ms and HttpWorkerChannel.DelayUntilWokerInitialized fails the start
// with "Initializing HttpWorker timed out."). Tables, signing keys and the
// B2C client secret therefore load in the background, retrying with bounded
// backoff until Close, and the routes that need one answer 503 with
// Retry-After until it has loaded (web.Readiness).
func buildAppWith(cfg *config, logger *slog.Logger, deps appDeps) (*app, error) {
	bg, stop := context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			stop()
		}
	}()

	var cred azcore.TokenCredential
	needCred := cfg.TablesEndpoint != "" || cfg.KeyVaultURL != "" || cfg.MailEndpoint != ""
	if needCred {
		c, err := keyvault.Credential(cfg.ManagedIdentityID, nil)
		if err != nil {
			return nil, fmt.Errorf("managed identity credential: %w", err)
		}
		cred = c
	}

	deps.tables.Logger = logger
	tables, err := newTables(cfg, cred, deps.tables)
	if err != nil {
		return nil, err
	}
	var tablesReady atomic.Bool
	go ensureTables(bg, tables, &tablesReady, logger)
	ready := &web.Readiness{Tables: tablesReady.Load}
	health := []web.HealthCheck{{Name: "tables", Check: func(ctx context.Context) error {
		if !tablesReady.Load() {
			return web.ErrStarting
		}
		return tables.Ping(ctx)
	}}}

	var vault *keyvault.Source // set when the signing key comes from Key Vault
	if cfg.DevSigningKey == nil {
		src, err := keyvault.New(cfg.KeyVaultURL, cred, deps.vault)
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_KEYVAULT_URL: %w", err)
		}
		vault = src
	}
	keys, keysHealth, err := loadKeys(bg, signingKeySpec(cfg, vault), logger)
	if err != nil {
		return nil, err
	}
	ready.SigningKeys = keys.Loaded
	health = append(health, keysHealth)

	// Each argon2id hash holds 19 MiB; cap concurrent hashes so a login flood
	// cannot exhaust memory (excess requests wait briefly, then get 503).
	// Hashing with p=1 is CPU-bound, so more hashes than cores add memory
	// and latency, not throughput.
	hashers := max(2, runtime.NumCPU())
	mailer, err := newMailer(cfg, cred, logger)
	if err != nil {
		return nil, err
	}
	svc := &auth.Service{
		Users:    tables.Users(),
		Sessions: tables.Sessions(),
		Attempts: tables.Attempts(),
		Hasher:   password.NewHasher(password.DefaultParams(), hashers, 2*time.Second),
		Policy:   password.DefaultPolicy(),
		Tokens:   &token.Codec{Keys: keys, Issuer: cfg.PublicURL, Audience: cfg.PublicURL, Leeway: 30 * time.Second},
		Config:   auth.Config{IdleTimeout: cfg.IdleTimeout, Lifetime: cfg.SessionLifetime, SessionCacheTTL: cfg.SessionCacheTTL},
		Logger:   logger,

		AccountTokens: tables.AccountTokens(),
		Mail:          newAccountMail(cfg, tables.Outbox(), mailer, logger),
		Breached:      newBreachCheck(cfg, logger),
		Saved:         tables.Saved(),
		CloudEmails:   tables.CloudEmails(),
		Events:        &auth.EventLog{Logger: logger, KeySource: derivedKey(keys, eventKeyLabel)},
	}
	mfa, mfaHealth, err := startMFA(bg, cfg, vault, tables, logger) // mfa.go
	if err != nil {
		return nil, err
	}
	if mfa != nil {
		// Notices of changes to the second factors go out by the account
		// mail path, like the other account notices.
		mfa.Notifier = svc.MailNotices()
	}
	svc.MFA = mfa
	health = append(health, mfaHealth...)
	var secrets secretReader // stays a nil interface without a vault
	if vault != nil {
		secrets = vault
	}
	sso, b2cHealth, err := startB2C(bg, cfg.B2C, secrets, tables.AuthFlows(), tables.TokenCaches(), logger)
	if err != nil {
		return nil, err
	}
	health = append(health, b2cHealth...)
	srv := &web.Server{
		Config:     web.Config{PublicURL: cfg.PublicURL, TrustForwardedFor: cfg.TrustForwardedFor, TrustedProxyHops: cfg.TrustedProxyHops},
		Auth:       svc,
		Health:     health,
		Logger:     logger,
		B2C:        sso,
		B2CEnabled: sso != nil,
		Ready:      ready,
		Prices: &web.PriceAPI{Service: &pricing.Service{
			Store: tables.Prices(),
			// Saving more than a few estimates needs a verified address.
			Saved:     &auth.VerifiedSaves{SavedStore: tables.Saved(), Users: tables.Users()},
			CursorKey: derivedKey(keys, cursorKeyLabel),
		}},
	}
	ok = true
	return &app{Handler: srv.Handler(), Server: srv, stop: func() { stop(); svc.WaitMail() }}, nil
}

func newTables(cfg *config, cred azcore.TokenCredential, opt tablestorage.Options) (*tablestorage.Client, error) {
	if cfg.TablesConnString != "" {
		c, err := tablestorage.NewFromConnectionString(cfg.TablesConnString, opt)
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_TABLES_CONNECTION_STRING: %w", err)
		}
		return c, nil
	}
	c, err := tablestorage.NewWithCredential(cfg.TablesEndpoint, cred, opt)
	if err != nil {
		return nil, fmt.Errorf("setting PRICELINE_TABLES_ENDPOINT: %w", err)
	}
	return c, nil
}

// ensureTables creates the tables when missing, retrying until it succeeds
// or ctx ends, and then marks them ready. A storage outage at startup must
// not stop the instance from answering (503 tables_unavailable meanwhile).
func ensureTables(ctx context.Context, tables *tablestorage.Client, ready *atomic.Bool, logger *slog.Logger) {
	backoff.Loop(ctx, 0, 0, &backoff.Doubling{First: firstRetry, Max: maxRetry},
		func(ctx context.Context) error {
			c, cancel := context.WithTimeout(ctx, ensureTablesTimeout)
			defer cancel()
			if err := tables.EnsureTables(c); err != nil {
				return err
			}
			ready.Store(true)
			logger.Info("tables ready")
			return nil
		},
		func(err error, wait time.Duration) {
			logger.Warn("could not ensure tables; routes that need them answer 503 until they are", "err", err, "retry_in", wait)
		})
}
