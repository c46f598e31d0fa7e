package b2ctest

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hospitalpriceline/functions/internal/testtls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Names of the simulated tenant.
const (
	TenantName     = "pricelinetest"
	TenantDomain   = TenantName + ".onmicrosoft.com"
	TenantID       = "3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64"
	B2CHost        = TenantName + ".b2clogin.com"
	ExternalIDHost = TenantName + ".ciamlogin.com"
)

// Registered application and user flows.
const (
	ClientID            = "6c1f0e2a-3b4d-4c5e-8f90-a1b2c3d4e5f6"
	RedirectURI         = "https://priceline.example/auth/b2c/callback"
	PolicySignUpSignIn  = "B2C_1_signupsignin"
	PolicyPasswordReset = "B2C_1_passwordreset"
	PolicyProfileEdit   = "B2C_1_profileedit"
)

// codeLifetime is how long an authorization code may be redeemed.
const codeLifetime = 5 * time.Minute

// Options configure a Server.
type Options struct {
	// RedirectURIs are the registered redirect URIs, matched exactly;
	// empty means just RedirectURI. More can be added with AllowRedirectURI.
	RedirectURIs []string
	// Interactive makes authorize serve an HTML sign-in page (email and
	// name fields, "Sign in", "Cancel" and "Forgot your password?" buttons)
	// instead of redirecting straight back.
	Interactive bool
	// ACRPolicyClaim puts the policy in acr (lower-cased) instead of tfp,
	// as B2C tenants configured for "acr" do.
	ACRPolicyClaim bool
	// IgnoreReauth makes the double behave like a provider that answers
	// from its single-sign-on session whatever max_age and prompt=login
	// ask (B2C user flows do not document max_age), so auth_time shows the
	// old sign-in; the relying party's own auth_time check must catch it.
	IgnoreReauth bool
}

// User is the account the double signs in.
type User struct {
	ObjectID      string
	Email         string
	Name          string
	EmailVerified bool // emitted as email_verified in External ID tokens
}

// Fault makes the next token response wrong in one way.
type Fault int

// Faults for FailNextToken.
const (
	FaultNone          Fault = iota
	FaultWrongIssuer         // iss of another tenant
	FaultWrongAudience       // aud of another client
	FaultWrongNonce          // nonce that was not sent
	FaultExpired             // exp an hour ago
	FaultNotYetValid         // nbf and iat an hour from now
	FaultBadSignature        // signed by another key under the published kid
	FaultAlgNone             // alg "none" and no signature
	FaultAlgHS256            // HS256 with the public key as the HMAC secret (key confusion)
	FaultUnknownKid          // signed by a key that is not in the JWKS
	FaultWrongPolicy         // tfp/acr of another user flow
	FaultNoSubject           // neither oid nor sub
	FaultNoAccessToken       // token response without access_token
	FaultNoAuthTime          // ID token without auth_time, even when max_age asked for it
)

// Outage selects how an endpoint is down.
type Outage int

// Outages for SetTokenOutage and SetMetadataOutage.
const (
	Up            Outage = iota
	Unavailable          // HTTP 503 with an OAuth error body
	ConnectionCut        // the connection is closed without a response
)

// Server is the B2C / External ID double. Its methods are safe for
// concurrent use.
type Server struct {
	// ClientSecret is the registered client secret, random per server so
	// that no secret lives in the source tree.
	ClientSecret string

	ts     *httptest.Server
	addr   string
	client *http.Client
	roots  *x509.CertPool
	leaf   *x509.Certificate

	mu             sync.Mutex
	opts           Options
	redirects      map[string]bool
	user           User
	now            func() time.Time
	keys           []*signingKey // published
	signer         *signingKey
	nextPool       int
	codes          map[string]*grant
	pending        map[string]*grant // interactive sign-ins awaiting the form post
	nextFault      Fault
	nextAuthErr    [2]string
	tokenOutage    Outage
	metadataOutage Outage
	issuerOverride string
	lastAuthorize  url.Values
	ssoAt          time.Time // when the user last actively signed in; zero: no provider session yet
	logouts        []url.Values
	jwksRequests   int
	tokenRequests  int
}

// grant is an issued authorization code and what it was issued for.
type grant struct {
	clientID, redirectURI, challenge, nonce, state string
	scopes                                         []string
	host, policy                                   string
	user                                           User
	expires                                        time.Time
	authTime                                       time.Time // the auth_time to issue
	maxAgeAsked                                    bool      // max_age was sent, so auth_time is required
}

// New starts a double and stops it when t ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, roots, err := testtls.SelfSigned(B2CHost, ExternalIDHost)
	if err != nil {
		t.Fatalf("b2ctest: %v", err)
	}
	s := &Server{
		ClientSecret: randomToken(24),
		opts:         opts,
		redirects:    map[string]bool{},
		user: User{
			ObjectID: "0b6d1c5e-8f3a-4d27-9e61-2a7c4b9d0e13",
			Email:    "alex.doe@example.com",
			Name:     "Alex Doe",
		},
		now:     time.Now,
		codes:   map[string]*grant{},
		pending: map[string]*grant{},
	}
	for _, u := range opts.RedirectURIs {
		s.redirects[u] = true
	}
	if len(opts.RedirectURIs) == 0 {
		s.redirects[RedirectURI] = true
	}
	s.signer = poolKey(0)
	s.keys = []*signingKey{s.signer}
	s.nextPool = 1

	s.ts = httptest.NewUnstartedServer(s)
	s.ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.ts.StartTLS()
	s.addr = s.ts.Listener.Addr().String()
	s.leaf = cert.Leaf
	s.roots = roots
	s.client = s.newClient(nil)
	t.Cleanup(func() {
		s.client.CloseIdleConnections()
		s.ts.Close()
	})
	return s
}

// newClient returns a client that reaches only the double.
func (s *Server) newClient(checkRedirect func(*http.Request, []*http.Request) error) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, err := net.SplitHostPort(addr)
				if err != nil || port != "443" || (host != B2CHost && host != ExternalIDHost) {
					return nil, fmt.Errorf("b2ctest: refusing to dial %s: only %s and %s are reachable", addr, B2CHost, ExternalIDHost)
				}
				return dialer.DialContext(ctx, "tcp", s.addr)
			},
			TLSClientConfig:     &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 5 * time.Second,
		},
		CheckRedirect: checkRedirect,
	}
}

// Client returns the HTTP client to give the code under test: it resolves
// the tenant host names to the double and trusts its certificate.
func (s *Server) Client() *http.Client { return s.client }

// RootCAs returns a pool holding the double's certificate, for browsers and
// other clients that need to trust it.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Addr is the loopback address the double listens on, for clients (such as
// a browser with a host resolver rule) that map the host names themselves.
func (s *Server) Addr() string { return s.addr }

// HostResolverRules is the value of Chrome's --host-resolver-rules flag that
// sends both tenant host names to the double, for browser tests.
func (s *Server) HostResolverRules() string {
	return "MAP " + B2CHost + " " + s.addr + ", MAP " + ExternalIDHost + " " + s.addr
}

// SPKIHash is the base64 SHA-256 of the certificate's public key, the value
// of Chrome's --ignore-certificate-errors-spki-list flag, so a browser test
// trusts exactly this certificate instead of ignoring all TLS errors.
func (s *Server) SPKIHash() string {
	sum := sha256.Sum256(s.leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// B2CAuthority returns the B2C authority URL for policy.
func B2CAuthority(policy string) string {
	return "https://" + B2CHost + "/" + TenantDomain + "/" + policy
}

// ExternalIDAuthority returns the External ID authority URL.
func ExternalIDAuthority() string { return "https://" + ExternalIDHost + "/" + TenantID }

// B2CIssuer is the iss of B2C tokens (token version 1.0, tenant-ID form).
func B2CIssuer() string { return "https://" + B2CHost + "/" + TenantID + "/v2.0/" }

// ExternalIDIssuer is the iss of External ID tokens.
func ExternalIDIssuer() string { return "https://" + ExternalIDHost + "/" + TenantID + "/v2.0" }

// SetUser chooses the account the next non-interactive sign-ins return.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// SetLastSignIn says the user last actively signed in at t, as if the
// provider's single-sign-on session had started then; the zero time means
// no provider session. An authorize request without max_age or
// prompt=login (or any, with IgnoreReauth) is answered from that session
// and its ID token carries auth_time t; otherwise the user signs in again
// now.
func (s *Server) SetLastSignIn(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ssoAt = t
}

// SetNow replaces the double's clock.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AllowRedirectURI registers another redirect URI.
func (s *Server) AllowRedirectURI(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirects[u] = true
}

// FailNextToken makes the next successful token response carry fault.
func (s *Server) FailNextToken(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFault = f
}

// FailNextAuthorize makes the next authorize request redirect back with
// error and error_description, e.g. ("access_denied", "AADB2C90118: The user
// has forgotten their password.").
func (s *Server) FailNextAuthorize(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextAuthErr = [2]string{code, description}
}

// SetTokenOutage takes the token endpoint down (or back Up).
func (s *Server) SetTokenOutage(o Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenOutage = o
}

// SetMetadataOutage takes the OpenID configuration and JWKS endpoints down.
func (s *Server) SetMetadataOutage(o Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metadataOutage = o
}

// SetMetadataIssuer makes the OpenID configuration advertise iss instead of
// the real issuer ("" restores it), to test issuer pinning.
func (s *Server) SetMetadataIssuer(iss string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuerOverride = iss
}

// AddKey publishes a new signing key without signing with it yet and
// returns its kid.
func (s *Server) AddKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := poolKey(s.nextPool)
	s.nextPool++
	s.keys = append(s.keys, k)
	return k.kid
}

// RotateKey publishes a new key, signs with it from now on and returns its
// kid. The old key stays published until RemoveKey, as B2C overlaps keys.
func (s *Server) RotateKey() string {
	kid := s.AddKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signer = s.keys[len(s.keys)-1]
	return kid
}

// RemoveKey unpublishes the key kid.
func (s *Server) RemoveKey(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.keys[:0]
	for _, k := range s.keys {
		if k.kid != kid {
			kept = append(kept, k)
		}
	}
	s.keys = kept
}

// JWKSRequests counts JWKS fetches.
func (s *Server) JWKSRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jwksRequests
}

// TokenRequests counts token endpoint requests.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// LastAuthorize returns the query of the last authorize request.
func (s *Server) LastAuthorize() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneValues(s.lastAuthorize)
}

// Logouts returns the queries of the logout requests so far.
func (s *Server) Logouts() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]url.Values, len(s.logouts))
	for i, q := range s.logouts {
		out[i] = cloneValues(q)
	}
	return out
}

// SignIn plays the browser for authURL: it follows the provider's pages
// (submitting the sign-in form with the current user when Interactive) and
// returns the query of the redirect to the app's redirect URI.
func (s *Server) SignIn(ctx context.Context, authURL string) (url.Values, error) {
	var callback *url.URL
	stop := errors.New("b2ctest: reached the redirect URI")
	c := s.newClient(func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != B2CHost && req.URL.Host != ExternalIDHost {
			callback = req.URL
			return stop
		}
		return nil
	})
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if callback != nil {
		return callback.Query(), nil
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !s.opts.Interactive {
		return nil, fmt.Errorf("b2ctest: authorize answered HTTP %d without redirecting back", resp.StatusCode)
	}
	s.mu.Lock()
	u := s.user
	tx := ""
	for id, g := range s.pending {
		if g.state == parseState(authURL) {
			tx = id
		}
	}
	s.mu.Unlock()
	form := url.Values{"tx": {tx}, "email": {u.Email}, "name": {u.Name}}
	resp2, err := c.PostForm(authURL, form)
	if callback != nil {
		return callback.Query(), nil
	}
	if err != nil {
		return nil, err
	}
	resp2.Body.Close()
	return nil, fmt.Errorf("b2ctest: sign-in form answered HTTP %d without redirecting back", resp2.StatusCode)
}

func parseState(authURL string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("state")
}

// MintIDToken returns an ID token for the current user as the token
// endpoint would issue it for policy ("" for External ID) and nonce, with
// fault applied, for tests of ID token validation alone.
func (s *Server) MintIDToken(policy, nonce string, f Fault) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	host, canon := B2CHost, ""
	if policy == "" {
		host = ExternalIDHost
	} else if canon = s.canonicalPolicy(policy); canon == "" {
		canon = policy
	}
	return s.idToken(&grant{clientID: ClientID, nonce: nonce, host: host, policy: canon, user: s.user}, f)
}
