package b2c

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/priceline"
)

// newTestClient returns a Client for the double's B2C tenant, with cfg
// adjusted by edit.
func newTestClient(t *testing.T, srv *b2ctest.Server, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Authority:    b2ctest.B2CAuthority(b2ctest.PolicySignUpSignIn),
		ClientID:     b2ctest.ClientID,
		ClientSecret: srv.ClientSecret,
		RedirectURI:  b2ctest.RedirectURI,
		ResetPolicy:  b2ctest.PolicyPasswordReset,
		EditPolicy:   b2ctest.PolicyProfileEdit,
		HTTPClient:   srv.Client(),
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func externalID(cfg *Config) {
	cfg.Authority = b2ctest.ExternalIDAuthority()
	cfg.ResetPolicy, cfg.EditPolicy = "", ""
}

// begin starts a sign-in and plays the browser at the double, returning the
// flow and the callback query.
func begin(t *testing.T, c *Client, srv *b2ctest.Server, policy string) (*priceline.AuthFlow, url.Values) {
	t.Helper()
	ctx := context.Background()
	authURL, flow, err := c.Begin(ctx, policy, "/hospitals?id=7", 0)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	q, err := srv.SignIn(ctx, authURL)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	return flow, q
}

// signIn runs a whole sign-in and returns Complete's result.
func signIn(t *testing.T, c *Client, srv *b2ctest.Server, policy string) (*priceline.ExternalIdentity, error) {
	t.Helper()
	flow, q := begin(t, c, srv, policy)
	return c.Complete(context.Background(), flow, q)
}

func wantError(t *testing.T, err error, kind, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s/%s", kind, code)
	}
	var pe *priceline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %v, want *priceline.Error %s/%s", err, err, kind, code)
	}
	if pe.Kind != kind || pe.Code != code {
		t.Fatalf("got %s/%s (%v), want %s/%s", pe.Kind, pe.Code, err, kind, code)
	}
	if pe.Message == "" {
		t.Errorf("error %s has no message", pe.Code)
	}
}

func TestSignInB2CHappyPath(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	srv.SetUser(b2ctest.User{ObjectID: "7d2f3a10-1b2c-4d5e-8f90-0a1b2c3d4e5f", Email: " Pat.Example@Example.COM ", Name: "Pat \u202eExample"})
	c := newTestClient(t, srv)

	flow, q := begin(t, c, srv, "")
	if flow.ReturnTo != "/hospitals?id=7" || flow.Policy != b2ctest.PolicySignUpSignIn {
		t.Errorf("flow ReturnTo %q Policy %q", flow.ReturnTo, flow.Policy)
	}
	if got := flow.ExpiresAt.Sub(flow.CreatedAt); got != FlowLifetime {
		t.Errorf("flow lifetime %v, want %v", got, FlowLifetime)
	}
	id, err := c.Complete(context.Background(), flow, q)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := priceline.ExternalIdentity{
		Provider: priceline.ProviderB2C,
		Subject:  "7d2f3a10-1b2c-4d5e-8f90-0a1b2c3d4e5f",
		Email:    "pat.example@example.com",
		Name:     "Pat Example",
		Policy:   b2ctest.PolicySignUpSignIn,
	}
	if id.AuthTime.IsZero() {
		t.Error("B2C identity has no AuthTime, though the token carries auth_time")
	}
	id.AuthTime = time.Time{}
	if *id != want {
		t.Errorf("identity mismatch:\n got %+v\nwant %+v", *id, want)
	}

	// The authorize request asked for exactly what the flow needs.
	a := srv.LastAuthorize()
	scopes := strings.Fields(a.Get("scope"))
	for _, s := range []string{"openid", b2ctest.ClientID} {
		if !contains(scopes, s) {
			t.Errorf("authorize scope %q lacks %q", a.Get("scope"), s)
		}
	}
	if a.Get("response_mode") != "query" || a.Get("response_type") != "code" || a.Get("redirect_uri") != b2ctest.RedirectURI {
		t.Errorf("authorize query %v", a)
	}
}

func TestSignInExternalIDHappyPath(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	srv.SetUser(b2ctest.User{ObjectID: "11111111-2222-4333-8444-555555555555", Email: "Lee@example.org", Name: "Lee", EmailVerified: true})
	c := newTestClient(t, srv, externalID)
	id, err := signIn(t, c, srv, "")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	want := priceline.ExternalIdentity{
		Provider:      priceline.ProviderB2C,
		Subject:       "11111111-2222-4333-8444-555555555555", // oid, not the pairwise sub
		Email:         "lee@example.org",
		Name:          "Lee",
		EmailVerified: true,
	}
	if *id != want {
		t.Errorf("identity mismatch:\n got %+v\nwant %+v", *id, want)
	}
	if _, _, err := c.Begin(context.Background(), b2ctest.PolicyPasswordReset, "/", 0); err == nil {
		t.Error("External ID client accepted a B2C policy")
	}
}

func TestSignInB2CWithACRPolicyClaim(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{ACRPolicyClaim: true})
	c := newTestClient(t, srv)
	id, err := signIn(t, c, srv, "")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if id.Policy != b2ctest.PolicySignUpSignIn {
		t.Errorf("Policy %q", id.Policy)
	}
}

func TestSignInInteractivePage(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{Interactive: true})
	srv.SetUser(b2ctest.User{Email: "form@example.com", Name: "Form User"})
	c := newTestClient(t, srv)
	id, err := signIn(t, c, srv, "")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if id.Email != "form@example.com" || id.Name != "Form User" || id.Subject == "" {
		t.Errorf("identity %+v", id)
	}
}

func TestSignInWithResetAndEditPolicies(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	for _, p := range []string{b2ctest.PolicyPasswordReset, strings.ToLower(b2ctest.PolicyProfileEdit)} {
		id, err := signIn(t, c, srv, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !strings.EqualFold(id.Policy, p) {
			t.Errorf("%s: Policy %q", p, id.Policy)
		}
	}
}

func TestBeginRejectsUnconfiguredPolicy(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv, func(cfg *Config) { cfg.EditPolicy = "" })
	for _, p := range []string{b2ctest.PolicyProfileEdit, "B2C_1_evil", "../x"} {
		_, _, err := c.Begin(context.Background(), p, "/", 0)
		wantError(t, err, priceline.KindInvalid, "b2c_unknown_policy")
	}
}

// TestASVS_V10_1_2_FlowSecretsUnguessableAndPerTransaction checks that the
// state, nonce and PKCE verifier have at least 128 bits, differ per sign-in,
// and that only the S256 challenge of the verifier leaves the server.
func TestASVS_V10_1_2_FlowSecretsUnguessableAndPerTransaction(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	ctx := context.Background()
	u1, f1, err := c.Begin(ctx, "", "/", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, f2, err := c.Begin(ctx, "", "/", 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]string{
		"ID": {f1.ID, f2.ID}, "State": {f1.State, f2.State}, "Nonce": {f1.Nonce, f2.Nonce}, "PKCEVerifier": {f1.PKCEVerifier, f2.PKCEVerifier},
	} {
		if pair[0] == pair[1] {
			t.Errorf("%s repeats across flows", name)
		}
		// base64url carries 6 bits a character and hex 4; 32 characters of
		// either is at least 128 bits.
		if len(pair[0]) < 32 {
			t.Errorf("%s %q is too short to hold 128 bits", name, pair[0])
		}
	}
	if n := len(f1.PKCEVerifier); n < 43 || n > 128 {
		t.Errorf("PKCE verifier length %d outside RFC 7636's 43..128", n)
	}
	u, _ := url.Parse(u1)
	q := u.Query()
	sum := sha256.Sum256([]byte(f1.PKCEVerifier))
	if q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) || q.Get("code_challenge_method") != "S256" {
		t.Errorf("challenge %q method %q is not S256 of the verifier", q.Get("code_challenge"), q.Get("code_challenge_method"))
	}
	if q.Get("state") != f1.State || q.Get("nonce") != f1.Nonce {
		t.Error("authorization URL does not carry the flow's state and nonce")
	}
	if strings.Contains(u1, f1.PKCEVerifier) {
		t.Error("the PKCE verifier leaked into the authorization URL")
	}
}

// TestASVS_V10_2_1_OAuthStateOrPKCE checks that a callback whose state is
// missing, different or repeated is refused before any code is redeemed.
func TestASVS_V10_2_1_OAuthStateOrPKCE(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	for name, mangle := range map[string]func(url.Values){
		"missing":    func(q url.Values) { q.Del("state") },
		"empty":      func(q url.Values) { q.Set("state", "") },
		"mismatched": func(q url.Values) { q.Set("state", q.Get("state")+"x") },
		"other flow": func(q url.Values) { q.Set("state", "c3RhdGUtb2YtYW5vdGhlci1icm93c2Vy") },
		"repeated":   func(q url.Values) { q.Add("state", q.Get("state")) },
	} {
		t.Run(name, func(t *testing.T) {
			flow, q := begin(t, c, srv, "")
			mangle(q)
			before := srv.TokenRequests()
			_, err := c.Complete(context.Background(), flow, q)
			wantError(t, err, priceline.KindForbidden, "b2c_state_mismatch")
			if srv.TokenRequests() != before {
				t.Error("the code was redeemed despite the bad state")
			}
		})
	}
}

// TestWrongPKCEVerifierRefused shows the code is useless without the
// verifier held in the server-side flow (ASVS V10.1.2, V10.2.1): the token
// endpoint refuses it.
func TestWrongPKCEVerifierRefused(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	flow, q := begin(t, c, srv, "")
	flow.PKCEVerifier = randomURLToken(32)
	_, err := c.Complete(context.Background(), flow, q)
	wantError(t, err, priceline.KindUnauthorized, "b2c_code_rejected")
	if strings.Contains(err.Error(), srv.ClientSecret) {
		t.Error("error text contains the client secret")
	}
}

// TestAuthorizationCodeSingleUse replays a callback: the second redemption
// is refused.
func TestAuthorizationCodeSingleUse(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	flow, q := begin(t, c, srv, "")
	if _, err := c.Complete(context.Background(), flow, q); err != nil {
		t.Fatalf("first Complete: %v", err)
	}
	_, err := c.Complete(context.Background(), flow, q)
	wantError(t, err, priceline.KindUnauthorized, "b2c_code_rejected")
}

func TestCompleteRefusesExpiredOrMissingFlow(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	now := time.Now()
	clock := func() time.Time { return now }
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Now = func() time.Time { return clock() } })
	flow, q := begin(t, c, srv, "")
	clock = func() time.Time { return now.Add(FlowLifetime) }
	_, err := c.Complete(context.Background(), flow, q)
	wantError(t, err, priceline.KindUnauthorized, "b2c_flow_expired")
	_, err = c.Complete(context.Background(), nil, q)
	wantError(t, err, priceline.KindUnauthorized, "b2c_flow_missing")
}

func TestCompleteWithoutCode(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	flow, q := begin(t, c, srv, "")
	q.Del("code")
	_, err := c.Complete(context.Background(), flow, q)
	wantError(t, err, priceline.KindInvalid, "b2c_code_missing")
}

// TestASVS_V10_5_1_OIDCNonce checks that an ID token is accepted only with
// the nonce sent for this sign-in (replay defence).
func TestASVS_V10_5_1_OIDCNonce(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	t.Run("token carries another nonce", func(t *testing.T) {
		srv.FailNextToken(b2ctest.FaultWrongNonce)
		_, err := signIn(t, c, srv, "")
		wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
	})
	t.Run("token replayed into another flow", func(t *testing.T) {
		raw := srv.MintIDToken(b2ctest.PolicySignUpSignIn, "nonce-of-flow-one", b2ctest.FaultNone)
		if _, err := c.ValidateIDToken(context.Background(), raw, "nonce-of-flow-one", ""); err != nil {
			t.Fatalf("own nonce: %v", err)
		}
		_, err := c.ValidateIDToken(context.Background(), raw, "nonce-of-flow-two", "")
		wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
		_, err = c.ValidateIDToken(context.Background(), raw, "", "")
		wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
	})
}

// TestASVS_V10_2_2_IssuerChecked checks the ID token's iss against the
// issuer in the provider metadata, so tokens of another tenant (mix-up)
// are refused. Also V10.5.3 for the token side.
func TestASVS_V10_2_2_IssuerChecked(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	srv.FailNextToken(b2ctest.FaultWrongIssuer)
	_, err := signIn(t, c, srv, "")
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
	var pe *priceline.Error
	if errors.As(err, &pe) && (strings.Contains(pe.Message, "iss") || pe.Err == nil) {
		t.Errorf("reason must be in Err, not Message: %+v", pe)
	}
}

// TestASVS_V10_5_3_MetadataIssuerMustMatchAuthority refuses provider
// metadata whose issuer is not on the configured authority's host.
func TestASVS_V10_5_3_MetadataIssuerMustMatchAuthority(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	srv.SetMetadataIssuer("https://evil.example/" + b2ctest.TenantID + "/v2.0/")
	c := newTestClient(t, srv)
	raw := srv.MintIDToken(b2ctest.PolicySignUpSignIn, "n", b2ctest.FaultNone)
	_, err := c.ValidateIDToken(context.Background(), raw, "n", "")
	wantError(t, err, priceline.KindUnavailable, "b2c_unavailable")
	if _, _, err := c.Begin(context.Background(), "", "/", 0); err == nil {
		t.Error("Begin used metadata with a foreign issuer")
	}
}

// TestASVS_V10_5_4_IDTokenAudience refuses ID tokens issued to another
// client.
func TestASVS_V10_5_4_IDTokenAudience(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	srv.FailNextToken(b2ctest.FaultWrongAudience)
	_, err := signIn(t, c, srv, "")
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
}

// TestASVS_V9_2_1_JWTExpNbf refuses expired and not-yet-valid ID tokens.
func TestASVS_V9_2_1_JWTExpNbf(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	for _, f := range []b2ctest.Fault{b2ctest.FaultExpired, b2ctest.FaultNotYetValid} {
		srv.FailNextToken(f)
		_, err := signIn(t, c, srv, "")
		wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
	}
	t.Run("small clock skew is tolerated", func(t *testing.T) {
		now := time.Now()
		srv.SetNow(func() time.Time { return now.Add(90 * time.Second) })
		defer srv.SetNow(time.Now)
		if _, err := signIn(t, c, srv, ""); err != nil {
			t.Fatalf("90 s of skew: %v", err)
		}
	})
}

// TestASVS_V9_1_1_JWTSignatureVerified refuses an ID token signed by a key
// the provider did not publish under that kid.
func TestASVS_V9_1_1_JWTSignatureVerified(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	srv.FailNextToken(b2ctest.FaultBadSignature)
	_, err := signIn(t, c, srv, "")
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")

	raw := srv.MintIDToken(b2ctest.PolicySignUpSignIn, "n", b2ctest.FaultNone)
	parts := strings.Split(raw, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(claims), `"name":"Alex Doe"`, `"name":"Mallory"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	_, err = c.ValidateIDToken(context.Background(), tampered, "n", "")
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
}

// TestASVS_V9_1_2_JWTAlgAllowlist refuses alg "none" and the HS256
// key-confusion trick; only RS256 is accepted.
func TestASVS_V9_1_2_JWTAlgAllowlist(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	for _, f := range []b2ctest.Fault{b2ctest.FaultAlgNone, b2ctest.FaultAlgHS256} {
		srv.FailNextToken(f)
		_, err := signIn(t, c, srv, "")
		wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
	}
}

// TestASVS_V9_1_3_UnknownKidRefetchIsRateLimited checks that keys come only
// from the metadata's jwks_uri and that tokens naming unknown keys cause at
// most one refetch a minute.
func TestASVS_V9_1_3_UnknownKidRefetchIsRateLimited(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	now := time.Now()
	clock := func() time.Time { return now }
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Now = func() time.Time { return clock() } })
	if _, err := signIn(t, c, srv, ""); err != nil {
		t.Fatal(err)
	}
	if n := srv.JWKSRequests(); n != 1 {
		t.Fatalf("JWKS fetched %d times for one sign-in", n)
	}
	for i := range 3 {
		srv.FailNextToken(b2ctest.FaultUnknownKid)
		_, err := signIn(t, c, srv, "")
		wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
		if n := srv.JWKSRequests(); n != 2 {
			t.Fatalf("after %d unknown-kid tokens JWKS fetched %d times, want 2", i+1, n)
		}
	}
	clock = func() time.Time { return now.Add(unknownKidRefetchEvery) }
	srv.FailNextToken(b2ctest.FaultUnknownKid)
	_, _ = signIn(t, c, srv, "")
	if n := srv.JWKSRequests(); n != 3 {
		t.Fatalf("a minute later JWKS fetched %d times, want 3", n)
	}
}

// TestSigningKeyRotation signs in, rotates the provider's key, and signs in
// again: the unknown kid triggers one refetch and then succeeds.
func TestSigningKeyRotation(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	if _, err := signIn(t, c, srv, ""); err != nil {
		t.Fatal(err)
	}
	old := srv.JWKSRequests()
	kid := srv.RotateKey()
	if _, err := signIn(t, c, srv, ""); err != nil {
		t.Fatalf("after rotation to %s: %v", kid, err)
	}
	if n := srv.JWKSRequests(); n != old+1 {
		t.Errorf("JWKS fetched %d more times, want 1", n-old)
	}
}

// TestASVS_V6_8_4_PolicyClaimMustMatchFlow refuses a B2C token from another
// user flow than the one this sign-in started (a profile-edit or weaker
// flow's token must not complete a sign-in).
func TestASVS_V6_8_4_PolicyClaimMustMatchFlow(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	srv.FailNextToken(b2ctest.FaultWrongPolicy)
	_, err := signIn(t, c, srv, "")
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")

	raw := srv.MintIDToken(b2ctest.PolicyProfileEdit, "n", b2ctest.FaultNone)
	_, err = c.ValidateIDToken(context.Background(), raw, "n", b2ctest.PolicySignUpSignIn)
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
}

// TestASVS_V10_5_2_SubjectFromImmutableClaim identifies users by oid (or
// sub), never by email, and refuses tokens with neither.
func TestASVS_V10_5_2_SubjectFromImmutableClaim(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	srv.SetUser(b2ctest.User{ObjectID: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Email: "same@example.com"})
	id, err := signIn(t, c, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
		t.Errorf("Subject %q, want the oid", id.Subject)
	}
	srv.FailNextToken(b2ctest.FaultNoSubject)
	_, err = signIn(t, c, srv, "")
	wantError(t, err, priceline.KindUnauthorized, "b2c_token_invalid")
}

func TestCompleteProviderErrors(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	for _, tc := range []struct {
		code, desc string
		kind, want string
	}{
		{"access_denied", "AADB2C90118: The user has forgotten their password.\r\nCorrelation ID: x", priceline.KindUnauthorized, "b2c_forgot_password"},
		{"access_denied", "AADB2C90091: The user has cancelled entering self-asserted information.", priceline.KindUnauthorized, "b2c_cancelled"},
		{"access_denied", "AADB2C90273: An invalid response was received <script>alert(1)</script>", priceline.KindUnauthorized, "b2c_error"},
		{"server_error", "AADB2C90000: something broke", priceline.KindUnavailable, "b2c_unavailable"},
		{"invalid_request", "AADB2C90117: The scope is not supported.", priceline.KindUnauthorized, "b2c_error"},
	} {
		t.Run(tc.want+"/"+tc.desc[:11], func(t *testing.T) {
			srv.FailNextAuthorize(tc.code, tc.desc)
			flow, q := begin(t, c, srv, "")
			if q.Get("code") != "" {
				t.Fatal("double issued a code")
			}
			_, err := c.Complete(context.Background(), flow, q)
			wantError(t, err, tc.kind, tc.want)
			var pe *priceline.Error
			errors.As(err, &pe)
			if strings.Contains(pe.Message, "AADB2C") || strings.Contains(pe.Message, "<") {
				t.Errorf("provider text reached the user message: %q", pe.Message)
			}
		})
	}
	t.Run("interactive cancel and forgot password", func(t *testing.T) {
		// Covered through the page's buttons by browser tests; here the
		// error must also be refused when its state is wrong.
		srv.FailNextAuthorize("access_denied", "AADB2C90118: forgot")
		flow, q := begin(t, c, srv, "")
		q.Set("state", "forged")
		_, err := c.Complete(context.Background(), flow, q)
		wantError(t, err, priceline.KindForbidden, "b2c_state_mismatch")
	})
}

func TestTokenEndpointDownIsUnavailable(t *testing.T) {
	for name, o := range map[string]b2ctest.Outage{"503": b2ctest.Unavailable, "connection cut": b2ctest.ConnectionCut} {
		t.Run(name, func(t *testing.T) {
			srv := b2ctest.New(t, b2ctest.Options{})
			c := newTestClient(t, srv)
			flow, q := begin(t, c, srv, "")
			srv.SetTokenOutage(o)
			_, err := c.Complete(context.Background(), flow, q)
			wantError(t, err, priceline.KindUnavailable, "b2c_unavailable")
			var pe *priceline.Error
			if errors.As(err, &pe) && pe.RetryAfter <= 0 {
				t.Error("no RetryAfter")
			}
			if strings.Contains(err.Error(), srv.ClientSecret) || strings.Contains(err.Error(), q.Get("code")) {
				t.Error("error text contains the client secret or code")
			}
		})
	}
}

func TestMetadataDownIsUnavailable(t *testing.T) {
	for name, o := range map[string]b2ctest.Outage{"503": b2ctest.Unavailable, "connection cut": b2ctest.ConnectionCut} {
		t.Run(name, func(t *testing.T) {
			srv := b2ctest.New(t, b2ctest.Options{})
			c := newTestClient(t, srv)
			srv.SetMetadataOutage(o)
			_, _, err := c.Begin(context.Background(), "", "/", 0)
			wantError(t, err, priceline.KindUnavailable, "b2c_unavailable")
			_, err = c.ValidateIDToken(context.Background(), srv.MintIDToken(b2ctest.PolicySignUpSignIn, "n", b2ctest.FaultNone), "n", "")
			wantError(t, err, priceline.KindUnavailable, "b2c_unavailable")
			srv.SetMetadataOutage(b2ctest.Up)
			if _, err := signIn(t, c, srv, ""); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}
}

func TestLogoutURL(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	ctx := context.Background()
	got, err := c.LogoutURL(ctx, "", "the.id.token", "https://priceline.example/signed-out")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	wantPrefix := "https://" + b2ctest.B2CHost + "/" + b2ctest.TenantDomain + "/b2c_1_signupsignin/oauth2/v2.0/logout"
	if !strings.HasPrefix(got, wantPrefix) {
		t.Errorf("LogoutURL %q does not start with %q", got, wantPrefix)
	}
	if u.Query().Get("post_logout_redirect_uri") != "https://priceline.example/signed-out" || u.Query().Get("id_token_hint") != "the.id.token" {
		t.Errorf("LogoutURL query %v", u.Query())
	}
	for _, bad := range []string{"http://priceline.example/", "/relative", "javascript:alert(1)", "https://user@priceline.example/"} {
		_, err := c.LogoutURL(ctx, "", "", bad)
		wantError(t, err, priceline.KindInvalid, "b2c_bad_logout_redirect")
	}
	ext := newTestClient(t, srv, externalID)
	got, err = ext.LogoutURL(ctx, "", "", "https://priceline.example/signed-out")
	if err != nil || !strings.HasPrefix(got, "https://"+b2ctest.ExternalIDHost+"/"+b2ctest.TenantID+"/oauth2/v2.0/logout?") {
		t.Errorf("External ID LogoutURL %q, %v", got, err)
	}
}

func TestNewParsesAuthorities(t *testing.T) {
	ok := []struct {
		authority, base, policy string
		externalID              bool
	}{
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin", "https://contoso.b2clogin.com/contoso.onmicrosoft.com", "B2C_1_signupsignin", false},
		{"https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1A_signup_signin/", "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com", "B2C_1A_signup_signin", false},
		{"https://login.contoso.com/3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64/B2C_1_susi", "https://login.contoso.com/3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64", "B2C_1_susi", false},
		{"https://Contoso.ciamlogin.com/3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64", "https://contoso.ciamlogin.com/3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64", "", true},
		{"https://contoso.ciamlogin.com/", "https://contoso.ciamlogin.com/contoso.onmicrosoft.com", "", true},
	}
	for _, tc := range ok {
		a, err := parseAuthority(tc.authority)
		if err != nil {
			t.Errorf("%s: %v", tc.authority, err)
			continue
		}
		if a.base != tc.base || a.defaultPolicy != tc.policy || a.externalID != tc.externalID {
			t.Errorf("%s: got %+v", tc.authority, a)
		}
	}
	for _, bad := range []string{
		"", "http://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_x",
		"https://contoso.b2clogin.com/contoso.onmicrosoft.com",
		"https://contoso.b2clogin.com/contoso.onmicrosoft.com/notapolicy",
		"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_x?p=1",
		"https://contoso.b2clogin.com//B2C_1_x",
		"https://contoso.ciamlogin.com/a/b",
		"https://u@contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_x",
	} {
		if _, err := parseAuthority(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}

	base := Config{Authority: b2ctest.B2CAuthority(b2ctest.PolicySignUpSignIn), ClientID: "id", ClientSecret: "s", RedirectURI: b2ctest.RedirectURI}
	for name, edit := range map[string]func(*Config){
		"no client ID":        func(c *Config) { c.ClientID = "" },
		"no secret":           func(c *Config) { c.ClientSecret = "" },
		"http redirect":       func(c *Config) { c.RedirectURI = "http://priceline.example/cb" },
		"relative redirect":   func(c *Config) { c.RedirectURI = "/cb" },
		"bad reset policy":    func(c *Config) { c.ResetPolicy = "reset" },
		"External ID + reset": func(c *Config) { externalID(c); c.ResetPolicy = b2ctest.PolicyPasswordReset },
		"scope with space":    func(c *Config) { c.Scopes = []string{"a b"} },
	} {
		cfg := base
		edit(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
