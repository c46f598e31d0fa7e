package keyvault

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

const signingSecret = "session-signing"

// azureApp is the production wiring of a function app in Azure, pointed at
// the doubles: the real managed-identity credential, the real Key Vault
// client, a Refresher and a Codec.
type azureApp struct {
	mi       *keyvaulttest.ManagedIdentity
	vault    *keyvaulttest.Vault
	clientID string
	keys     *token.Keyring
	refresh  *token.Refresher
	codec    *token.Codec
}

func newAzureApp(t *testing.T) *azureApp {
	t.Helper()
	a := &azureApp{mi: keyvaulttest.NewManagedIdentity(t), clientID: keyvaulttest.NewClientID()}
	a.mi.Setenv(t)
	t.Setenv("WEBSITE_INSTANCE_ID", "")
	a.vault = keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{Authorize: a.mi.Authorizer()})
	cred, err := Credential(a.clientID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cred.(*azidentity.ManagedIdentityCredential); !ok {
		t.Fatalf("Credential() = %T, want *azidentity.ManagedIdentityCredential with IDENTITY_ENDPOINT set", cred)
	}
	src, err := New(a.vault.URL, cred, Options{ClientOptions: a.vault.ClientOptions(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	a.keys = token.NewKeyring()
	a.refresh = &token.Refresher{Keys: a.keys, Source: src, Name: signingSecret, Logger: quiet()}
	a.codec = &token.Codec{Keys: a.keys, Issuer: "https://priceline.example", Audience: "priceline-session", Leeway: 30 * time.Second}
	return a
}

func (a *azureApp) cookie(t *testing.T) string {
	t.Helper()
	now := time.Now()
	c, err := a.codec.Sign(token.Claims{
		SessionID: priceline.NewSessionID(),
		UserID:    priceline.NewUserID(),
		IssuedAt:  now,
		ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kid(t *testing.T, cookie string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(cookie, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// TestASVS_V13_2_1_ManagedIdentityAuthenticatesToVault follows the whole path
// a cold start takes: managed-identity token, Key Vault challenge, secret,
// keyring, and a signed cookie. The app holds no stored credential: the only
// thing it authenticates with is a short-lived token from the local identity
// endpoint.
func TestASVS_V13_2_1_ManagedIdentityAuthenticatesToVault(t *testing.T) {
	a := newAzureApp(t)
	v1, _ := a.vault.AddSigningKey(signingSecret)
	if err := a.refresh.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := a.cookie(t)
	if kid(t, c) != v1 {
		t.Errorf("cookie kid = %q, want vault version %q", kid(t, c), v1)
	}
	if _, err := a.codec.Verify(c); err != nil {
		t.Fatalf("signed cookie does not verify: %v", err)
	}

	reqs := a.mi.Requests()
	if len(reqs) == 0 {
		t.Fatal("the identity endpoint was never asked for a token")
	}
	for _, r := range reqs {
		want := keyvaulttest.TokenRequest{APIVersion: "2019-08-01", Resource: "https://vault.azure.net", ClientID: a.clientID, HeaderOK: true, Granted: true}
		if r != want {
			t.Errorf("token request = %+v, want %+v", r, want)
		}
	}
	vreqs := a.vault.Requests()
	if len(vreqs) < 2 || vreqs[0].Authorized {
		t.Fatalf("vault requests = %+v; want an unauthenticated first request that draws the challenge", vreqs)
	}
	if a.vault.Challenges() != 1 {
		t.Errorf("vault sent %d challenges, want 1 (the client caches what it learned)", a.vault.Challenges())
	}
	for _, r := range vreqs[1:] {
		if !r.Authorized {
			t.Errorf("request %s %s after the challenge was not authorized", r.Method, r.Path)
		}
	}
}

// TestASVS_V13_3_1_SigningKeyRotatesThroughVault shows that the signing key
// lives and rotates in the vault: a new version signs after the next refresh
// while older cookies keep working, and disabling a version revokes the
// cookies it signed.
func TestASVS_V13_3_1_SigningKeyRotatesThroughVault(t *testing.T) {
	a := newAzureApp(t)
	ctx := context.Background()
	v1, _ := a.vault.AddSigningKey(signingSecret)
	if err := a.refresh.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	old := a.cookie(t)

	v2, _ := a.vault.AddSigningKey(signingSecret)
	if err := a.refresh.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := a.cookie(t)
	if kid(t, old) != v1 || kid(t, fresh) != v2 {
		t.Errorf("kids = %q then %q, want %q then %q", kid(t, old), kid(t, fresh), v1, v2)
	}
	for name, c := range map[string]string{"old": old, "fresh": fresh} {
		if _, err := a.codec.Verify(c); err != nil {
			t.Errorf("%s cookie rejected after rotation: %v", name, err)
		}
	}
	if st := a.refresh.Status(); st.Versions != 2 || st.LastError != "" {
		t.Errorf("Status() = %+v, want 2 versions and no error", st)
	}

	a.vault.Disable(signingSecret, v1)
	if err := a.refresh.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.codec.Verify(old); priceline.ErrorCode(err) != "invalid_session" {
		t.Errorf("cookie signed by disabled version: err = %v, want invalid_session", err)
	}
	if _, err := a.codec.Verify(fresh); err != nil {
		t.Errorf("fresh cookie rejected after disabling v1: %v", err)
	}
}

func TestVaultDownKeepsCachedKeysAndNeverFallsBack(t *testing.T) {
	for name, mode := range map[string]keyvaulttest.DownMode{"503": keyvaulttest.Unavailable, "connection closed": keyvaulttest.CloseConnections} {
		t.Run(name, func(t *testing.T) {
			a := newAzureApp(t)
			ctx := context.Background()
			v1, _ := a.vault.AddSigningKey(signingSecret)
			if err := a.refresh.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			before := a.cookie(t)
			success := a.refresh.Status().LastSuccess

			a.vault.SetDown(mode)
			err := a.refresh.Refresh(ctx)
			var pe *priceline.Error
			if !errors.As(err, &pe) || pe.Kind != priceline.KindUnavailable || pe.Code != "keyvault_unavailable" {
				t.Fatalf("Refresh with the vault down: err = %v, want KindUnavailable/keyvault_unavailable", err)
			}
			st := a.refresh.Status()
			if !st.Loaded || st.Versions != 1 || st.LastError == "" || !st.LastSuccess.Equal(success) {
				t.Errorf("Status() = %+v, want the cached key and the error", st)
			}
			if _, err := a.codec.Verify(before); err != nil {
				t.Errorf("cookie signed before the outage rejected: %v", err)
			}
			if k := kid(t, a.cookie(t)); k != v1 {
				t.Errorf("signing during the outage used kid %q, want the cached vault version %q", k, v1)
			}
		})
	}
}

func TestVaultDownAtColdStartSignsNothing(t *testing.T) {
	a := newAzureApp(t)
	a.vault.AddSigningKey(signingSecret)
	a.vault.SetDown(keyvaulttest.Unavailable)
	if err := a.refresh.Refresh(context.Background()); priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("Refresh = %v, want KindUnavailable", err)
	}
	// No key in the vault's reach means no key at all: nothing weaker or
	// local is used in its place.
	if _, ok := a.keys.Signing(); ok {
		t.Error("keyring has a signing key although the vault was never reached")
	}
	_, err := a.codec.Sign(token.Claims{SessionID: priceline.NewSessionID(), UserID: priceline.NewUserID(), ExpiresAt: time.Now().Add(time.Hour)})
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Errorf("Sign with no vault keys: err = %v, want KindUnavailable", err)
	}
	a.vault.SetDown(keyvaulttest.Up)
	if err := a.refresh.Refresh(context.Background()); err != nil {
		t.Errorf("Refresh after the vault came back: %v", err)
	}
}

func TestIdentityEndpointRequiresItsHeader(t *testing.T) {
	a := newAzureApp(t)
	a.vault.AddSigningKey(signingSecret)
	t.Setenv("IDENTITY_HEADER", "not-the-header")
	cred, err := Credential(keyvaulttest.NewClientID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(a.vault.URL, cred, Options{ClientOptions: a.vault.ClientOptions(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.SigningKeys(context.Background(), signingSecret)
	if priceline.ErrorKind(err) != priceline.KindInternal {
		t.Errorf("SigningKeys with a wrong identity header: err = %v, want KindInternal", err)
	}
	for _, r := range a.mi.Requests() {
		if r.Granted {
			t.Errorf("token granted without the right header: %+v", r)
		}
	}
}

func TestIdentityEndpointDownIsUnavailable(t *testing.T) {
	a := newAzureApp(t)
	a.vault.AddSigningKey(signingSecret)
	a.mi.Fail(http.StatusServiceUnavailable)
	fast := &CredentialOptions{ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
	cred, err := Credential(keyvaulttest.NewClientID(), fast)
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(a.vault.URL, cred, Options{ClientOptions: a.vault.ClientOptions(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.SigningKeys(context.Background(), signingSecret)
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Errorf("SigningKeys with the identity endpoint down: err = %v, want KindUnavailable", err)
	}
}

func TestCredentialChoosesByEnvironment(t *testing.T) {
	mi := keyvaulttest.NewManagedIdentity(t)
	for name, tc := range map[string]struct {
		env     map[string]string
		wantMI  bool
		inAzure bool
	}{
		"App Service identity":                  {map[string]string{"IDENTITY_ENDPOINT": mi.Endpoint, "IDENTITY_HEADER": mi.Header}, true, true},
		"App Service without identity endpoint": {map[string]string{"WEBSITE_INSTANCE_ID": "abc123"}, true, true},
		"developer machine":                     {map[string]string{}, false, false},
		"endpoint without header":               {map[string]string{"IDENTITY_ENDPOINT": mi.Endpoint}, true, true},
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "WEBSITE_INSTANCE_ID", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
				t.Setenv(k, tc.env[k])
			}
			if got := RunningInAzure(); got != tc.inAzure {
				t.Errorf("RunningInAzure() = %v, want %v", got, tc.inAzure)
			}
			cred, err := Credential("", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, isMI := cred.(*azidentity.ManagedIdentityCredential)
			_, isDefault := cred.(*azidentity.DefaultAzureCredential)
			if isMI != tc.wantMI || isDefault == tc.wantMI {
				t.Errorf("Credential() = %T, want managed identity %v", cred, tc.wantMI)
			}
		})
	}
}
