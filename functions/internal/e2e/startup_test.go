package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/handlerproc"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
)

// startLimit is how soon the handler must answer after its process starts.
// The Functions host gives a custom handler 30 s to answer on its port
// (docs/reliability.md, "Startup"); the handler must not spend any of it
// waiting on its dependencies.
const startLimit = time.Second

// holdingEndpoint is a dependency that is reachable and hung: it accepts
// TCP connections and never sends a byte, so a client waits for its TLS
// handshake until its own timeout. It returns the https URL to give the
// handler.
func holdingEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "https://" + ln.Addr().String()
}

// lookalikeCookie is shaped like a session cookie (a compact JWS naming a
// key version) but signed by no one: an instance without keys cannot tell
// it from a real one, which is the point.
func lookalikeCookie() string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "0123456789abcdef0123456789abcdef"}) + "." +
		enc(map[string]any{"typ": "session", "sid": strings.Repeat("ab", 32), "sub": strings.Repeat("cd", 16), "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}) + "." +
		base64.RawURLEncoding.EncodeToString(make([]byte, 32))
}

// TestStartsWithinLimitsWhenVaultAndTablesHang runs the real binary as
// Azure would (managed identity, Key Vault and Table Storage by URL)
// against a vault and a table endpoint that accept connections and never
// answer. The handler must answer within startLimit of its process
// starting and keep answering at once: /api/health 503 "starting" with what
// is still loading, the page the host pings 200, a session route 503
// signing_keys_unavailable with Retry-After and no Set-Cookie (never a
// 401 that would sign the browser out), registration 503
// tables_unavailable.
func TestStartsWithinLimitsWhenVaultAndTablesHang(t *testing.T) {
	t.Parallel()
	mi := keyvaulttest.NewManagedIdentity(t)
	vault, tables := holdingEndpoint(t), holdingEndpoint(t)
	p := handlerproc.Start(t, handlerproc.Options{Name: "hung dependencies", NoWait: true, Env: []string{
		"PRICELINE_DEV_SIGNING_KEY=", // the default of handlerproc; refused in Azure
		"PRICELINE_KEYVAULT_URL=" + vault,
		"PRICELINE_TABLES_ENDPOINT=" + tables,
		"IDENTITY_ENDPOINT=" + mi.Endpoint,
		"IDENTITY_HEADER=" + mi.Header,
		"AZURE_CLIENT_ID=" + keyvaulttest.NewClientID(),
		"IDENTITY_SERVER_THUMBPRINT=", "MSI_ENDPOINT=", "MSI_SECRET=", "IMDS_ENDPOINT=",
	}})
	started := time.Now()
	c := newAPI(p.URL)
	c.client.Timeout = startLimit

	var health *reply
	for health == nil {
		select {
		case <-p.Done():
			t.Fatalf("the handler exited during start:\n%s", p.Log.String())
		default:
		}
		if r, err := c.do("GET", "/api/health", nil, nil); err == nil {
			health = r
		} else if time.Since(started) > startLimit {
			t.Fatalf("no answer %s after the process started (last error %v)", time.Since(started).Round(time.Millisecond), err)
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Logf("first answer %s after the process started", time.Since(started).Round(time.Millisecond))
	if time.Since(started) > startLimit {
		t.Fatalf("first answer after %s, over %s", time.Since(started), startLimit)
	}

	check := func(what string, r *reply, status int, code string) {
		t.Helper()
		if r.took > startLimit {
			t.Errorf("%s took %s, over %s", what, r.took, startLimit)
		}
		if r.status != status || (code != "" && r.errorCode() != code) {
			t.Errorf("%s = %s, want %d %s", what, r, status, code)
		}
		if status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", what)
		}
		if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("%s set cookies %q", what, sc)
		}
		if mentionsInternals(r.body) {
			t.Errorf("%s names internals: %s", what, r.body)
		}
	}
	var hb struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal(health.body, &hb); err != nil {
		t.Fatalf("health body %s: %v", health.body, err)
	}
	check("GET /api/health", health, http.StatusServiceUnavailable, "")
	if hb.Status != "starting" || hb.Checks["tables"] != "starting" || hb.Checks["signingKeys"] != "starting" {
		t.Errorf("health while both dependencies hang = %s, want starting with tables and signingKeys starting", health.body)
	}

	cookie := &session{cookie: lookalikeCookie()}
	// Several rounds over two seconds: the answers stay immediate while the
	// background loads are stuck on the hung endpoints.
	for round := 0; round < 3; round++ {
		check("GET /api/me with a cookie", c.must(t, "GET", "/api/me", nil, cookie), http.StatusServiceUnavailable, "signing_keys_unavailable")
		check("GET /account with a cookie", c.must(t, "GET", "/account", nil, cookie), http.StatusServiceUnavailable, "signing_keys_unavailable")
		check("POST /api/register", c.must(t, "POST", "/api/register", map[string]string{"email": "hung@example.com", "password": testPassword, "name": "Hung"}, nil), http.StatusServiceUnavailable, "tables_unavailable")
		check("GET / (what the host pings)", c.must(t, "GET", "/", nil, nil), http.StatusOK, "")
		check("GET /api/health", c.must(t, "GET", "/api/health", nil, nil), http.StatusServiceUnavailable, "")
		time.Sleep(700 * time.Millisecond)
	}
	select {
	case <-p.Done():
		t.Fatalf("the handler exited:\n%s", p.Log.String())
	default:
	}
}
