package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/syncbuf"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/tablestorage"
)

const b2cSecretName = "b2c-client-secret"

// vaultB2CApp is the handler built by buildAppWith from settings naming the
// Key Vault double for both the signing key and the B2C client secret, with
// the managed-identity double as its credential, over Azurite.
type vaultB2CApp struct {
	app   *app
	vault *keyvaulttest.Vault
	url   string
	logs  *syncbuf.Buffer
}

// newVaultB2CApp starts the handler with the vault in mode at startup (the
// secrets are in it either way; secret false leaves out the B2C one).
func newVaultB2CApp(t *testing.T, mode keyvaulttest.DownMode, secret bool) (*vaultB2CApp, error) {
	t.Helper()
	notInAzure(t)
	mi := keyvaulttest.NewManagedIdentity(t)
	mi.Setenv(t)
	vault := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{Authorize: mi.Authorizer()})
	vault.AddSigningKey("session-signing-key", keyvaulttest.Created(time.Now().Add(-time.Hour)))
	if secret {
		vault.AddVersion(b2cSecretName, "cloud-client-secret-value")
	}
	vault.SetDown(mode)

	m := b2cEnv()
	delete(m, "PRICELINE_B2C_CLIENT_SECRET")
	m["PRICELINE_B2C_CLIENT_SECRET_NAME"] = b2cSecretName
	m["PRICELINE_KEYVAULT_URL"] = vault.URL
	m["PRICELINE_PUBLIC_URL"] = "https://priceline.example.org"
	m["PRICELINE_TABLES_CONNECTION_STRING"] = azurite.Shared(t).ConnectionString()
	m["AZURE_CLIENT_ID"] = keyvaulttest.NewClientID()
	cfg, err := loadConfig(env(m), false)
	if err != nil {
		t.Fatalf("settings: %v", err)
	}

	logs := &syncbuf.Buffer{}
	deps := appDeps{
		vault:  keyvault.Options{ClientOptions: vault.ClientOptions(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		tables: tablestorage.Options{TablePrefix: fmt.Sprintf("b2c%d", time.Now().UnixNano()%1_000_000_000)},
	}
	start := time.Now()
	a, err := buildAppWith(cfg, slog.New(slog.NewJSONHandler(logs, nil)), deps)
	if err != nil {
		return nil, err
	}
	t.Cleanup(a.Close)
	// Building waits on nothing: the Functions host's 30 s start limit
	// belongs to the process, whatever the vault does.
	if d := time.Since(start); d > time.Second {
		t.Errorf("building the app took %s with the vault in mode %d", d, mode)
	}
	ts := httptest.NewServer(a.Handler)
	t.Cleanup(ts.Close)
	return &vaultB2CApp{app: a, vault: vault, url: ts.URL, logs: logs}, nil
}

// settledHealth polls /api/health until no check says "starting" (the
// background loads have each finished once), within 15 s.
func (v *vaultB2CApp) settledHealth(t *testing.T) (int, map[string]string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, checks := v.health(t)
		starting := false
		for _, c := range checks {
			starting = starting || c == "starting"
		}
		if !starting {
			return status, checks
		}
		if time.Now().After(deadline) {
			t.Fatalf("health still starting after 15 s: %d %v; logs:\n%s", status, checks, v.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (v *vaultB2CApp) get(t *testing.T, path string, accept string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", v.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// errorCode is the code of a JSON error answer, "" for anything else.
func (a answer) errorCode() string {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(a.body), &body) != nil || body.Error.Message == "" {
		return ""
	}
	return body.Error.Code
}

// health returns /api/health's status code and per-check answers.
func (v *vaultB2CApp) health(t *testing.T) (int, map[string]string) {
	t.Helper()
	a := v.get(t, "/api/health", "")
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatalf("health %d %s: %v", a.status, a.body, err)
	}
	return a.status, body.Checks
}

func (v *vaultB2CApp) secretReads() int {
	n := 0
	for _, r := range v.vault.Requests() {
		if strings.Contains(r.Path, "/secrets/"+b2cSecretName) {
			n++
		}
	}
	return n
}

// The B2C routes a browser or API client can reach while the secret is not
// read; none of them needs the provider to answer.
var b2cRoutes = []string{
	"/api/auth/b2c/login?returnTo=%2Faccount",
	"/api/auth/b2c/callback?code=abc&state=def",
	"/api/auth/b2c/reset-password",
}

// Key Vault down at startup no longer stops the app when B2C sign-in reads
// its client secret from it: the app starts, /api/health is degraded with
// b2cClientSecret unavailable, the B2C routes answer 503 b2c_not_ready with
// Retry-After (JSON error for API clients, the readable page for
// browsers); when the vault returns, the background retry reads the
// secret, the routes reach the real handlers and health is ok.
func TestKeyVaultDownAtStartupB2CStartsDegradedAndRecovers(t *testing.T) {
	v, err := newVaultB2CApp(t, keyvaulttest.Unavailable, true)
	if err != nil {
		t.Fatalf("the app did not start with Key Vault down: %v", err)
	}
	sso := v.app.Server.B2C
	if sso == nil || sso.Ready() || !v.app.Server.B2CEnabled {
		t.Fatalf("B2C at startup: %+v, want configured, shown and not ready", sso)
	}

	status, checks := v.settledHealth(t)
	if status != http.StatusServiceUnavailable || checks["b2cClientSecret"] != "unavailable" || checks["signingKeys"] != "unavailable" {
		t.Fatalf("health with the vault down: %d %v", status, checks)
	}
	// The flow records need the tables, which are on Azurite and up.
	for {
		if _, c := v.health(t); c["tables"] == "ok" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range b2cRoutes {
		a := v.get(t, path, "")
		if a.status != http.StatusServiceUnavailable || a.errorCode() != "b2c_not_ready" || a.header.Get("Retry-After") == "" {
			t.Errorf("GET %s (API): %d %q Retry-After %q, want 503 b2c_not_ready with Retry-After", path, a.status, a.body, a.header.Get("Retry-After"))
		}
		p := v.get(t, path, "text/html")
		if p.status != http.StatusServiceUnavailable || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || p.header.Get("Retry-After") == "" {
			t.Errorf("GET %s (browser): %d %q Retry-After %q, want the 503 page", path, p.status, p.header.Get("Content-Type"), p.header.Get("Retry-After"))
		}
		if strings.Contains(a.body+p.body, "cloud-client-secret-value") || strings.Contains(a.body+p.body, "vault") {
			t.Errorf("GET %s names internals: %s", path, a.body)
		}
	}

	v.vault.SetDown(keyvaulttest.Up)
	deadline := time.Now().Add(15 * time.Second)
	for !sso.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("B2C not ready 15 s after the vault came back; logs:\n%s", v.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The signing keys come back on their own backoff, which may be a step
	// behind the client secret's; the callback needs both.
	for {
		if _, c := v.health(t); c["signingKeys"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("signing keys not back 15 s after the vault came back; logs:\n%s", v.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The callback now reaches its handler, which refuses a callback with
	// no flow cookie: proof the client is in place, with no provider call.
	if a := v.get(t, "/api/auth/b2c/callback?code=abc&state=def", ""); a.status != http.StatusForbidden || a.errorCode() != "b2c_flow_missing" {
		t.Fatalf("callback once ready: %d %s, want 403 b2c_flow_missing", a.status, a.body)
	}
	for {
		status, checks = v.health(t)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health 15 s after the vault came back: %d %v", status, checks)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if checks["b2cClientSecret"] != "ok" {
		t.Fatalf("health checks once recovered: %v", checks)
	}
	logs := v.logs.String()
	if !strings.Contains(logs, "B2C client secret not read;") || !strings.Contains(logs, "cloud sign-in is ready") {
		t.Fatalf("the outage and the recovery were not logged:\n%s", logs)
	}
	if strings.Contains(logs, "cloud-client-secret-value") {
		t.Fatal("the client secret was logged")
	}
}

// With the vault up, the secret is read at startup and health says so.
func TestB2CSecretReadAtStartupReportsHealthy(t *testing.T) {
	v, err := newVaultB2CApp(t, keyvaulttest.Up, true)
	if err != nil {
		t.Fatal(err)
	}
	if status, checks := v.settledHealth(t); status != http.StatusOK || checks["b2cClientSecret"] != "ok" {
		t.Fatalf("health: %d %v", status, checks)
	}
	if sso := v.app.Server.B2C; sso == nil || !sso.Ready() {
		t.Fatal("B2C not ready although the vault was up")
	}
}

// A missing secret is a configuration error, not an outage: retrying will
// not fix it, but it is found after the handler listens, so it no longer
// stops startup (which would take password sign-in down with it). Cloud
// sign-in stays not ready, health says so, and the log names the setting
// as an error for an operator.
func TestB2CSecretMissingIsReportedAndSignInStaysNotReady(t *testing.T) {
	v, err := newVaultB2CApp(t, keyvaulttest.Up, false)
	if err != nil {
		t.Fatalf("the app did not start: %v", err)
	}
	if status, checks := v.settledHealth(t); status != http.StatusServiceUnavailable || checks["b2cClientSecret"] != "unavailable" || checks["signingKeys"] != "ok" {
		t.Fatalf("health with the B2C secret missing: %d %v", status, checks)
	}
	if a := v.get(t, "/api/auth/b2c/login", ""); a.status != http.StatusServiceUnavailable || a.errorCode() != "b2c_not_ready" {
		t.Fatalf("B2C sign-in with the secret missing: %d %s, want 503 b2c_not_ready", a.status, a.body)
	}
	logs := v.logs.String()
	if !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "PRICELINE_B2C_CLIENT_SECRET_NAME") || !strings.Contains(logs, b2cSecretName) {
		t.Fatalf("the missing secret was not logged as an error naming the setting:\n%s", logs)
	}
}

// The background retry stops when the app is closed (at shutdown): no
// more reads of the secret reach the vault.
func TestB2CSecretRetryStopsAtShutdown(t *testing.T) {
	v, err := newVaultB2CApp(t, keyvaulttest.Unavailable, true)
	if err != nil {
		t.Fatal(err)
	}
	v.settledHealth(t) // the first read has failed
	startup := v.secretReads()
	deadline := time.Now().Add(10 * time.Second)
	for v.secretReads() == startup {
		if time.Now().After(deadline) {
			t.Fatal("the secret was not retried in the background")
		}
		time.Sleep(50 * time.Millisecond)
	}
	v.app.Close()
	// Let a read already in flight finish, then watch for longer than the
	// next retry's wait (2 s plus 10 % jitter).
	time.Sleep(200 * time.Millisecond)
	closed := v.secretReads()
	time.Sleep(2500 * time.Millisecond)
	if n := v.secretReads(); n != closed {
		t.Fatalf("%d reads of the secret after shutdown", n-closed)
	}
	if v.app.Server.B2C.Ready() {
		t.Fatal("B2C became ready with the vault down")
	}
}
