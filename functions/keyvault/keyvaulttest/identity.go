package keyvaulttest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// AppServiceAPIVersion is the managed-identity API version App Service and
// Azure Functions expose through IDENTITY_ENDPOINT.
const AppServiceAPIVersion = "2019-08-01"

// TokenRequest is one request the managed-identity double received.
type TokenRequest struct {
	APIVersion string
	Resource   string
	ClientID   string // user-assigned identity client ID; "" for system-assigned
	HeaderOK   bool   // X-IDENTITY-HEADER matched IDENTITY_HEADER
	Granted    bool
}

// ManagedIdentity is an App Service style managed-identity endpoint on
// 127.0.0.1. App Service serves it over plain HTTP on loopback, and so does
// this double.
type ManagedIdentity struct {
	// Endpoint is the value for IDENTITY_ENDPOINT.
	Endpoint string
	// Header is the value for IDENTITY_HEADER; requests must echo it in
	// X-IDENTITY-HEADER, which is what stops another local process or an SSRF
	// from minting tokens.
	Header string

	srv *httptest.Server

	mu       sync.Mutex
	requests []TokenRequest
	issued   map[string]issuedToken
	status   int // non-zero: answer every request with this status
	lifetime time.Duration
}

type issuedToken struct {
	resource, clientID string
	expires            time.Time
}

// NewManagedIdentity starts a managed-identity double that is closed when
// the test ends.
func NewManagedIdentity(t testing.TB) *ManagedIdentity {
	t.Helper()
	m := &ManagedIdentity{
		Header:   randomHex(16),
		issued:   map[string]issuedToken{},
		lifetime: 24 * time.Hour,
	}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	m.Endpoint = m.srv.URL + "/msi/token"
	return m
}

// Setenv points the managed-identity libraries at this double for the rest of
// the test, as App Service does for a function app with an identity.
func (m *ManagedIdentity) Setenv(t *testing.T) {
	t.Helper()
	t.Setenv("IDENTITY_ENDPOINT", m.Endpoint)
	t.Setenv("IDENTITY_HEADER", m.Header)
	// Leave no other managed-identity source configured, so the library
	// cannot pick Service Fabric, Azure ML or Cloud Shell instead.
	for _, k := range []string{"IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
		t.Setenv(k, "")
	}
}

// Fail makes every later token request answer status (0 restores service).
func (m *ManagedIdentity) Fail(status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = status
}

// Requests returns the token requests seen so far.
func (m *ManagedIdentity) Requests() []TokenRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]TokenRequest(nil), m.requests...)
}

// Valid reports whether token was issued by this double for resource and has
// not expired. A Vault uses it to accept bearer tokens.
func (m *ManagedIdentity) Valid(token, resource string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.issued[token]
	return ok && it.resource == resource && time.Now().Before(it.expires)
}

func (m *ManagedIdentity) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := TokenRequest{
		APIVersion: q.Get("api-version"),
		Resource:   q.Get("resource"),
		ClientID:   q.Get("client_id"),
		HeaderOK:   r.Header.Get("X-IDENTITY-HEADER") == m.Header && m.Header != "",
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fail := func(status int, code, desc string) {
		m.requests = append(m.requests, req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	switch {
	case m.status != 0:
		fail(m.status, "unavailable", "the identity endpoint is failing on purpose")
		return
	case r.Method != http.MethodGet || r.URL.Path != "/msi/token":
		fail(http.StatusNotFound, "not_found", "no such endpoint")
		return
	case !req.HeaderOK:
		fail(http.StatusUnauthorized, "unauthorized", "X-IDENTITY-HEADER is missing or wrong")
		return
	case req.APIVersion != AppServiceAPIVersion:
		fail(http.StatusBadRequest, "invalid_request", "unsupported api-version")
		return
	case req.Resource == "":
		fail(http.StatusBadRequest, "invalid_request", "resource is required")
		return
	}
	req.Granted = true
	m.requests = append(m.requests, req)
	token := "mi-" + randomHex(24)
	expires := time.Now().Add(m.lifetime)
	m.issued[token] = issuedToken{resource: req.Resource, clientID: req.ClientID, expires: expires}
	// The App Service shape: expires_on is a string of Unix seconds.
	body := map[string]string{
		"access_token": token,
		"expires_on":   strconv.FormatInt(expires.Unix(), 10),
		"resource":     req.Resource,
		"token_type":   "Bearer",
	}
	if req.ClientID != "" {
		body["client_id"] = req.ClientID
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// NewClientID returns a random GUID-shaped user-assigned identity client ID,
// unique per call so tests do not share the library's token cache.
func NewClientID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}
