package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/internal/syncbuf"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/web"
)

// rotationRig is a b2cSecret over the Key Vault double whose client builds
// are recorded, so a test can see which secret cloud sign-in uses.
type rotationRig struct {
	vault *keyvaulttest.Vault
	sec   *b2cSecret
	sso   *auth.CloudSignIn
	logs  *syncbuf.Buffer

	mu    sync.Mutex
	built []string // the secrets clients were built with, in order
}

func newRotationRig(t *testing.T) *rotationRig {
	t.Helper()
	notInAzure(t)
	vault := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
	src, err := keyvault.New(vault.URL, staticToken{}, keyvault.Options{ClientOptions: vault.ClientOptions(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	m := b2cEnv()
	delete(m, "PRICELINE_B2C_CLIENT_SECRET")
	m["PRICELINE_B2C_CLIENT_SECRET_NAME"] = b2cSecretName
	m["PRICELINE_KEYVAULT_URL"] = vault.URL
	s, err := loadB2CConfig(env(m), "https://priceline.example.org")
	if err != nil {
		t.Fatal(err)
	}
	rig := &rotationRig{vault: vault, sso: &auth.CloudSignIn{}, logs: &syncbuf.Buffer{}}
	rig.sec = newB2CSecret(s, src, rig.sso, slog.New(slog.NewJSONHandler(rig.logs, nil)))
	orig := rig.sec.build
	rig.sec.build = func(secret string) (priceline.IdentityProvider, error) {
		rig.mu.Lock()
		rig.built = append(rig.built, secret)
		rig.mu.Unlock()
		return orig(secret)
	}
	return rig
}

func (r *rotationRig) builds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.built...)
}

// A rotated B2C client secret reaches cloud sign-in at the next refresh,
// with no restart: the refresh after the new version is added builds a
// client with the new value and swaps it in; a refresh that finds the same
// value builds nothing; a refresh that fails keeps the client it has and
// says so in health; and no value is ever logged.
func TestB2CSecretRotationIsPickedUpByTheNextRefresh(t *testing.T) {
	rig := newRotationRig(t)
	ctx := context.Background()
	rig.vault.AddVersion(b2cSecretName, "first-secret-value")
	if err := rig.sec.check(ctx); !errors.Is(err, web.ErrStarting) {
		t.Fatalf("health before the first read = %v, want starting", err)
	}
	if err := rig.sec.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	first := rig.sso.Ready()
	if !first || strings.Join(rig.builds(), ",") != "first-secret-value" {
		t.Fatalf("after the first read: ready %v, builds %q", first, rig.builds())
	}
	if err := rig.sec.check(ctx); err != nil {
		t.Fatalf("health after the first read: %v", err)
	}

	// Nothing changed: no new client.
	if err := rig.sec.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rig.builds()); n != 1 {
		t.Fatalf("an unchanged secret built %d clients, want 1", n)
	}

	// The operator rotates: a new version becomes the current one.
	rig.vault.AddVersion(b2cSecretName, "rotated-secret-value")
	if err := rig.sec.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rig.builds(); len(got) != 2 || got[1] != "rotated-secret-value" {
		t.Fatalf("after the rotation the clients were built with %q, want the rotated value last", got)
	}
	if !rig.sso.Ready() {
		t.Fatal("cloud sign-in not ready after the rotation")
	}

	// The vault goes down: sign-in keeps the rotated client, health says
	// the refresh failed.
	rig.vault.SetDown(keyvaulttest.Unavailable)
	if err := rig.sec.refresh(ctx); err == nil {
		t.Fatal("a refresh with the vault down succeeded")
	}
	if !rig.sso.Ready() || len(rig.builds()) != 2 {
		t.Fatalf("a failed refresh changed the client: ready %v, builds %q", rig.sso.Ready(), rig.builds())
	}
	if err := rig.sec.check(ctx); err == nil || !strings.Contains(err.Error(), "refresh failed") {
		t.Fatalf("health after a failed refresh = %v", err)
	}

	logs := rig.logs.String()
	if !strings.Contains(logs, "now uses the new one") {
		t.Errorf("the rotation was not logged:\n%s", logs)
	}
	for _, v := range []string{"first-secret-value", "rotated-secret-value"} {
		if strings.Contains(logs, v) {
			t.Fatalf("a secret value was logged:\n%s", logs)
		}
	}
}

// A new value that does not make a client keeps the client in use and
// reports the failure without the value.
func TestB2CSecretUnusableRotationKeepsTheCurrentClient(t *testing.T) {
	rig := newRotationRig(t)
	ctx := context.Background()
	rig.vault.AddVersion(b2cSecretName, "good-secret-value")
	if err := rig.sec.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	orig := rig.sec.build
	rig.sec.build = func(secret string) (priceline.IdentityProvider, error) {
		if secret == "bad-secret-value" {
			return orig("") // b2c.New refuses an empty secret
		}
		return orig(secret)
	}
	rig.vault.AddVersion(b2cSecretName, "bad-secret-value")
	err := rig.sec.refresh(ctx)
	if err == nil || strings.Contains(err.Error(), "bad-secret-value") || !strings.Contains(err.Error(), b2cSecretName) {
		t.Fatalf("unusable rotated secret: err = %v, want an error naming the secret, not its value", err)
	}
	if !rig.sso.Ready() {
		t.Fatal("an unusable rotation left cloud sign-in without a client")
	}
}
