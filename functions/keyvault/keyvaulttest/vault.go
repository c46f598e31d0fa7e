package keyvaulttest

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hospitalpriceline/functions/internal/testtls"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// Defaults that make the double look like a public-cloud vault.
const (
	DefaultHost     = "priceline-test.vault.azure.net"
	DefaultResource = "https://vault.azure.net"
	DefaultTenantID = "00000000-0000-4000-8000-000000000001"
)

// DownMode is how an unavailable vault fails.
type DownMode int

// Ways the vault can be down.
const (
	Up               DownMode = iota // serving normally
	Unavailable                      // every request gets 503
	CloseConnections                 // every request's connection is closed without an answer
)

// VaultOptions configure a Vault double; the zero value is a public-cloud
// vault that accepts any bearer token.
type VaultOptions struct {
	Host     string // DNS name clients use; DefaultHost when ""
	TenantID string // tenant named in the challenge; DefaultTenantID when ""
	// ChallengeResource is the resource the 401 challenge names; DefaultResource
	// when "". Set it to a foreign host to test resource verification.
	ChallengeResource string
	// Authorize decides whether a bearer token is good. Nil accepts any
	// non-empty token; use ManagedIdentity.Authorizer to accept only tokens
	// that double issued for the vault resource.
	Authorize func(token string) bool
	PageSize  int // versions per list page; 2 when 0, so paging is always exercised
}

// VaultRequest is one request the vault double received.
type VaultRequest struct {
	Method, Path string
	Authorized   bool
}

// Vault is a Key Vault secrets double served over TLS on 127.0.0.1 under a
// real-looking host name. Use HTTPClient or ClientOptions to reach it.
type Vault struct {
	// URL is the vault URL to give azsecrets, e.g. https://priceline-test.vault.azure.net.
	URL  string
	Host string

	opt  VaultOptions
	srv  *httptest.Server
	pool *x509.CertPool

	mu         sync.Mutex
	secrets    map[string][]*version // by name, in creation order
	requests   []VaultRequest
	challenges int
	down       DownMode
	clock      time.Time
}

type version struct {
	id        string
	value     string
	enabled   bool
	created   time.Time
	updated   time.Time
	expires   *time.Time
	notBefore *time.Time
}

// NewVault starts a vault double that is closed when the test ends.
func NewVault(t testing.TB, opt VaultOptions) *Vault {
	t.Helper()
	if opt.Host == "" {
		opt.Host = DefaultHost
	}
	if opt.TenantID == "" {
		opt.TenantID = DefaultTenantID
	}
	if opt.ChallengeResource == "" {
		opt.ChallengeResource = DefaultResource
	}
	if opt.PageSize <= 0 {
		opt.PageSize = 2
	}
	v := &Vault{
		URL:     "https://" + opt.Host,
		Host:    opt.Host,
		opt:     opt,
		secrets: map[string][]*version{},
		// Versions get distinct, increasing creation times in the past, so
		// "newest first" is well defined even at one-second resolution.
		clock: time.Now().Add(-time.Hour).Truncate(time.Second),
	}
	cert, pool, err := testtls.SelfSigned(opt.Host)
	if err != nil {
		t.Fatalf("keyvaulttest: make certificate: %v", err)
	}
	v.pool = pool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /secrets/{name}/versions", v.listVersions)
	mux.HandleFunc("GET /secrets/{name}/{version}", v.getSecret)
	mux.HandleFunc("GET /secrets/{name}/{$}", v.getSecret)
	mux.HandleFunc("GET /secrets/{name}", v.getSecret)
	v.srv = httptest.NewUnstartedServer(v.guard(mux))
	v.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	v.srv.StartTLS()
	t.Cleanup(v.srv.Close)
	return v
}

// Authorizer returns a VaultOptions.Authorize that accepts only live tokens
// this double issued for the Key Vault resource.
func (m *ManagedIdentity) Authorizer() func(token string) bool {
	return func(token string) bool { return m.Valid(token, DefaultResource) }
}

// HTTPClient returns a client that reaches the double under its host name
// and trusts only its certificate. It refuses to dial anything else, so a
// test can never reach a real vault.
func (v *Vault) HTTPClient() *http.Client {
	return testtls.PinnedClient("keyvaulttest", v.Host, v.srv.Listener.Addr().String(), v.pool)
}

// ClientOptions returns azsecrets options that reach the double and retry
// briefly, so tests of an unavailable vault stay fast.
func (v *Vault) ClientOptions() *azsecrets.ClientOptions {
	o := &azsecrets.ClientOptions{}
	o.Transport = v.HTTPClient()
	o.Retry = policy.RetryOptions{MaxRetries: 1, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 20 * time.Millisecond}
	return o
}

// VersionOption adjusts a version added with AddVersion.
type VersionOption func(*version)

// Disabled adds the version disabled.
func Disabled() VersionOption { return func(v *version) { v.enabled = false } }

// Expires sets the version's expiry.
func Expires(t time.Time) VersionOption { return func(v *version) { v.expires = &t } }

// NotBefore sets the time before which the version is not valid.
func NotBefore(t time.Time) VersionOption { return func(v *version) { v.notBefore = &t } }

// Created overrides the version's creation time.
func Created(t time.Time) VersionOption { return func(v *version) { v.created = t } }

// AddVersion stores a new version of a secret and returns its version ID.
func (v *Vault) AddVersion(name, value string, opts ...VersionOption) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clock = v.clock.Add(time.Second)
	ver := &version{id: randomHex(16), value: value, enabled: true, created: v.clock, updated: v.clock}
	for _, o := range opts {
		o(ver)
	}
	v.secrets[name] = append(v.secrets[name], ver)
	return ver.id
}

// AddSigningKey stores a new version holding 32 random bytes, base64
// encoded as an operator would create it, and returns the version and bytes.
func (v *Vault) AddSigningKey(name string, opts ...VersionOption) (string, []byte) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return v.AddVersion(name, base64.StdEncoding.EncodeToString(key), opts...), key
}

// SetEnabled enables or disables a version, as an operator revoking a key
// would. It reports whether the version exists.
func (v *Vault) SetEnabled(name, id string, enabled bool) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, ver := range v.secrets[name] {
		if ver.id == id {
			ver.enabled = enabled
			ver.updated = time.Now()
			return true
		}
	}
	return false
}

// Disable disables a version; see SetEnabled.
func (v *Vault) Disable(name, id string) bool { return v.SetEnabled(name, id, false) }

// SetDown makes the vault fail in the given way (Up restores it).
func (v *Vault) SetDown(mode DownMode) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.down = mode
}

// Requests returns the requests seen so far.
func (v *Vault) Requests() []VaultRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]VaultRequest(nil), v.requests...)
}

// Challenges returns how many 401 challenges the vault has sent.
func (v *Vault) Challenges() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.challenges
}

// guard applies what every Key Vault request goes through: availability,
// api-version and bearer authentication with the challenge.
func (v *Vault) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		down := v.down
		token, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		authorized := hasBearer && token != "" && (v.opt.Authorize == nil || v.opt.Authorize(token))
		v.requests = append(v.requests, VaultRequest{Method: r.Method, Path: r.URL.Path, Authorized: authorized})
		if !authorized && down == Up {
			v.challenges++
		}
		v.mu.Unlock()

		switch down {
		case Unavailable:
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The vault is down on purpose.")
			return
		case CloseConnections:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if r.URL.Query().Get("api-version") == "" {
			writeError(w, http.StatusBadRequest, "BadParameter", "api-version is required.")
			return
		}
		if !authorized {
			// The challenge tells the client which tenant and resource to get a
			// token for; clients must check the resource matches the vault.
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"`, v.opt.TenantID, v.opt.ChallengeResource))
			writeError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type attributesJSON struct {
	Enabled         bool   `json:"enabled"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	Expires         *int64 `json:"exp,omitempty"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

func (v *Vault) attributes(ver *version) attributesJSON {
	a := attributesJSON{
		Enabled:         ver.enabled,
		Created:         ver.created.Unix(),
		Updated:         ver.updated.Unix(),
		RecoveryLevel:   "Recoverable+Purgeable",
		RecoverableDays: 90,
	}
	if ver.expires != nil {
		s := ver.expires.Unix()
		a.Expires = &s
	}
	if ver.notBefore != nil {
		s := ver.notBefore.Unix()
		a.NotBefore = &s
	}
	return a
}

func (v *Vault) listVersions(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v.mu.Lock()
	defer v.mu.Unlock()
	versions, ok := v.secrets[name]
	if !ok {
		writeError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("A secret with (name/id) %s was not found in this key vault.", name))
		return
	}
	start := 0
	if s := r.URL.Query().Get("$skiptoken"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > len(versions) {
			writeError(w, http.StatusBadRequest, "BadParameter", "bad $skiptoken")
			return
		}
		start = n
	}
	end := min(start+v.opt.PageSize, len(versions))
	type item struct {
		ID         string         `json:"id"`
		Attributes attributesJSON `json:"attributes"`
	}
	page := struct {
		Value    []item  `json:"value"`
		NextLink *string `json:"nextLink"`
	}{Value: []item{}}
	for _, ver := range versions[start:end] {
		page.Value = append(page.Value, item{ID: v.secretID(name, ver.id), Attributes: v.attributes(ver)})
	}
	if end < len(versions) {
		next := fmt.Sprintf("%s/secrets/%s/versions?api-version=%s&$skiptoken=%d&maxresults=%d", v.URL, name, r.URL.Query().Get("api-version"), end, v.opt.PageSize)
		page.NextLink = &next
	}
	writeJSON(w, http.StatusOK, page)
}

func (v *Vault) getSecret(w http.ResponseWriter, r *http.Request) {
	name, id := r.PathValue("name"), r.PathValue("version")
	v.mu.Lock()
	defer v.mu.Unlock()
	versions := v.secrets[name]
	var ver *version
	if id == "" {
		// The current version is the newest one created.
		sorted := append([]*version(nil), versions...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].created.After(sorted[j].created) })
		if len(sorted) > 0 {
			ver = sorted[0]
		}
	} else {
		for _, x := range versions {
			if x.id == id {
				ver = x
			}
		}
	}
	if ver == nil {
		writeError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("A secret with (name/id) %s/%s was not found in this key vault.", name, id))
		return
	}
	if !ver.enabled {
		writeError(w, http.StatusForbidden, "Forbidden", "Operation get is not allowed on a disabled secret.")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Value      string         `json:"value"`
		ID         string         `json:"id"`
		Attributes attributesJSON `json:"attributes"`
	}{ver.value, v.secretID(name, ver.id), v.attributes(ver)})
}

func (v *Vault) secretID(name, id string) string { return v.URL + "/secrets/" + name + "/" + id }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	type inner struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, struct {
		Error inner `json:"error"`
	}{inner{code, msg}})
}
