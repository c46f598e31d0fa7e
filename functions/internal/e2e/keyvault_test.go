package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/token"
	"hospitalpriceline/functions/web"
)

// The handler binary reaches Key Vault only through managed identity and
// the default transport, which cannot be pointed at the TLS double without
// a test-only setting in production code. These tests therefore wire the
// app in-process exactly as cmd/handler's buildApp does for the Key Vault
// path (keyvault.Source through the managed-identity credential, a
// token.Refresher, the auth service over Azurite, web.Server), against the
// vault and identity doubles.

const signingSecretName = "session-signing-key"

// vaultApp is the app wired to the doubles.
type vaultApp struct {
	vault   *keyvaulttest.Vault
	refresh *token.Refresher
	api     *api
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newVaultApp(t *testing.T) *vaultApp {
	t.Helper()
	mi := keyvaulttest.NewManagedIdentity(t)
	mi.Setenv(t)
	t.Setenv("WEBSITE_INSTANCE_ID", "")
	vault := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{Authorize: mi.Authorizer()})
	cred, err := keyvault.Credential(keyvaulttest.NewClientID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := keyvault.New(vault.URL, cred, keyvault.Options{ClientOptions: vault.ClientOptions(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	keys := token.NewKeyring()
	ref := &token.Refresher{Keys: keys, Source: src, Name: signingSecretName, Logger: quietLogger()}

	az := azurite.Shared(t)
	prefix := fmt.Sprintf("kv%d", time.Now().UnixNano())
	tables, err := tablestorage.NewFromConnectionString(az.ConnectionString(), tablestorage.Options{TablePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := tables.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := &auth.Service{
		Users:    tables.Users(),
		Sessions: tables.Sessions(),
		Attempts: tables.Attempts(),
		Hasher:   password.NewHasher(password.DefaultParams(), 2, 2*time.Second),
		Policy:   password.DefaultPolicy(),
		Tokens:   &token.Codec{Keys: keys, Issuer: publicURL, Audience: publicURL, Leeway: 30 * time.Second},
		Logger:   quietLogger(),
	}
	srv := &web.Server{
		Config: web.Config{PublicURL: publicURL},
		Auth:   svc,
		Health: []web.HealthCheck{
			{Name: "tables", Check: tables.Ping},
			// The check cmd/handler registers for its signing keys.
			web.KeyHealth("signingKeys", "signing key", ref),
		},
		Logger: quietLogger(),
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &vaultApp{vault: vault, refresh: ref, api: newAPI(ts.URL)}
}

// refresh runs one refresh as the startup path does, bounded in time.
func (a *vaultApp) refreshNow() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.refresh.Refresh(ctx)
}

// health returns /api/health's status and its per-check answers.
func (a *vaultApp) health(t *testing.T) (int, string, map[string]string) {
	t.Helper()
	r := a.api.must(t, "GET", "/api/health", nil, nil)
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("health body %s: %v", r.body, err)
	}
	return r.status, body.Status, body.Checks
}

// kidOf returns the key version named in a session cookie's JWT header.
func kidOf(t *testing.T, cookie string) string {
	t.Helper()
	head, _, _ := strings.Cut(cookie, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("cookie header: %v", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// TestKeyVaultDownAtStartupServesDegradedAndRecovers starts with the vault
// answering 503: the instance still serves (registration needs no key),
// /api/health says degraded, sign-in is a 503 with Retry-After and never
// signs with anything else, and once the vault is back one refresh restores
// sign-in and health.
func TestKeyVaultDownAtStartupServesDegradedAndRecovers(t *testing.T) {
	a := newVaultApp(t)
	v1, _ := a.vault.AddSigningKey(signingSecretName)
	a.vault.SetDown(keyvaulttest.Unavailable)
	if err := a.refreshNow(); err == nil {
		t.Fatal("first refresh with the vault down succeeded")
	}

	status, overall, checks := a.health(t)
	if status != http.StatusServiceUnavailable || overall != "degraded" || checks["signingKeys"] != "unavailable" || checks["tables"] != "ok" {
		t.Errorf("health with no key = %d %s %v, want 503 degraded with signingKeys unavailable and tables ok", status, overall, checks)
	}
	email := uniqueEmail(t, "kv-startup")
	a.api.register(t, email, testPassword)
	r := a.api.must(t, "POST", "/api/login", map[string]string{"email": email, "password": testPassword}, nil)
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "signing_keys_unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("login with no signing key = %s (Retry-After %q), want 503 signing_keys_unavailable with Retry-After", r, r.header.Get("Retry-After"))
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("login with no signing key set cookies: %v", r.header.Values("Set-Cookie"))
	}

	a.vault.SetDown(keyvaulttest.Up)
	if err := a.refreshNow(); err != nil {
		t.Fatalf("refresh after the vault came back: %v", err)
	}
	if status, overall, checks := a.health(t); status != http.StatusOK || overall != "ok" {
		t.Errorf("health after recovery = %d %s %v, want 200 ok", status, overall, checks)
	}
	s := a.api.login(t, email, testPassword)
	if k := kidOf(t, s.cookie); k != v1 {
		t.Errorf("cookie kid = %q, want the vault version %q", k, v1)
	}
}

// TestKeyVaultDownAtRefreshKeepsCachedKeysAndNeverWeakens loads a key, then
// makes the vault drop connections: existing sessions keep working, new
// sign-ins are signed with the cached key, and health says degraded. When
// the vault returns with a newer but too short (weak) version, signing stays
// on the strong cached version.
func TestKeyVaultDownAtRefreshKeepsCachedKeysAndNeverWeakens(t *testing.T) {
	a := newVaultApp(t)
	v1, _ := a.vault.AddSigningKey(signingSecretName)
	if err := a.refreshNow(); err != nil {
		t.Fatal(err)
	}
	email := uniqueEmail(t, "kv-refresh")
	a.api.register(t, email, testPassword)
	before := a.api.login(t, email, testPassword)

	for _, mode := range []keyvaulttest.DownMode{keyvaulttest.Unavailable, keyvaulttest.CloseConnections} {
		a.vault.SetDown(mode)
		if err := a.refreshNow(); err == nil {
			t.Fatalf("refresh with the vault down (mode %d) succeeded", mode)
		}
		if status, overall, checks := a.health(t); status != http.StatusServiceUnavailable || overall != "degraded" || checks["signingKeys"] != "unavailable" {
			t.Errorf("mode %d: health after a failed refresh = %d %s %v, want 503 degraded with signingKeys unavailable", mode, status, overall, checks)
		}
		if r := a.api.must(t, "GET", "/api/me", nil, before); r.status != http.StatusOK {
			t.Errorf("mode %d: session from before the outage = %s, want 200", mode, r)
		}
		during := a.api.login(t, email, testPassword)
		if k := kidOf(t, during.cookie); k != v1 {
			t.Errorf("mode %d: sign-in during the outage used kid %q, want the cached %q", mode, k, v1)
		}
	}

	a.vault.SetDown(keyvaulttest.Up)
	weak := a.vault.AddVersion(signingSecretName, base64.StdEncoding.EncodeToString([]byte("only-sixteen-byt")))
	if err := a.refreshNow(); err != nil {
		t.Fatalf("refresh with a weak newest version next to a strong one: %v", err)
	}
	s := a.api.login(t, email, testPassword)
	if k := kidOf(t, s.cookie); k != v1 || k == weak {
		t.Errorf("after a weak version %q was added, sign-in used kid %q, want the strong %q", weak, k, v1)
	}
	if status, overall, _ := a.health(t); status != http.StatusOK || overall != "ok" {
		t.Errorf("health after the vault came back = %d %s, want 200 ok", status, overall)
	}
}
