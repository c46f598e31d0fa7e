package b2ctest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The double must be at least as strict as B2C where our client relies on
// it, or tests against it prove nothing.

func noRedirect(s *Server) *http.Client {
	return s.newClient(func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
}

func authorizeURL(host, policy string, q url.Values) string {
	return endpointBase(host, policy) + "/oauth2/v2.0/authorize?" + q.Encode()
}

func validAuthorize() url.Values {
	return url.Values{
		"client_id":             {ClientID},
		"redirect_uri":          {RedirectURI},
		"response_type":         {"code"},
		"scope":                 {"openid offline_access " + ClientID},
		"state":                 {"st"},
		"nonce":                 {"no"},
		"code_challenge":        {pkceS256("verifier-verifier-verifier-verifier-verifier")},
		"code_challenge_method": {"S256"},
	}
}

// code runs authorize and returns the code from the redirect.
func code(t *testing.T, s *Server, q url.Values) string {
	t.Helper()
	resp, err := noRedirect(s).Get(authorizeURL(B2CHost, PolicySignUpSignIn, q))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: HTTP %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != q.Get("state") {
		t.Fatalf("state not echoed: %s", loc)
	}
	return loc.Query().Get("code")
}

func redeem(t *testing.T, s *Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(endpointBase(B2CHost, PolicySignUpSignIn)+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestTokenEndpointChecks(t *testing.T) {
	s := New(t, Options{})
	good := func(c string) url.Values {
		return url.Values{
			"grant_type": {"authorization_code"}, "client_id": {ClientID}, "client_secret": {s.ClientSecret},
			"code": {c}, "redirect_uri": {RedirectURI}, "code_verifier": {"verifier-verifier-verifier-verifier-verifier"},
			"scope": {ClientID + " openid offline_access profile"},
		}
	}
	for name, tc := range map[string]struct {
		edit   func(url.Values)
		status int
		err    string
	}{
		"wrong secret":    {func(f url.Values) { f.Set("client_secret", "nope") }, 401, "invalid_client"},
		"wrong client":    {func(f url.Values) { f.Set("client_id", "other") }, 401, "invalid_client"},
		"wrong redirect":  {func(f url.Values) { f.Set("redirect_uri", RedirectURI+"x") }, 400, "invalid_grant"},
		"wrong verifier":  {func(f url.Values) { f.Set("code_verifier", "other-verifier-other-verifier-other-verifier") }, 400, "invalid_grant"},
		"no verifier":     {func(f url.Values) { f.Del("code_verifier") }, 400, "invalid_grant"},
		"unknown code":    {func(f url.Values) { f.Set("code", "made-up") }, 400, "invalid_grant"},
		"password grant":  {func(f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		"good":            {func(url.Values) {}, 200, ""},
		"good, no scopes": {func(f url.Values) { f.Set("scope", "openid") }, 200, ""},
	} {
		t.Run(name, func(t *testing.T) {
			f := good(code(t, s, validAuthorize()))
			tc.edit(f)
			status, body := redeem(t, s, f)
			if status != tc.status || (tc.err != "" && body["error"] != tc.err) {
				t.Fatalf("HTTP %d %v, want %d %s", status, body, tc.status, tc.err)
			}
			if status == 200 {
				if body["id_token"] == "" || body["client_info"] == "" {
					t.Errorf("token response %v", body)
				}
				_, hasAT := body["access_token"]
				if wantAT := strings.Contains(f.Get("scope"), ClientID); hasAT != wantAT {
					t.Errorf("access_token present %v, want %v (scope %q)", hasAT, wantAT, f.Get("scope"))
				}
			}
		})
	}
	t.Run("code is single use", func(t *testing.T) {
		f := good(code(t, s, validAuthorize()))
		if status, _ := redeem(t, s, f); status != 200 {
			t.Fatal("first redemption failed")
		}
		if status, body := redeem(t, s, f); status != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("second redemption: %d %v", status, body)
		}
	})
}

func TestAuthorizeChecks(t *testing.T) {
	s := New(t, Options{})
	c := noRedirect(s)
	for name, edit := range map[string]func(url.Values){
		"unknown client":        func(q url.Values) { q.Set("client_id", "other") },
		"unregistered redirect": func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
	} {
		q := validAuthorize()
		edit(q)
		resp, err := c.Get(authorizeURL(B2CHost, PolicySignUpSignIn, q))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: HTTP %d Location %q, want a 400 page", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for name, edit := range map[string]func(url.Values){
		"plain PKCE":     func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"token flow":     func(q url.Values) { q.Set("response_type", "token") },
		"without openid": func(q url.Values) { q.Set("scope", ClientID) },
	} {
		q := validAuthorize()
		edit(q)
		resp, err := c.Get(authorizeURL(B2CHost, PolicySignUpSignIn, q))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("error") == "" || loc.Query().Get("code") != "" {
			t.Errorf("%s: HTTP %d Location %q, want an error redirect", name, resp.StatusCode, loc)
		}
	}
	resp, err := c.Get(authorizeURL(B2CHost, "B2C_1_unknown", validAuthorize()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown policy: HTTP %d", resp.StatusCode)
	}
}

func TestInteractiveButtons(t *testing.T) {
	s := New(t, Options{Interactive: true})
	c := noRedirect(s)
	for button, want := range map[string]string{"cancel": "AADB2C90091", "forgot": "AADB2C90118"} {
		u := authorizeURL(B2CHost, PolicySignUpSignIn, validAuthorize())
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("sign-in page: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		s.mu.Lock()
		var tx string
		for id := range s.pending {
			tx = id
		}
		s.mu.Unlock()
		resp, err = c.PostForm(u, url.Values{"tx": {tx}, button: {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if q := loc.Query(); q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), want) || q.Get("state") != "st" {
			t.Errorf("%s: redirect %s", button, loc)
		}
	}
}

func TestClientReachesOnlyTheDouble(t *testing.T) {
	s := New(t, Options{})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://login.microsoftonline.com/common/discovery/instance", nil)
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the client reached a real host")
	}
	if !strings.Contains(s.HostResolverRules(), s.Addr()) || s.SPKIHash() == "" {
		t.Error("browser helpers are empty")
	}
}
