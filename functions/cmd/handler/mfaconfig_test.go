package main

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/tablestorage"
)

func TestMFAConfig(t *testing.T) {
	base := map[string]string{
		"PRICELINE_PUBLIC_URL":               "http://localhost:7071",
		"PRICELINE_TABLES_CONNECTION_STRING": "UseDevelopmentStorage=true",
		"PRICELINE_DEV_SIGNING_KEY":          "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1ub3QtYS1zZWNyZXQ=",
	}
	devKey := "bG9jYWwtbWZhLWtleS1kZXZlbG9wbWVudC1vbmx5LW5vdC1zZWNyZXQ="
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	azure := with("PRICELINE_DEV_MFA_KEY", devKey, "PRICELINE_KEYVAULT_URL", "https://v.vault.azure.net",
		"PRICELINE_TABLES_CONNECTION_STRING", "", "PRICELINE_TABLES_ENDPOINT", "https://a.table.core.windows.net")
	delete(azure, "PRICELINE_DEV_SIGNING_KEY")
	c, err := loadConfig(env(with()), false)
	if err != nil || c.MFASecretName != "" || c.DevMFAKey != nil {
		t.Fatalf("no MFA settings: %+v, %v; want MFA off", c, err)
	}
	c, err = loadConfig(env(with("PRICELINE_DEV_MFA_KEY", devKey)), false)
	if err != nil || len(c.DevMFAKey) < 32 {
		t.Fatalf("dev key: %v", err)
	}
	for _, tc := range []struct {
		name    string
		values  map[string]string
		inAzure bool
		setting string
	}{
		{"dev key in Azure", azure, true, "PRICELINE_DEV_MFA_KEY"},
		{"short dev key", with("PRICELINE_DEV_MFA_KEY", "c2hvcnQ="), false, "PRICELINE_DEV_MFA_KEY"},
		{"not base64", with("PRICELINE_DEV_MFA_KEY", "***"), false, "PRICELINE_DEV_MFA_KEY"},
		{"both", with("PRICELINE_DEV_MFA_KEY", devKey, "PRICELINE_MFA_SECRET_NAME", "mfa-key"), false, "PRICELINE_DEV_MFA_KEY"},
		{"secret without vault", with("PRICELINE_MFA_SECRET_NAME", "mfa-key"), false, "PRICELINE_MFA_SECRET_NAME"},
		{"bad secret name", with("PRICELINE_MFA_SECRET_NAME", "a/b"), false, "PRICELINE_MFA_SECRET_NAME"},
	} {
		_, err := loadConfig(env(tc.values), tc.inAzure)
		if err == nil || !strings.Contains(err.Error(), tc.setting) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.setting)
		}
	}
}

// The built app sends the two-step sign-in notices by the account mail
// path (the outbox), not only to the log.
func TestMFANoticesWiredToAccountMail(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"PRICELINE_PUBLIC_URL":               "http://localhost:7071",
		"PRICELINE_TABLES_CONNECTION_STRING": azurite.Shared(t).ConnectionString(),
		"PRICELINE_DEV_SIGNING_KEY":          "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1ub3QtYS1zZWNyZXQ=",
		"PRICELINE_DEV_MFA_KEY":              "bG9jYWwtbWZhLWtleS1kZXZlbG9wbWVudC1vbmx5LW5vdC1zZWNyZXQ=",
	}), false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildAppWith(cfg, slog.New(slog.DiscardHandler), appDeps{tables: tablestorage.Options{TablePrefix: fmt.Sprintf("mfa%d", time.Now().UnixNano()%1_000_000_000)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	svc := a.Server.Auth
	if svc.MFA == nil || svc.MFA.Notifier == nil || svc.Mail == nil {
		t.Fatalf("MFA %v, notifier %v, mail %v", svc.MFA != nil, svc.MFA != nil && svc.MFA.Notifier != nil, svc.Mail != nil)
	}
	if got, want := fmt.Sprintf("%T", svc.MFA.Notifier), fmt.Sprintf("%T", svc.MailNotices()); got != want {
		t.Errorf("notifier is %s, want the mail notices %s", got, want)
	}
}
