package b2ctest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The protocol endpoints the double serves: OpenID configuration, JWKS,
// authorize (with its sign-in form), token and logout.

// ServeHTTP routes by host and path the way B2C and External ID do.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var policy string
	switch host {
	case B2CHost:
		if len(segs) > 0 && strings.EqualFold(segs[0], "tfp") {
			segs = segs[1:]
		}
		if len(segs) < 3 || !(strings.EqualFold(segs[0], TenantDomain) || strings.EqualFold(segs[0], TenantID)) {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		policy = s.canonicalPolicy(segs[1])
		s.mu.Unlock()
		if policy == "" {
			oauthError(w, http.StatusNotFound, "invalid_request", "AADB2C90008: The request does not contain a known policy.")
			return
		}
		segs = segs[2:]
	case ExternalIDHost:
		if len(segs) < 2 || !(strings.EqualFold(segs[0], TenantID) || strings.EqualFold(segs[0], TenantDomain)) {
			http.NotFound(w, r)
			return
		}
		segs = segs[1:]
	default:
		http.NotFound(w, r)
		return
	}
	switch strings.ToLower(strings.Join(segs, "/")) {
	case "v2.0/.well-known/openid-configuration":
		s.metadata(w, r, host, policy)
	case "discovery/v2.0/keys":
		s.jwks(w, r)
	case "oauth2/v2.0/authorize":
		s.authorize(w, r, host, policy)
	case "oauth2/v2.0/token":
		s.token(w, r, host, policy)
	case "oauth2/v2.0/logout":
		s.logout(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) canonicalPolicy(p string) string {
	for _, known := range []string{PolicySignUpSignIn, PolicyPasswordReset, PolicyProfileEdit} {
		if strings.EqualFold(p, known) {
			return known
		}
	}
	return ""
}

// endpointBase is the prefix of every endpoint for host and policy; B2C
// writes the tenant domain and the lower-cased policy.
func endpointBase(host, policy string) string {
	if host == ExternalIDHost {
		return "https://" + host + "/" + TenantID
	}
	return "https://" + host + "/" + TenantDomain + "/" + strings.ToLower(policy)
}

func issuerFor(host string) string {
	if host == ExternalIDHost {
		return ExternalIDIssuer()
	}
	return B2CIssuer()
}

// outage applies an outage; it reports whether the request was answered.
func outage(w http.ResponseWriter, o Outage) bool {
	switch o {
	case Unavailable:
		w.Header().Set("Retry-After", "5")
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "AADB2C90000: The service is temporarily unavailable.")
		return true
	case ConnectionCut:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	return false
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request, host, policy string) {
	s.mu.Lock()
	o, iss := s.metadataOutage, s.issuerOverride
	s.mu.Unlock()
	if outage(w, o) {
		return
	}
	if iss == "" {
		iss = issuerFor(host)
	}
	base := endpointBase(host, policy)
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "code id_token", "id_token"},
		"scopes_supported":                      []string{"openid"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if host == B2CHost {
		doc["claims_supported"] = []string{"name", "emails", "oid", "sub", "tfp", "iss", "iat", "exp", "aud", "acr", "nonce", "auth_time"}
	} else {
		doc["tenant_region_scope"] = "EU"
		doc["claims_supported"] = []string{"sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "name", "email", "preferred_username", "nonce"}
	}
	writeJSON(w, http.StatusOK, doc)
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.jwksRequests++
	o := s.metadataOutage
	keys := make([]map[string]string, 0, len(s.keys))
	for _, k := range s.keys {
		keys = append(keys, k.jwk())
	}
	s.mu.Unlock()
	if outage(w, o) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, host, policy string) {
	if r.Method == http.MethodPost {
		s.authorizeForm(w, r)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	s.lastAuthorize = cloneValues(q)
	redirectOK := s.redirects[q.Get("redirect_uri")]
	authErr := s.nextAuthErr
	s.nextAuthErr = [2]string{}
	user, interactive := s.user, s.opts.Interactive
	s.mu.Unlock()

	// Without a known client and an exactly registered redirect URI there
	// is nobody safe to send an error to, so B2C shows an error page.
	if q.Get("client_id") != ClientID {
		http.Error(w, "AADB2C90117: The application with identifier '"+q.Get("client_id")+"' was not found.", http.StatusBadRequest)
		return
	}
	if !redirectOK {
		http.Error(w, "AADB2C90006: The redirect URI provided in the request is not registered for the client id.", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		http.Redirect(w, r, withQuery(q.Get("redirect_uri"), v), http.StatusFound)
	}
	fail := func(code, desc string) {
		back(url.Values{"error": {code}, "error_description": {desc}})
	}
	switch {
	case authErr[0] != "":
		fail(authErr[0], authErr[1])
		return
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "AADB2C90079: Only the code response type is enabled for this client.")
		return
	case !hasScope(q.Get("scope"), "openid"):
		fail("invalid_request", "AADB2C90055: The scope 'openid' must be requested.")
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "AADB2C90183: The code_challenge_method must be S256.")
		return
	}
	g := &grant{
		clientID:    ClientID,
		redirectURI: q.Get("redirect_uri"),
		challenge:   q.Get("code_challenge"),
		nonce:       q.Get("nonce"),
		state:       q.Get("state"),
		scopes:      strings.Fields(q.Get("scope")),
		host:        host,
		policy:      policy,
		user:        user,
		maxAgeAsked: q.Get("max_age") != "",
	}
	if !interactive {
		s.mu.Lock()
		g.authTime = s.signInTime(q)
		s.mu.Unlock()
		back(url.Values{"code": {s.issueCode(g)}})
		return
	}
	tx := randomToken(16)
	s.mu.Lock()
	s.pending[tx] = g
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := signInPage.Execute(w, map[string]string{"Action": r.URL.String(), "TX": tx, "Tenant": TenantName, "Policy": policy}); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// authorizeForm handles the sign-in page's post.
func (s *Server) authorizeForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	g := s.pending[r.PostForm.Get("tx")]
	delete(s.pending, r.PostForm.Get("tx"))
	s.mu.Unlock()
	if g == nil {
		http.Error(w, "AADB2C90015: The sign-in session has expired or is unknown.", http.StatusBadRequest)
		return
	}
	v := url.Values{}
	switch {
	case r.PostForm.Get("cancel") != "":
		v.Set("error", "access_denied")
		v.Set("error_description", "AADB2C90091: The user has cancelled entering self-asserted information.")
	case r.PostForm.Get("forgot") != "":
		v.Set("error", "access_denied")
		v.Set("error_description", "AADB2C90118: The user has forgotten their password.")
	default:
		email := strings.TrimSpace(r.PostForm.Get("email"))
		if email == "" {
			http.Error(w, "email is required", http.StatusBadRequest)
			return
		}
		g.user = User{ObjectID: objectIDFor(email), Email: email, Name: strings.TrimSpace(r.PostForm.Get("name"))}
		s.mu.Lock()
		s.ssoAt = s.now() // the form is an active sign-in
		g.authTime = s.ssoAt
		s.mu.Unlock()
		v.Set("code", s.issueCode(g))
	}
	if g.state != "" {
		v.Set("state", g.state)
	}
	http.Redirect(w, r, withQuery(g.redirectURI, v), http.StatusFound)
}

// signInTime is the auth_time of a non-interactive authorize request with
// query q: the single-sign-on session's, unless there is none or q asks for
// a fresher sign-in (prompt=login, or max_age shorter than the session's
// age) and the double honours it, in which case the user signs in now.
// The caller holds s.mu.
func (s *Server) signInTime(q url.Values) time.Time {
	now := s.now()
	fresh := s.ssoAt.IsZero()
	if !s.opts.IgnoreReauth {
		if q.Get("prompt") == "login" {
			fresh = true
		}
		if ma := q.Get("max_age"); ma != "" {
			n, err := strconv.Atoi(ma)
			if err != nil || n < 0 || now.Sub(s.ssoAt) > time.Duration(n)*time.Second {
				fresh = true
			}
		}
	}
	if fresh {
		s.ssoAt = now
	}
	return s.ssoAt
}

// objectIDFor derives a stable object ID from an address, so signing in
// twice with the same address in a browser test is the same account.
func objectIDFor(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *Server) issueCode(g *grant) string {
	code := randomToken(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	g.expires = s.now().Add(codeLifetime)
	s.codes[code] = g
	return code
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, host, policy string) {
	s.mu.Lock()
	s.tokenRequests++
	o := s.tokenOutage
	s.mu.Unlock()
	if outage(w, o) {
		return
	}
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "AADB2C90002: The token endpoint only accepts POST.")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADB2C90002: Malformed request body.")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "AADB2C90086: The supplied grant_type is not supported.")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id != ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "AADB2C90081: The client credentials are invalid.")
		return
	}
	s.mu.Lock()
	code := f.Get("code")
	g := s.codes[code]
	delete(s.codes, code) // single use, whatever happens next
	now := s.now()
	fault := s.nextFault
	s.mu.Unlock()
	invalidGrant := func(desc string) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", desc)
	}
	switch {
	case g == nil:
		invalidGrant("AADB2C90080: The provided grant has expired or was already redeemed.")
		return
	case now.After(g.expires):
		invalidGrant("AADB2C90080: The provided grant has expired.")
		return
	case g.host != host || g.policy != policy:
		invalidGrant("AADB2C90090: The provided grant was issued for another policy.")
		return
	case g.redirectURI != f.Get("redirect_uri"):
		invalidGrant("AADB2C90006: The redirect URI does not match the one the code was issued for.")
		return
	case g.challenge != "" && pkceS256(f.Get("code_verifier")) != g.challenge:
		invalidGrant("AADB2C90183: The supplied code_verifier is invalid.")
		return
	}
	s.mu.Lock()
	s.nextFault = FaultNone
	idToken := s.idToken(g, fault)
	s.mu.Unlock()

	requested := strings.Fields(f.Get("scope"))
	resp := map[string]any{
		"token_type":          "Bearer",
		"expires_in":          3600,
		"id_token":            idToken,
		"id_token_expires_in": 3600,
		"not_before":          now.Unix(),
		"client_info":         clientInfo(g),
	}
	// Like B2C, issue an access token only when some resource (an API
	// scope, or the app's own client ID) was requested.
	var granted []string
	for _, sc := range requested {
		switch sc {
		case "openid", "profile", "offline_access":
		default:
			granted = append(granted, sc)
		}
	}
	if len(granted) > 0 && fault != FaultNoAccessToken {
		resp["access_token"] = "b2ctest-at." + randomToken(24)
		resp["scope"] = strings.Join(granted, " ")
	}
	if hasScope(f.Get("scope"), "offline_access") {
		resp["refresh_token"] = "b2ctest-rt." + randomToken(24)
		resp["refresh_token_expires_in"] = 1209600
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.logouts = append(s.logouts, cloneValues(q))
	s.mu.Unlock()
	if p := q.Get("post_logout_redirect_uri"); p != "" {
		http.Redirect(w, r, p, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "You have signed out.")
}

func clientInfo(g *grant) string {
	uid := g.user.ObjectID
	if g.policy != "" {
		uid += "-" + strings.ToLower(g.policy)
	}
	b, _ := json.Marshal(map[string]string{"uid": uid, "utid": TenantID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

func withQuery(base string, v url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": desc + "\r\nCorrelation ID: " + randomToken(8) + "\r\nTimestamp: " + time.Now().UTC().Format("2006-01-02 15:04:05Z"),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
