package b2c

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"hospitalpriceline/functions/priceline"
)

// FlowLifetime is how long a sign-in attempt may take from Begin to the
// callback: the domain's priceline.AuthFlowLifetime, which the flow cookie
// shares.
const FlowLifetime = priceline.AuthFlowLifetime

// Config configures a Client. Authority, ClientID, ClientSecret and
// RedirectURI are required.
type Config struct {
	// Authority is the B2C authority including the default sign-up/sign-in
	// policy (https://TENANT.b2clogin.com/TENANT.onmicrosoft.com/B2C_1_signupsignin,
	// optionally with /tfp/ or on a custom domain), or an External ID
	// authority (https://TENANT.ciamlogin.com/TENANT_ID). MSAL and this
	// package refuse metadata whose issuer is on another host than the
	// authority; External ID tenants that issue tokens as
	// https://TENANT_ID.ciamlogin.com/TENANT_ID/v2.0 must therefore be
	// configured as https://TENANT_ID.ciamlogin.com/TENANT_ID.
	Authority    string
	ClientID     string
	ClientSecret string
	// RedirectURI is the registered callback URL, exactly as registered.
	RedirectURI string
	// ResetPolicy and EditPolicy are the optional password-reset and
	// profile-edit user flows (B2C only).
	ResetPolicy, EditPolicy string
	// Scopes are downstream API scopes to request in addition to the client
	// ID, which is always requested because B2C returns an access token,
	// and MSAL insists on one, only when some resource is asked for.
	Scopes []string
	// HTTPClient reaches the provider; nil means a client with a 10-second
	// timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client runs OpenID Connect sign-ins against one B2C or External ID tenant.
// It is safe for concurrent use.
type Client struct {
	cfg       Config
	auth      authority
	httpc     *http.Client
	now       func() time.Time
	authScope []string // sent to the authorize endpoint
	tokScope  []string // sent to the token endpoint; MSAL adds openid, offline_access and profile

	policies map[string]*policyClient // by canonical policy name; "" for External ID

	keysMu sync.Mutex
	keys   map[string]*keySet // by jwks_uri
}

var _ priceline.IdentityProvider = (*Client)(nil)

// policyClient is the MSAL client and metadata of one user flow; B2C serves
// separate metadata, endpoints and issuer settings per policy.
type policyClient struct {
	policy    string
	authority string
	msal      confidential.Client

	metaMu sync.Mutex
	meta   *metadata
	metaAt time.Time
}

// New checks cfg and builds a Client. It does no network I/O: metadata and
// keys are fetched on first use, so a provider outage cannot stop start-up.
func New(cfg Config) (*Client, error) {
	auth, err := parseAuthority(cfg.Authority)
	if err != nil {
		return nil, fmt.Errorf("b2c: Authority: %w", err)
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("b2c: ClientID is required")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("b2c: ClientSecret is required")
	}
	ru, err := url.Parse(cfg.RedirectURI)
	if err != nil || !ru.IsAbs() || ru.Host == "" || ru.Fragment != "" {
		return nil, fmt.Errorf("b2c: RedirectURI %q must be an absolute URL without a fragment", cfg.RedirectURI)
	}
	if ru.Scheme != "https" && !isLoopback(ru.Hostname()) {
		return nil, fmt.Errorf("b2c: RedirectURI %q must use https (http only for localhost)", cfg.RedirectURI)
	}
	for _, s := range cfg.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return nil, fmt.Errorf("b2c: Scopes: %q is not a single scope", s)
		}
	}
	policies := []string{auth.defaultPolicy}
	if auth.externalID {
		if cfg.ResetPolicy != "" || cfg.EditPolicy != "" {
			return nil, errors.New("b2c: ResetPolicy and EditPolicy apply to B2C only; External ID has no user-flow policies in the URL")
		}
	} else {
		for name, p := range map[string]string{"ResetPolicy": cfg.ResetPolicy, "EditPolicy": cfg.EditPolicy} {
			if p == "" {
				continue
			}
			if !policyPattern.MatchString(p) {
				return nil, fmt.Errorf("b2c: %s %q is not a B2C policy name", name, p)
			}
			policies = append(policies, p)
		}
	}

	c := &Client{
		cfg:       cfg,
		auth:      auth,
		httpc:     cfg.HTTPClient,
		now:       cfg.Now,
		authScope: append([]string{"openid", "offline_access", cfg.ClientID}, cfg.Scopes...),
		tokScope:  append([]string{cfg.ClientID}, cfg.Scopes...),
		policies:  map[string]*policyClient{},
		keys:      map[string]*keySet{},
	}
	if c.httpc == nil {
		c.httpc = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	cred, err := confidential.NewCredFromSecret(cfg.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("b2c: ClientSecret: %w", err)
	}
	for _, p := range policies {
		if _, dup := c.lookupPolicy(p); dup {
			continue
		}
		authorityURL := auth.url(p)
		// Instance discovery must be off: it asks login.microsoftonline.com
		// about the host, which knows nothing of b2clogin.com, ciamlogin.com
		// or custom domains. With it off MSAL reads {authority}/v2.0/.well-known/openid-configuration.
		app, err := confidential.New(authorityURL, cfg.ClientID, cred,
			confidential.WithHTTPClient(c.httpc),
			confidential.WithInstanceDiscovery(false),
			confidential.WithCache(sessionTokenCache{}),
		)
		if err != nil {
			return nil, fmt.Errorf("b2c: create MSAL client for %s: %w", authorityURL, err)
		}
		c.policies[p] = &policyClient{policy: p, authority: authorityURL, msal: app}
	}
	return c, nil
}

// lookupPolicy finds a configured policy; B2C treats policy names
// case-insensitively, so "" and any casing of a configured name resolve.
func (c *Client) lookupPolicy(policy string) (*policyClient, bool) {
	if policy == "" {
		policy = c.auth.defaultPolicy
	}
	for name, pc := range c.policies {
		if strings.EqualFold(name, policy) {
			return pc, true
		}
	}
	return nil, false
}

func (c *Client) policyClient(policy string) (*policyClient, error) {
	pc, ok := c.lookupPolicy(policy)
	if !ok {
		return nil, priceline.Errorf(priceline.KindInvalid, "b2c_unknown_policy", "That sign-in option is not available.")
	}
	return pc, nil
}

// Begin starts a sign-in with policy ("" for the default sign-up/sign-in
// flow). It returns the provider URL to redirect the browser to and the
// AuthFlow the caller must store and bind to the browser with a cookie.
// returnTo is passed through priceline.SafeReturnTo. A maxAge above zero
// starts a re-authentication; see reauthParams.
func (c *Client) Begin(ctx context.Context, policy, returnTo string, maxAge time.Duration) (string, *priceline.AuthFlow, error) {
	if maxAge < 0 {
		return "", nil, priceline.Errorf(priceline.KindInvalid, "b2c_bad_max_age", "That sign-in option is not available.")
	}
	pc, err := c.policyClient(policy)
	if err != nil {
		return "", nil, err
	}
	now := c.now()
	flow := &priceline.AuthFlow{
		ID:           priceline.NewToken(32),
		State:        randomURLToken(32),
		Nonce:        randomURLToken(32),
		PKCEVerifier: randomURLToken(32), // 43 characters, the RFC 7636 minimum, 256 bits
		ReturnTo:     priceline.SafeReturnTo(returnTo),
		Policy:       pc.policy,
		MaxAge:       maxAge,
		CreatedAt:    now,
		ExpiresAt:    now.Add(FlowLifetime),
	}
	raw, err := pc.msal.AuthCodeURL(ctx, c.cfg.ClientID, c.cfg.RedirectURI, c.authScope)
	if err != nil {
		return "", nil, classifyMSALError(err, "build the authorization URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, priceline.Wrap(fmt.Errorf("parse MSAL authorization URL: %w", err), priceline.KindInternal, "b2c_error", msgGeneric)
	}
	// MSAL's AuthCodeURL sets no state, nonce or PKCE challenge; without them
	// the callback could be forged (CSRF), replayed, or redeemed by whoever
	// intercepted the code.
	q := u.Query()
	q.Set("state", flow.State)
	q.Set("nonce", flow.Nonce)
	q.Set("code_challenge", pkceChallenge(flow.PKCEVerifier))
	q.Set("code_challenge_method", "S256")
	// Query mode keeps the callback a top-level GET, so a SameSite=Lax flow
	// cookie comes back with it; form_post is a cross-site POST and would not.
	q.Set("response_mode", "query")
	if maxAge > 0 {
		reauthParams(q, maxAge)
	}
	u.RawQuery = q.Encode()
	return u.String(), flow, nil
}

// reauthParams asks the provider for a fresh sign-in. max_age is the OpenID
// Connect way (Core 3.1.2.1: the provider must sign the user in again when
// its session is older, and must then return auth_time); prompt=login is
// the one B2C documents for user flows, which do not list max_age. MSAL Go
// offers neither usefully (no max_age option; WithPrompt takes a type from
// an internal package), so both go on the query like state and nonce. A
// browser can strip either on the way, and a provider may ignore them, so
// neither is relied on: complete checks auth_time (checkAuthTime).
func reauthParams(q url.Values, maxAge time.Duration) {
	q.Set("max_age", strconv.FormatInt(int64(maxAge/time.Second), 10))
	q.Set("prompt", "login")
}

// Complete finishes the sign-in that flow started, given the query of the
// callback request. It checks the state, turns provider error responses into
// specific codes (b2c_forgot_password, b2c_cancelled, b2c_error), redeems the
// code with the PKCE verifier and validates the ID token.
func (c *Client) Complete(ctx context.Context, flow *priceline.AuthFlow, q url.Values) (*priceline.ExternalIdentity, error) {
	id, _, err := c.complete(ctx, flow, q, false)
	return id, err
}

// KeepsTokens reports whether downstream API scopes are configured, the only
// case in which the provider's access and refresh tokens are worth keeping.
func (c *Client) KeepsTokens() bool { return len(c.cfg.Scopes) > 0 }

// CompleteWithTokens is Complete that also returns MSAL's serialized token
// cache of this sign-in (its access, refresh, ID token and account), for
// the caller to keep with its own session, when KeepsTokens; otherwise the
// cache is nil. The cache is returned only when the ID token is valid.
// It holds secrets: store it server-side only, and never log it.
func (c *Client) CompleteWithTokens(ctx context.Context, flow *priceline.AuthFlow, q url.Values) (*priceline.ExternalIdentity, []byte, error) {
	return c.complete(ctx, flow, q, c.KeepsTokens())
}

func (c *Client) complete(ctx context.Context, flow *priceline.AuthFlow, q url.Values, keep bool) (*priceline.ExternalIdentity, []byte, error) {
	if flow == nil {
		return nil, nil, priceline.Errorf(priceline.KindUnauthorized, "b2c_flow_missing", "This sign-in attempt was not started here or has already been used. Please start again.")
	}
	if flow.Expired(c.now()) {
		return nil, nil, priceline.Errorf(priceline.KindUnauthorized, "b2c_flow_expired", "This sign-in attempt took too long. Please start again.")
	}
	state, ok := single(q, "state")
	if !ok || state == "" || flow.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(flow.State)) != 1 {
		return nil, nil, priceline.Errorf(priceline.KindForbidden, "b2c_state_mismatch", "This sign-in response does not belong to your browser session. Please start again.")
	}
	if e, _ := single(q, "error"); e != "" || len(q["error"]) > 1 {
		desc, _ := single(q, "error_description")
		return nil, nil, providerError(e, desc)
	}
	code, ok := single(q, "code")
	if !ok || code == "" || len(code) > 8192 {
		return nil, nil, priceline.Errorf(priceline.KindInvalid, "b2c_code_missing", "The sign-in response was incomplete. Please start again.")
	}
	pc, err := c.policyClient(flow.Policy)
	if err != nil {
		return nil, nil, err
	}
	var blob []byte
	redeemCtx := ctx
	if keep {
		redeemCtx = context.WithValue(ctx, exportKey{}, &blob)
	}
	res, err := pc.msal.AcquireTokenByAuthCode(redeemCtx, code, c.cfg.RedirectURI, c.tokScope,
		confidential.WithChallenge(flow.PKCEVerifier)) // MSAL sends this as code_verifier
	if err != nil {
		return nil, nil, classifyMSALError(err, "redeem the authorization code")
	}
	id, err := c.ValidateIDToken(ctx, res.IDToken.RawToken, flow.Nonce, flow.Policy)
	if err != nil {
		return nil, nil, err
	}
	if flow.MaxAge > 0 {
		if err := checkAuthTime(id.AuthTime, flow.MaxAge, c.now()); err != nil {
			return nil, nil, err
		}
	}
	return id, blob, nil
}

// LogoutURL returns the provider's end-session URL for policy, which signs
// the user out of the provider too and then sends the browser to
// postLogoutRedirect. idTokenHint may be "" when no ID token was kept.
func (c *Client) LogoutURL(ctx context.Context, policy, idTokenHint, postLogoutRedirect string) (string, error) {
	pc, err := c.policyClient(policy)
	if err != nil {
		return "", err
	}
	pr, err := url.Parse(postLogoutRedirect)
	if err != nil || !pr.IsAbs() || pr.Host == "" || pr.User != nil || (pr.Scheme != "https" && !isLoopback(pr.Hostname())) {
		return "", priceline.Errorf(priceline.KindInvalid, "b2c_bad_logout_redirect", "The sign-out return address must be an absolute https URL.")
	}
	meta, err := c.metadata(ctx, pc)
	if err != nil {
		return "", err
	}
	if meta.EndSessionEndpoint == "" {
		return "", priceline.Wrap(errors.New("metadata has no end_session_endpoint"), priceline.KindInternal, "b2c_error", msgGeneric)
	}
	u, err := url.Parse(meta.EndSessionEndpoint)
	if err != nil || u.Scheme != "https" {
		return "", priceline.Wrap(fmt.Errorf("end_session_endpoint %q is not an https URL", meta.EndSessionEndpoint), priceline.KindInternal, "b2c_error", msgGeneric)
	}
	q := u.Query()
	q.Set("post_logout_redirect_uri", pr.String())
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// sessionTokenCache is MSAL's cache accessor. MSAL keeps one in-memory
// cache per client, shared by every user; we never call AcquireTokenSilent
// on it, so it would only accumulate every user's tokens for the life of the
// process. Replace therefore empties it before each write (MSAL calls it,
// under its cache lock, before storing a token response), so at most the
// latest response is held. Export hands that response, serialized, to the
// one sign-in that asked for it through its context (CompleteWithTokens):
// the cache is then exactly one user's tokens, and where it is kept is the
// caller's decision, keyed by the caller's own session.
type sessionTokenCache struct{}

// exportKey is the context key under which CompleteWithTokens passes the
// place for Export to put the serialized cache.
type exportKey struct{}

func (sessionTokenCache) Replace(_ context.Context, c cache.Unmarshaler, _ cache.ReplaceHints) error {
	return c.Unmarshal([]byte("{}"))
}

func (sessionTokenCache) Export(ctx context.Context, c cache.Marshaler, _ cache.ExportHints) error {
	dst, ok := ctx.Value(exportKey{}).(*[]byte)
	if !ok {
		return nil
	}
	b, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("serialize the MSAL token cache: %w", err)
	}
	*dst = b
	return nil
}

// single returns the only value of key in q; ok is false when it is
// repeated, because a second value is a sign of parameter pollution.
func single(q url.Values, key string) (string, bool) {
	v := q[key]
	switch len(v) {
	case 0:
		return "", true
	case 1:
		return v[0], true
	default:
		return "", false
	}
}

// randomURLToken returns n random bytes, base64url encoded without padding.
func randomURLToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; a predictable
		// state or verifier would be worse than stopping.
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
