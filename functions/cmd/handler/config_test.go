package main

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		"PRICELINE_PUBLIC_URL":               "http://localhost:7071",
		"PRICELINE_TABLES_CONNECTION_STRING": "UseDevelopmentStorage=true",
		"PRICELINE_DEV_SIGNING_KEY":          "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(validEnv()), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 7071 || c.IdleTimeout != 30*time.Minute || c.SessionLifetime != 12*time.Hour || c.SigningSecretName != "session-signing-key" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.TrustForwardedFor {
		t.Fatal("X-Forwarded-For must not be trusted outside the Functions host by default")
	}
}

func TestLoadConfigAzure(t *testing.T) {
	m := map[string]string{
		"PRICELINE_PUBLIC_URL":      "https://priceline.example.org",
		"PRICELINE_TABLES_ENDPOINT": "https://acct.table.core.windows.net",
		"PRICELINE_KEYVAULT_URL":    "https://vault.vault.azure.net/",
		"FUNCTIONS_WORKER_RUNTIME":  "custom",
	}
	c, err := loadConfig(env(m), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyVaultURL != "https://vault.vault.azure.net" || !c.TrustForwardedFor {
		t.Fatalf("%+v", c)
	}
}

// Every missing or malformed setting stops startup with a message naming it.
func TestLoadConfigErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		name    string
		change  map[string]string
		inAzure bool
		setting string
	}{
		{"no public url", map[string]string{"PRICELINE_PUBLIC_URL": ""}, false, "PRICELINE_PUBLIC_URL"},
		{"public url with path", map[string]string{"PRICELINE_PUBLIC_URL": "http://localhost:7071/x"}, false, "PRICELINE_PUBLIC_URL"},
		{"public url http non-local", map[string]string{"PRICELINE_PUBLIC_URL": "http://example.org"}, false, "PRICELINE_PUBLIC_URL"},
		{"bad port", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "70x"}, false, "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"no tables", map[string]string{"PRICELINE_TABLES_CONNECTION_STRING": ""}, false, "PRICELINE_TABLES_ENDPOINT"},
		{"both tables", map[string]string{"PRICELINE_TABLES_ENDPOINT": "https://a.table.core.windows.net"}, false, "PRICELINE_TABLES_CONNECTION_STRING"},
		{"http tables endpoint", map[string]string{"PRICELINE_TABLES_CONNECTION_STRING": "", "PRICELINE_TABLES_ENDPOINT": "http://a"}, false, "PRICELINE_TABLES_ENDPOINT"},
		{"garbage conn string", map[string]string{"PRICELINE_TABLES_CONNECTION_STRING": "nonsense"}, false, "PRICELINE_TABLES_CONNECTION_STRING"},
		{"dev key not base64", map[string]string{"PRICELINE_DEV_SIGNING_KEY": "***"}, false, "PRICELINE_DEV_SIGNING_KEY"},
		{"dev key short", map[string]string{"PRICELINE_DEV_SIGNING_KEY": "c2hvcnQ="}, false, "PRICELINE_DEV_SIGNING_KEY"},
		{"dev key in azure", nil, true, "PRICELINE_DEV_SIGNING_KEY"},
		{"no keys", map[string]string{"PRICELINE_DEV_SIGNING_KEY": ""}, false, "PRICELINE_KEYVAULT_URL"},
		{"http vault", map[string]string{"PRICELINE_DEV_SIGNING_KEY": "", "PRICELINE_KEYVAULT_URL": "http://v"}, false, "PRICELINE_KEYVAULT_URL"},
		{"bad secret name", map[string]string{"PRICELINE_SIGNING_SECRET_NAME": "a/b"}, false, "PRICELINE_SIGNING_SECRET_NAME"},
		{"bad idle", map[string]string{"PRICELINE_IDLE_TIMEOUT": "soon"}, false, "PRICELINE_IDLE_TIMEOUT"},
		{"idle too short", map[string]string{"PRICELINE_IDLE_TIMEOUT": "1s"}, false, "PRICELINE_IDLE_TIMEOUT"},
		{"bad lifetime", map[string]string{"PRICELINE_SESSION_LIFETIME": "-1h"}, false, "PRICELINE_SESSION_LIFETIME"},
		{"idle over lifetime", map[string]string{"PRICELINE_IDLE_TIMEOUT": "2h", "PRICELINE_SESSION_LIFETIME": "1h"}, false, "PRICELINE_IDLE_TIMEOUT"},
		{"bad cache ttl", map[string]string{"PRICELINE_SESSION_CACHE_TTL": "soon"}, false, "PRICELINE_SESSION_CACHE_TTL"},
		{"cache ttl too long", map[string]string{"PRICELINE_SESSION_CACHE_TTL": "2m"}, false, "PRICELINE_SESSION_CACHE_TTL"},
		{"bad trust", map[string]string{"PRICELINE_TRUST_FORWARDED_FOR": "maybe"}, false, "PRICELINE_TRUST_FORWARDED_FOR"},
		{"http mail endpoint", map[string]string{"PRICELINE_MAIL_ENDPOINT": "http://a.communication.azure.com", "PRICELINE_MAIL_SENDER": "x@y.z"}, false, "PRICELINE_MAIL_ENDPOINT"},
		{"mail endpoint without sender", map[string]string{"PRICELINE_MAIL_ENDPOINT": "https://a.communication.azure.com"}, false, "PRICELINE_MAIL_SENDER"},
		{"mail sender without endpoint", map[string]string{"PRICELINE_MAIL_SENDER": "x@y.z"}, false, "PRICELINE_MAIL_ENDPOINT"},
		{"bad mail sender", map[string]string{"PRICELINE_MAIL_ENDPOINT": "https://a.communication.azure.com", "PRICELINE_MAIL_SENDER": "nobody"}, false, "PRICELINE_MAIL_SENDER"},
		{"dev mail dir in azure", map[string]string{"PRICELINE_DEV_SIGNING_KEY": "", "PRICELINE_KEYVAULT_URL": "https://v.vault.azure.net", "PRICELINE_DEV_MAIL_DIR": "bin/mail"}, true, "PRICELINE_DEV_MAIL_DIR"},
		{"dev mail dir and acs", map[string]string{"PRICELINE_MAIL_ENDPOINT": "https://a.communication.azure.com", "PRICELINE_MAIL_SENDER": "x@y.z", "PRICELINE_DEV_MAIL_DIR": "bin/mail"}, false, "PRICELINE_DEV_MAIL_DIR"},
		{"bad breached passwords", map[string]string{"PRICELINE_BREACHED_PASSWORDS": "yes"}, false, "PRICELINE_BREACHED_PASSWORDS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := validEnv()
			for k, v := range tc.change {
				m[k] = v
			}
			_, err := loadConfig(env(m), tc.inAzure)
			var se *settingError
			if !errors.As(err, &se) {
				t.Fatalf("want a settingError, got %v", err)
			}
			if se.Name != tc.setting || !strings.Contains(err.Error(), tc.setting) {
				t.Fatalf("error names %q (%v), want %q", se.Name, err, tc.setting)
			}
		})
	}
}

// local.settings.sample.json lists every setting and, as shipped, starts.
func TestLocalSettingsSampleIsCompleteAndValid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "local.settings.sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Values map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("local.settings.sample.json: %v", err)
	}
	for _, name := range settingNames {
		if name == "FUNCTIONS_CUSTOMHANDLER_PORT" || name == "AZURE_CLIENT_ID" {
			continue // set by the host / only for a user-assigned identity
		}
		if _, ok := s.Values[name]; !ok {
			t.Errorf("local.settings.sample.json lacks %s", name)
		}
	}
	if s.Values["FUNCTIONS_WORKER_RUNTIME"] != "custom" || s.Values["AzureWebJobsStorage"] != "UseDevelopmentStorage=true" {
		t.Errorf("host settings: %v", s.Values)
	}
	if _, err := loadConfig(env(s.Values), false); err != nil {
		t.Fatalf("the sample settings do not start: %v", err)
	}
}

func TestTrustedProxyHopsSetting(t *testing.T) {
	base := map[string]string{
		"PRICELINE_PUBLIC_URL":      "https://priceline.example.org",
		"PRICELINE_TABLES_ENDPOINT": "https://acct.table.core.windows.net",
		"PRICELINE_KEYVAULT_URL":    "https://vault.vault.azure.net",
		"FUNCTIONS_WORKER_RUNTIME":  "custom",
	}
	load := func(hops string) (*config, error) {
		env := maps.Clone(base)
		if hops != "" {
			env["PRICELINE_TRUSTED_PROXY_HOPS"] = hops
		}
		return loadConfig(func(k string) string { return env[k] }, true)
	}
	c, err := load("")
	if err != nil || c.TrustedProxyHops != 1 {
		t.Fatalf("default: %+v, %v; want 1 (a bare Function App)", c, err)
	}
	if c, err = load("2"); err != nil || c.TrustedProxyHops != 2 {
		t.Fatalf("2 (Front Door): %+v, %v", c, err)
	}
	for _, bad := range []string{"0", "-1", "11", "two", "1.5"} {
		_, err := load(bad)
		var se *settingError
		if !errors.As(err, &se) || se.Name != "PRICELINE_TRUSTED_PROXY_HOPS" {
			t.Errorf("PRICELINE_TRUSTED_PROXY_HOPS=%q: %v, want an error naming the setting", bad, err)
		}
	}
}

// settingNames is exactly what loadConfig reads: every name it asks getenv
// for is listed (so the Bicep and sample-settings checks see it), and every
// listed name is read (so none is documented but ignored). The settings are
// read from a minimal local start and from one with every optional group
// set, each of which must start, so no branch is cut short by an error.
func TestSettingNamesAreTheSettingsLoadConfigReads(t *testing.T) {
	full := validEnv()
	maps.Copy(full, b2cEnv())
	maps.Copy(full, map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": "7072", "FUNCTIONS_WORKER_RUNTIME": "custom",
		"PRICELINE_SIGNING_SECRET_NAME": "key", "PRICELINE_IDLE_TIMEOUT": "10m", "PRICELINE_SESSION_LIFETIME": "1h",
		"PRICELINE_SESSION_CACHE_TTL": "1s", "PRICELINE_TRUST_FORWARDED_FOR": "false", "PRICELINE_TRUSTED_PROXY_HOPS": "2",
		"AZURE_CLIENT_ID": "00000000-0000-4000-8000-000000000002", "PRICELINE_B2C_API_SCOPES": "https://t.onmicrosoft.com/api/read",
		"PRICELINE_DEV_MAIL_DIR": t.TempDir(), "PRICELINE_BREACHED_PASSWORDS": "hibp",
		"PRICELINE_DEV_MFA_KEY": "bG9jYWwtbWZhLWtleS1kZXZlbG9wbWVudC1vbmx5LW5vdC1zZWNyZXQ=",
	})
	notInAzure(t) // the local B2C client secret is refused in Azure
	read := map[string]bool{}
	for _, m := range []map[string]string{validEnv(), full} {
		if _, err := loadConfig(func(k string) string { read[k] = true; return m[k] }, false); err != nil {
			t.Fatalf("settings do not start: %v", err)
		}
	}
	for _, name := range settingNames {
		if !read[name] {
			t.Errorf("settingNames lists %s, which loadConfig never reads", name)
		}
	}
	for name := range read {
		if !slices.Contains(settingNames, name) {
			t.Errorf("loadConfig reads %s, which settingNames does not list", name)
		}
	}
}
