package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/token"
	"hospitalpriceline/functions/web"
)

// vaultInstance is one instance wired as cmd/handler wires the Key Vault
// path (see keyvault_test.go for why in-process), sharing the vault and the
// tables with the other instances of a test.
type vaultInstance struct {
	refresh *token.Refresher
	api     *api
}

// newVaultInstance wires an instance over vault and tables. gated sets
// web.Readiness as cmd/handler does; without it only the token layer
// stands between a keyless instance and a 401.
func newVaultInstance(t *testing.T, vault *keyvaulttest.Vault, tables *tablestorage.Client, gated bool) *vaultInstance {
	t.Helper()
	cred, err := keyvault.Credential(keyvaulttest.NewClientID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := keyvault.New(vault.URL, cred, keyvault.Options{ClientOptions: vault.ClientOptions(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	keys := token.NewKeyring()
	ref := &token.Refresher{Keys: keys, Source: src, Name: signingSecretName, Logger: quietLogger()}
	svc := &auth.Service{
		Users:    tables.Users(),
		Sessions: tables.Sessions(),
		Attempts: tables.Attempts(),
		Hasher:   password.NewHasher(password.DefaultParams(), 2, 2*time.Second),
		Policy:   password.DefaultPolicy(),
		Tokens:   &token.Codec{Keys: keys, Issuer: publicURL, Audience: publicURL, Leeway: 30 * time.Second},
		Logger:   quietLogger(),
	}
	srv := &web.Server{Config: web.Config{PublicURL: publicURL}, Auth: svc, Logger: quietLogger()}
	if gated {
		srv.Ready = &web.Readiness{SigningKeys: keys.Loaded}
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &vaultInstance{refresh: ref, api: newAPI(ts.URL)}
}

// TestInstanceStartedWithVaultDownDoesNotSignPeopleOut: instance A loads
// the signing key and signs a user in. Key Vault then goes down and
// instance B starts: it has no key, so A's cookie is answered 503
// signing_keys_unavailable with Retry-After, never 401, and no Set-Cookie
// clears it. Once the vault is back and B loads the key, the same cookie
// works on B. Both with the readiness gate cmd/handler installs and
// without it (the token layer alone).
func TestInstanceStartedWithVaultDownDoesNotSignPeopleOut(t *testing.T) {
	for _, gated := range []bool{true, false} {
		t.Run(fmt.Sprintf("gated=%v", gated), func(t *testing.T) {
			mi := keyvaulttest.NewManagedIdentity(t)
			mi.Setenv(t)
			t.Setenv("WEBSITE_INSTANCE_ID", "")
			vault := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{Authorize: mi.Authorizer()})
			vault.AddSigningKey(signingSecretName)
			tables, err := tablestorage.NewFromConnectionString(azurite.Shared(t).ConnectionString(), tablestorage.Options{TablePrefix: fmt.Sprintf("sk%d", time.Now().UnixNano()%1_000_000_000)})
			if err != nil {
				t.Fatal(err)
			}
			if err := tables.EnsureTables(context.Background()); err != nil {
				t.Fatal(err)
			}
			refresh := func(in *vaultInstance) error {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				return in.refresh.Refresh(ctx)
			}

			a := newVaultInstance(t, vault, tables, gated)
			if err := refresh(a); err != nil {
				t.Fatal(err)
			}
			email := uniqueEmail(t, "vault-down-start")
			a.api.register(t, email, testPassword)
			s := a.api.login(t, email, testPassword)

			vault.SetDown(keyvaulttest.Unavailable)
			b := newVaultInstance(t, vault, tables, gated)
			if err := refresh(b); err == nil {
				t.Fatal("B loaded keys from a vault that is down")
			}
			for _, path := range []string{"/api/me", "/api/me/sessions"} {
				r := b.api.must(t, "GET", path, nil, s)
				if r.status != http.StatusServiceUnavailable || r.errorCode() != "signing_keys_unavailable" || r.header.Get("Retry-After") == "" {
					t.Errorf("GET %s on B without keys = %s (Retry-After %q), want 503 signing_keys_unavailable with Retry-After", path, r, r.header.Get("Retry-After"))
				}
				if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
					t.Errorf("GET %s on B without keys set cookies %q: the browser would drop its session", path, sc)
				}
			}
			if r := a.api.must(t, "GET", "/api/me", nil, s); r.status != http.StatusOK {
				t.Errorf("the session on A, which has the key, during the outage = %s", r)
			}

			vault.SetDown(keyvaulttest.Up)
			if err := refresh(b); err != nil {
				t.Fatalf("B's refresh once the vault is back: %v", err)
			}
			if r := b.api.must(t, "GET", "/api/me", nil, s); r.status != http.StatusOK {
				t.Fatalf("A's cookie on B once B loaded the key = %s, want 200", r)
			}
		})
	}
}
