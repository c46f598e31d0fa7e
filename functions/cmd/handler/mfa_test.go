package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/syncbuf"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/web"
)

const mfaSecretName = "mfa-key"

// heldTransport holds the requests for one vault secret until release, so
// a test sees that key's first load still running for as long as it
// needs. A held request ignores its deadline: released late, it fails, and
// the key refresher's next attempt loads the key.
type heldTransport struct {
	next   policy.Transporter
	prefix string // the path prefix held, such as /secrets/NAME/
	gate   chan struct{}
	once   sync.Once
}

func (h *heldTransport) Do(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, h.prefix) {
		<-h.gate
	}
	return h.next.Do(req)
}

func (h *heldTransport) release() { h.once.Do(func() { close(h.gate) }) }

// postJSON posts body as JSON with the session cookie and CSRF token when
// given, and returns the answer with its decoded JSON object.
func postJSON(t *testing.T, url string, body any, cookie, csrf string) (answer, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cookie})
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	return answer{resp.StatusCode, resp.Header, string(raw)}, obj
}

// The MFA key comes from Key Vault as the app loads it in Azure: settings
// naming the vault double (through the managed-identity double) and
// PRICELINE_MFA_SECRET_NAME, built by buildAppWith. While the MFA secret's
// first read is held, /api/health's mfaKey check says starting (the
// signing keys, from the same vault, are already ok) and setting up an
// authenticator app answers 503 mfa_key_unavailable; once the read goes
// through, mfaKey is ok, the keyring holds the MFA secret's version (not
// the signing key's) and the same request sets the app up.
func TestMFAKeyLoadsFromKeyVault(t *testing.T) {
	notInAzure(t)
	mi := keyvaulttest.NewManagedIdentity(t)
	mi.Setenv(t)
	vault := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{Authorize: mi.Authorizer()})
	// Older than the activation delay, so each version may sign or seal at once.
	signingVersion, _ := vault.AddSigningKey("session-signing-key", keyvaulttest.Created(time.Now().Add(-time.Hour)))
	mfaVersion, _ := vault.AddSigningKey(mfaSecretName, keyvaulttest.Created(time.Now().Add(-time.Hour)))
	cfg, err := loadConfig(env(map[string]string{
		"PRICELINE_PUBLIC_URL":               "https://priceline.example.org",
		"PRICELINE_TABLES_CONNECTION_STRING": azurite.Shared(t).ConnectionString(),
		"PRICELINE_KEYVAULT_URL":             vault.URL,
		"PRICELINE_MFA_SECRET_NAME":          mfaSecretName,
		"AZURE_CLIENT_ID":                    keyvaulttest.NewClientID(),
	}), false)
	if err != nil {
		t.Fatalf("settings: %v", err)
	}

	opts := vault.ClientOptions()
	held := &heldTransport{next: opts.Transport, prefix: "/secrets/" + mfaSecretName + "/", gate: make(chan struct{})}
	opts.Transport = held
	t.Cleanup(held.release) // after a.Close: the refresher's held read ends
	logs := &syncbuf.Buffer{}
	a, err := buildAppWith(cfg, slog.New(slog.NewJSONHandler(logs, nil)), appDeps{
		vault:  keyvault.Options{ClientOptions: opts, Logger: slog.New(slog.DiscardHandler)},
		tables: tablestorage.Options{TablePrefix: fmt.Sprintf("mfakv%d", time.Now().UnixNano()%1_000_000_000)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	ts := httptest.NewServer(a.Handler)
	t.Cleanup(ts.Close)
	v := &vaultB2CApp{app: a, vault: vault, url: ts.URL, logs: logs}

	// Up to the tables and the signing keys, with the MFA key still loading.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, checks := v.health(t)
		if checks["mfaKey"] != "starting" {
			t.Fatalf("health while the MFA secret's read is held: %v, want mfaKey starting; logs:\n%s", checks, logs.String())
		}
		if checks["tables"] == "ok" && checks["signingKeys"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tables and signing keys not ready after 30 s: %v; logs:\n%s", checks, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	const email, password = "pat@example.org", "purple-Tiger-42-bicycle"
	if r, _ := postJSON(t, ts.URL+"/api/register", map[string]string{"email": email, "password": password, "name": "Pat Example"}, "", ""); r.status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	r, login := postJSON(t, ts.URL+"/api/login", map[string]string{"email": email, "password": password}, "", "")
	var cookie string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == web.SessionCookie {
			cookie = c.Value
		}
	}
	csrf, _ := login["csrfToken"].(string)
	if r.status != http.StatusOK || cookie == "" || csrf == "" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	begin := func() (answer, map[string]any) {
		return postJSON(t, ts.URL+"/api/me/mfa/totp", map[string]string{"currentPassword": password}, cookie, csrf)
	}
	if r, _ := begin(); r.status != http.StatusServiceUnavailable || r.errorCode() != "mfa_key_unavailable" {
		t.Fatalf("authenticator set-up before the MFA key loaded: %d %s, want 503 mfa_key_unavailable", r.status, r.body)
	}
	if _, checks := v.health(t); checks["mfaKey"] != "starting" {
		t.Fatalf("health: %v, want mfaKey still starting", checks)
	}

	held.release()
	for {
		status, checks := v.health(t)
		if checks["mfaKey"] == "ok" {
			if status != http.StatusOK {
				t.Fatalf("health once the MFA key loaded: %d %v", status, checks)
			}
			break
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("mfaKey not ok after the read was released: %v; logs:\n%s", checks, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if k, ok := a.Server.Auth.MFA.Keys.Signing(); !ok || k.Version != mfaVersion || k.Version == signingVersion {
		t.Fatalf("the MFA keyring seals with version %q (loaded %v), want the MFA secret's %q", k.Version, ok, mfaVersion)
	}
	r, setup := begin()
	if uri, _ := setup["otpauthUri"].(string); r.status != http.StatusOK || !strings.HasPrefix(uri, "otpauth://totp/") {
		t.Fatalf("authenticator set-up once the MFA key loaded: %d %s", r.status, r.body)
	}
}
