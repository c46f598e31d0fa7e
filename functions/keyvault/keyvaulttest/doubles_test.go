package keyvaulttest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestVaultChallengesUnauthenticatedRequests(t *testing.T) {
	v := NewVault(t, VaultOptions{})
	resp, err := v.HTTPClient().Get(v.URL + "/secrets/x/versions?api-version=2026-04-01")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := `Bearer authorization="https://login.microsoftonline.com/` + DefaultTenantID + `", resource="https://vault.azure.net"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("got %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	if v.Challenges() != 1 {
		t.Errorf("Challenges() = %d", v.Challenges())
	}
}

func TestVaultRejectsTokensItsIdentityDidNotIssue(t *testing.T) {
	mi := NewManagedIdentity(t)
	v := NewVault(t, VaultOptions{Authorize: mi.Authorizer()})
	v.AddVersion("x", "value")
	req, _ := http.NewRequest(http.MethodGet, v.URL+"/secrets/x?api-version=2026-04-01", nil)
	req.Header.Set("Authorization", "Bearer forged")
	resp, err := v.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged token: status %d, want 401", resp.StatusCode)
	}
}

func TestVaultClientDialsOnlyTheDouble(t *testing.T) {
	v := NewVault(t, VaultOptions{})
	for _, u := range []string{"https://other.vault.azure.net/", "https://" + v.Host + ":8443/", "http://" + v.Host + "/"} {
		if resp, err := v.HTTPClient().Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("GET %s reached something", u)
		}
	}
	// And the double's certificate is not trusted by a default client.
	resp, err := http.Get(v.srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Error("a default client trusted the double's certificate")
	}
}

func TestManagedIdentityRequiresHeaderAndAPIVersion(t *testing.T) {
	mi := NewManagedIdentity(t)
	get := func(header, apiVersion, resource string) (int, map[string]string) {
		q := url.Values{"api-version": {apiVersion}, "resource": {resource}}
		req, _ := http.NewRequest(http.MethodGet, mi.Endpoint+"?"+q.Encode(), nil)
		if header != "" {
			req.Header.Set("X-IDENTITY-HEADER", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, _ := get("", AppServiceAPIVersion, DefaultResource); code != http.StatusUnauthorized {
		t.Errorf("no header: %d", code)
	}
	if code, _ := get("wrong", AppServiceAPIVersion, DefaultResource); code != http.StatusUnauthorized {
		t.Errorf("wrong header: %d", code)
	}
	if code, _ := get(mi.Header, "2017-09-01", DefaultResource); code != http.StatusBadRequest {
		t.Errorf("old api-version: %d", code)
	}
	code, body := get(mi.Header, AppServiceAPIVersion, DefaultResource)
	if code != http.StatusOK || body["token_type"] != "Bearer" || body["resource"] != DefaultResource || body["expires_on"] == "" || !strings.HasPrefix(body["access_token"], "mi-") {
		t.Fatalf("good request: %d %v", code, body)
	}
	if !mi.Valid(body["access_token"], DefaultResource) || mi.Valid(body["access_token"], "https://storage.azure.com") {
		t.Error("token validity is not bound to its resource")
	}
	if n := len(mi.Requests()); n != 4 {
		t.Errorf("recorded %d requests, want 4", n)
	}
}
