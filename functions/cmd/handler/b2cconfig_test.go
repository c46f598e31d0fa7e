package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/priceline"
)

const b2cTestAuthority = "https://pricelinetest.b2clogin.com/pricelinetest.onmicrosoft.com/B2C_1_signupsignin"

func b2cEnv() map[string]string {
	return map[string]string{
		"PRICELINE_B2C_AUTHORITY":     b2cTestAuthority + "/",
		"PRICELINE_B2C_CLIENT_ID":     "6c1f0e2a-3b4d-4c5e-8f90-a1b2c3d4e5f6",
		"PRICELINE_B2C_CLIENT_SECRET": "local-dev-secret",
		"PRICELINE_B2C_RESET_POLICY":  "B2C_1_passwordreset",
		"PRICELINE_B2C_EDIT_POLICY":   "B2C_1_profileedit",
	}
}

// notInAzure makes sure the tests do not inherit an Azure environment.
func notInAzure(t *testing.T) {
	t.Setenv("WEBSITE_INSTANCE_ID", "")
	t.Setenv("IDENTITY_ENDPOINT", "")
}

func TestLoadB2CConfigAllEmptyIsOff(t *testing.T) {
	notInAzure(t)
	s, err := loadB2CConfig(env(map[string]string{"PRICELINE_PUBLIC_URL": "http://localhost:7071"}), "http://localhost:7071")
	if s != nil || err != nil {
		t.Fatalf("no B2C settings = %+v, %v; want nil, nil", s, err)
	}
	s, err = loadB2CConfig(env(map[string]string{"PRICELINE_B2C_AUTHORITY": "  "}), "http://localhost:7071")
	if s != nil || err != nil {
		t.Fatalf("blank B2C settings = %+v, %v; want nil, nil", s, err)
	}
}

func TestLoadB2CConfigLocal(t *testing.T) {
	notInAzure(t)
	s, err := loadB2CConfig(env(b2cEnv()), "http://localhost:7071/")
	if err != nil {
		t.Fatal(err)
	}
	want := b2cSettings{
		Authority: b2cTestAuthority, ClientID: "6c1f0e2a-3b4d-4c5e-8f90-a1b2c3d4e5f6", ClientSecret: "local-dev-secret",
		RedirectURI: "http://localhost:7071/api/auth/b2c/callback", ResetPolicy: "B2C_1_passwordreset", EditPolicy: "B2C_1_profileedit",
	}
	if diff := cmp.Diff(want, *s); diff != "" {
		t.Fatalf("settings mismatch (-want, +got):\n%s", diff)
	}
	sso, err := newB2CSignIn(context.Background(), s, nil, nil, nil)
	if err != nil || sso == nil || sso.Client == nil || sso.ResetPolicy != want.ResetPolicy || sso.EditPolicy != want.EditPolicy {
		t.Fatalf("newB2CSignIn = %+v, %v", sso, err)
	}
	if sso, err := newB2CSignIn(context.Background(), nil, nil, nil, nil); sso != nil || err != nil {
		t.Fatalf("newB2CSignIn(nil) = %v, %v", sso, err)
	}
}

// Downstream API scopes are off by default: then no provider token is
// kept, even with a store to keep it in.
func TestLoadB2CConfigAPIScopes(t *testing.T) {
	notInAzure(t)
	tokens := fakeTokenStore{}
	s, err := loadB2CConfig(env(b2cEnv()), "http://localhost:7071")
	if err != nil || s.APIScopes != nil {
		t.Fatalf("no PRICELINE_B2C_API_SCOPES: %+v, %v", s, err)
	}
	sso, err := newB2CSignIn(context.Background(), s, nil, nil, tokens)
	if err != nil || sso.Tokens != nil || sso.Client.KeepsTokens() {
		t.Fatalf("without scopes the sign-in keeps tokens: %+v, %v", sso, err)
	}

	m := b2cEnv()
	m["PRICELINE_B2C_API_SCOPES"] = "  https://pricelinetest.onmicrosoft.com/api/prices.read \t https://pricelinetest.onmicrosoft.com/api/prices.write "
	s, err = loadB2CConfig(env(m), "http://localhost:7071")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://pricelinetest.onmicrosoft.com/api/prices.read", "https://pricelinetest.onmicrosoft.com/api/prices.write"}
	if diff := cmp.Diff(want, s.APIScopes); diff != "" {
		t.Fatalf("APIScopes mismatch (-want, +got):\n%s", diff)
	}
	sso, err = newB2CSignIn(context.Background(), s, nil, nil, tokens)
	if err != nil || sso.Tokens == nil || !sso.Client.KeepsTokens() {
		t.Fatalf("with scopes the sign-in keeps no tokens: %+v, %v", sso, err)
	}

	for _, bad := range []string{"openid", "https://x/api/read offline_access", "Profile", b2cEnv()["PRICELINE_B2C_CLIENT_ID"]} {
		m["PRICELINE_B2C_API_SCOPES"] = bad
		_, err := loadB2CConfig(env(m), "http://localhost:7071")
		var se *settingError
		if !errors.As(err, &se) || se.Name != "PRICELINE_B2C_API_SCOPES" {
			t.Errorf("PRICELINE_B2C_API_SCOPES=%q: err = %v; want an error naming the setting", bad, err)
		}
	}
	// Scopes alone are a partial configuration, not "off".
	_, err = loadB2CConfig(env(map[string]string{"PRICELINE_B2C_API_SCOPES": "https://x/api/read"}), "http://localhost:7071")
	var se *settingError
	if !errors.As(err, &se) || se.Name != "PRICELINE_B2C_AUTHORITY" {
		t.Fatalf("only API scopes set: err = %v; want an error naming PRICELINE_B2C_AUTHORITY", err)
	}
}

// fakeTokenStore stands in for the table store; nothing is stored in these
// tests.
type fakeTokenStore struct{ priceline.TokenCacheStore }

func TestLoadB2CConfigExternalID(t *testing.T) {
	notInAzure(t)
	m := b2cEnv()
	m["PRICELINE_B2C_AUTHORITY"] = "https://pricelinetest.ciamlogin.com/3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64"
	delete(m, "PRICELINE_B2C_RESET_POLICY")
	delete(m, "PRICELINE_B2C_EDIT_POLICY")
	if _, err := loadB2CConfig(env(m), "https://priceline.example.org"); err != nil {
		t.Fatalf("External ID: %v", err)
	}
}

// A partial or malformed configuration stops startup with a message naming
// the setting, never silently turning cloud sign-in off.
func TestLoadB2CConfigErrorsNameTheSetting(t *testing.T) {
	notInAzure(t)
	for _, tc := range []struct {
		name    string
		change  map[string]string
		public  string
		setting string
	}{
		{"authority missing", map[string]string{"PRICELINE_B2C_AUTHORITY": ""}, "", "PRICELINE_B2C_AUTHORITY"},
		{"client ID missing", map[string]string{"PRICELINE_B2C_CLIENT_ID": ""}, "", "PRICELINE_B2C_CLIENT_ID"},
		{"no secret", map[string]string{"PRICELINE_B2C_CLIENT_SECRET": ""}, "", "PRICELINE_B2C_CLIENT_SECRET_NAME"},
		{"only a policy", map[string]string{"PRICELINE_B2C_AUTHORITY": "", "PRICELINE_B2C_CLIENT_ID": "", "PRICELINE_B2C_CLIENT_SECRET": ""}, "", "PRICELINE_B2C_AUTHORITY"},
		{"secret and name", map[string]string{"PRICELINE_B2C_CLIENT_SECRET_NAME": "b2c-client-secret", "PRICELINE_KEYVAULT_URL": "https://v.vault.azure.net"}, "", "PRICELINE_B2C_CLIENT_SECRET"},
		{"bad secret name", map[string]string{"PRICELINE_B2C_CLIENT_SECRET": "", "PRICELINE_B2C_CLIENT_SECRET_NAME": "b2c/secret", "PRICELINE_KEYVAULT_URL": "https://v.vault.azure.net"}, "", "PRICELINE_B2C_CLIENT_SECRET_NAME"},
		{"secret name without vault", map[string]string{"PRICELINE_B2C_CLIENT_SECRET": "", "PRICELINE_B2C_CLIENT_SECRET_NAME": "b2c-client-secret"}, "", "PRICELINE_B2C_CLIENT_SECRET_NAME"},
		{"http authority", map[string]string{"PRICELINE_B2C_AUTHORITY": "http://pricelinetest.b2clogin.com/pricelinetest.onmicrosoft.com/B2C_1_signupsignin"}, "", "PRICELINE_B2C_AUTHORITY"},
		{"authority without policy", map[string]string{"PRICELINE_B2C_AUTHORITY": "https://pricelinetest.b2clogin.com/pricelinetest.onmicrosoft.com"}, "", "PRICELINE_B2C_AUTHORITY"},
		{"bad reset policy", map[string]string{"PRICELINE_B2C_RESET_POLICY": "reset"}, "", "PRICELINE_B2C_RESET_POLICY"},
		{"bad edit policy", map[string]string{"PRICELINE_B2C_EDIT_POLICY": "B2C_1_bad policy"}, "", "PRICELINE_B2C_EDIT_POLICY"},
		{"policy on External ID", map[string]string{"PRICELINE_B2C_AUTHORITY": "https://pricelinetest.ciamlogin.com/3f9b2c1e-6a4d-4e8b-9c27-5d1e0a7b8c64", "PRICELINE_B2C_RESET_POLICY": ""}, "", "PRICELINE_B2C_EDIT_POLICY"},
		{"plain http public URL", nil, "http://priceline.example.org", "PRICELINE_PUBLIC_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := b2cEnv()
			for k, v := range tc.change {
				m[k] = v
			}
			public := tc.public
			if public == "" {
				public = "https://priceline.example.org"
			}
			s, err := loadB2CConfig(env(m), public)
			var se *settingError
			if !errors.As(err, &se) || se.Name != tc.setting {
				t.Fatalf("settings %+v, err = %v; want an error naming %s", s, err, tc.setting)
			}
			if strings.Contains(err.Error(), "local-dev-secret") {
				t.Fatalf("the error repeats the client secret: %v", err)
			}
		})
	}
}

// In Azure the client secret must come from Key Vault, not an app setting.
func TestLoadB2CConfigRefusesPlainSecretInAzure(t *testing.T) {
	t.Setenv("WEBSITE_INSTANCE_ID", "instance-1")
	if !keyvault.RunningInAzure() {
		t.Fatal("WEBSITE_INSTANCE_ID does not count as Azure")
	}
	_, err := loadB2CConfig(env(b2cEnv()), "https://priceline.example.org")
	var se *settingError
	if !errors.As(err, &se) || se.Name != "PRICELINE_B2C_CLIENT_SECRET" || !strings.Contains(se.Problem, "refused in Azure") {
		t.Fatalf("err = %v, want PRICELINE_B2C_CLIENT_SECRET refused in Azure", err)
	}
	m := b2cEnv()
	delete(m, "PRICELINE_B2C_CLIENT_SECRET")
	m["PRICELINE_B2C_CLIENT_SECRET_NAME"] = "b2c-client-secret"
	m["PRICELINE_KEYVAULT_URL"] = "https://v.vault.azure.net"
	if _, err := loadB2CConfig(env(m), "https://priceline.example.org"); err != nil {
		t.Fatalf("Key Vault secret name in Azure: %v", err)
	}
}

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "static-test-token"}, nil
}

// The client secret is read through the same Key Vault adapter as the
// signing key, here against the Key Vault double.
func TestNewB2CSignInReadsSecretFromKeyVault(t *testing.T) {
	notInAzure(t)
	vault := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
	vault.AddVersion("b2c-client-secret", "old-secret-value")
	vault.AddVersion("b2c-client-secret", "current-secret-value")
	src, err := keyvault.New(vault.URL, staticToken{}, keyvault.Options{ClientOptions: vault.ClientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	m := b2cEnv()
	delete(m, "PRICELINE_B2C_CLIENT_SECRET")
	m["PRICELINE_B2C_CLIENT_SECRET_NAME"] = "b2c-client-secret"
	m["PRICELINE_KEYVAULT_URL"] = vault.URL
	s, err := loadB2CConfig(env(m), "https://priceline.example.org")
	if err != nil {
		t.Fatal(err)
	}
	sso, err := newB2CSignIn(context.Background(), s, src, nil, nil)
	if err != nil || sso == nil || sso.Client == nil {
		t.Fatalf("newB2CSignIn = %+v, %v", sso, err)
	}
	var read bool
	for _, r := range vault.Requests() {
		if strings.Contains(r.Path, "/secrets/b2c-client-secret") && r.Authorized {
			read = true
		}
	}
	if !read {
		t.Fatalf("the secret was not read from the vault: %+v", vault.Requests())
	}

	// A missing secret is an error that names the setting and the secret.
	s.ClientSecretName = "no-such-secret"
	_, err = newB2CSignIn(context.Background(), s, src, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "PRICELINE_B2C_CLIENT_SECRET_NAME") || !strings.Contains(err.Error(), "no-such-secret") {
		t.Fatalf("missing secret: err = %v", err)
	}
	if _, err := newB2CSignIn(context.Background(), s, nil, nil, nil); err == nil {
		t.Fatal("a secret name without a vault was accepted")
	}
}
