package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
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

// startupKeyWait bounds how long startup waits for the first key load; after
// that the app serves (health says degraded) and the refresher keeps trying.
const startupKeyWait = 10 * time.Second

// b2cSecretFirstRetry and b2cSecretMaxRetry bound the background retries
// of the B2C client secret after Key Vault failed at startup: the waits
// double from the first to the most, so a blip costs seconds and a long
// outage a read a minute per instance.
const (
	b2cSecretFirstRetry = time.Second
	b2cSecretMaxRetry   = time.Minute
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
func buildApp(ctx context.Context, cfg *config, logger *slog.Logger) (*app, error) {
	return buildAppWith(ctx, cfg, logger, appDeps{})
}

// buildAppWith is buildApp with deps in place of the defaults.
func buildAppWith(ctx context.Context, cfg *config, logger *slog.Logger, deps appDeps) (*app, error) {
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

	tables, err := newTables(cfg, cred, deps.tables)
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
		src, err := keyvault.New(cfg.KeyVaultURL, cred, deps.vault)
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
	mfa, mfaHealth, err := startMFA(ctx, bg, cfg, vault, tables, logger) // mfa.go
	if err != nil {
		return nil, err
	}
	svc.MFA = mfa
	health = append(health, mfaHealth...)
	var secrets secretReader // stays a nil interface without a vault
	if vault != nil {
		secrets = vault
	}
	sso, b2cHealth, err := startB2C(ctx, bg, cfg.B2C, secrets, tables.AuthFlows(), tables.TokenCaches(), logger)
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
		Prices: &web.PriceAPI{Service: &pricing.Service{
			Store:     tables.Prices(),
			Saved:     tables.Saved(),
			CursorKey: func() []byte { return cursorKey(keys) },
		}},
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

// startB2C builds cloud sign-in from s (nil when it is off). When the client
// secret cannot be read from Key Vault because the vault is unavailable, the
// app starts anyway, as it does without signing keys: the B2C routes answer
// 503 until a background retry, cancelled with bg, reads the secret. Any
// other failure (no such secret, no access, an unusable value) is a
// configuration error that retrying will not fix, and stops startup. A
// secret read from Key Vault comes with a health check that is degraded
// until it has been read.
func startB2C(ctx, bg context.Context, s *b2cSettings, secrets secretReader, flows priceline.AuthFlowStore, tokens priceline.TokenCacheStore, logger *slog.Logger) (*auth.CloudSignIn, []web.HealthCheck, error) {
	first, cancel := context.WithTimeout(ctx, startupKeyWait)
	sso, err := newB2CSignIn(first, s, secrets, flows, tokens)
	cancel()
	if s == nil || s.ClientSecretName == "" {
		return sso, nil, err
	}
	state := &b2cSecretState{}
	health := []web.HealthCheck{{Name: "b2cClientSecret", Check: state.check}}
	if err == nil {
		return sso, health, nil
	}
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		return nil, nil, err
	}
	logger.Error("B2C client secret not read at startup; cloud sign-in answers 503 until it is", "secret", s.ClientSecretName, "err", err)
	state.failed(err)
	pending := &auth.CloudSignIn{Flows: flows, ResetPolicy: s.ResetPolicy, EditPolicy: s.EditPolicy}
	// As newB2CSignIn decides: provider tokens are kept only for
	// downstream API scopes.
	if len(s.APIScopes) > 0 {
		pending.Tokens = tokens
	}
	go retryB2CSecret(bg, s, secrets, pending, state, logger)
	return pending, health, nil
}

// b2cSecretState is what the health check knows of the B2C client secret:
// read, or the last reason it was not.
type b2cSecretState struct {
	mu      sync.Mutex
	pending bool
	lastErr string
}

func (st *b2cSecretState) failed(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pending, st.lastErr = true, err.Error()
}

func (st *b2cSecretState) read() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pending, st.lastErr = false, ""
}

func (st *b2cSecretState) check(context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pending {
		return fmt.Errorf("B2C client secret not read yet (cloud sign-in answers 503): %s", st.lastErr)
	}
	return nil
}

// retryB2CSecret reads the B2C client secret until it succeeds or ctx ends,
// waiting longer after each failure (with jitter, so instances started
// together do not retry together), and then hands the client to sso.
func retryB2CSecret(ctx context.Context, s *b2cSettings, secrets secretReader, sso *auth.CloudSignIn, state *b2cSecretState, logger *slog.Logger) {
	delay := b2cSecretFirstRetry
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		c, cancel := context.WithTimeout(ctx, startupKeyWait)
		built, err := newB2CSignIn(c, s, secrets, nil, nil)
		cancel()
		if err == nil {
			sso.SetClient(built.Client)
			state.read()
			logger.Info("B2C client secret read; cloud sign-in is ready", "secret", s.ClientSecretName)
			return
		}
		if ctx.Err() != nil {
			return
		}
		state.failed(err)
		delay = min(2*delay, b2cSecretMaxRetry)
		wait := delay - delay/10 + rand.N(delay/5+1)
		if priceline.ErrorKind(err) != priceline.KindUnavailable {
			// Startup would have stopped on this (a deleted secret, revoked
			// access): an operator must act, so it is an error, not a blip.
			logger.Error("B2C client secret cannot be read; fix the setting or the vault, will retry", "secret", s.ClientSecretName, "err", err, "retry_in", wait)
		} else {
			logger.Warn("B2C client secret still not read; will retry", "secret", s.ClientSecretName, "err", err, "retry_in", wait)
		}
		timer.Reset(wait)
	}
}
