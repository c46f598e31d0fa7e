package keyvault

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/priceline"
)

// staticCredential hands out one token and records what it was asked for.
type staticCredential struct {
	mu     sync.Mutex
	scopes []string
}

func (c *staticCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes...)
	return azcore.AccessToken{Token: "static-test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (c *staticCredential) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.scopes...)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newSource(t *testing.T, v *keyvaulttest.Vault, cred azcore.TokenCredential) *Source {
	t.Helper()
	s, err := New(v.URL, cred, Options{ClientOptions: v.ClientOptions(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(n int, enc *base64.Encoding) string {
	return enc.EncodeToString([]byte(strings.Repeat("k", n)))
}

func TestSigningKeysNewestFirstAndOnlyUsable(t *testing.T) {
	v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{PageSize: 2})
	now := time.Now()
	oldest, oldKey := v.AddSigningKey("session-signing")
	v.AddSigningKey("session-signing", keyvaulttest.Disabled())
	v.AddSigningKey("session-signing", keyvaulttest.Expires(now.Add(-time.Minute)))
	v.AddSigningKey("session-signing", keyvaulttest.NotBefore(now.Add(time.Hour)))
	v.AddVersion("session-signing", "not base64 at all!")
	v.AddVersion("session-signing", b64(16, base64.StdEncoding))
	middle := v.AddVersion("session-signing", b64(48, base64.RawURLEncoding), keyvaulttest.Expires(now.Add(time.Hour)))
	newest := v.AddVersion("session-signing", "  "+b64(32, base64.StdEncoding)+"\n")

	keys, err := newSource(t, v, &staticCredential{}).SigningKeys(context.Background(), "session-signing")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Version)
		if !k.Enabled || len(k.Secret) < MinKeyBytes || k.Created.IsZero() {
			t.Errorf("key %s = enabled %v, %d bytes, created %v", k.Version, k.Enabled, len(k.Secret), k.Created)
		}
	}
	want := []string{newest, middle, oldest}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("versions = %v, want %v", got, want)
	}
	if string(keys[2].Secret) != string(oldKey) {
		t.Error("oldest key's bytes are not the decoded secret")
	}
	if len(keys[1].Secret) != 48 {
		t.Errorf("raw URL base64 key decoded to %d bytes, want 48", len(keys[1].Secret))
	}
	if !keys[0].Created.After(keys[1].Created) || !keys[1].Created.After(keys[2].Created) {
		t.Error("keys are not newest first by Created")
	}
}

func TestSigningKeysFailWhenNoVersionDecodes(t *testing.T) {
	v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
	short := b64(16, base64.StdEncoding)
	ver := v.AddVersion("session-signing", short)
	_, err := newSource(t, v, &staticCredential{}).SigningKeys(context.Background(), "session-signing")
	if err == nil {
		t.Fatal("SigningKeys accepted a 16-byte key")
	}
	if priceline.ErrorKind(err) != priceline.KindInternal || priceline.ErrorCode(err) != "keyvault_error" {
		t.Errorf("error = %v, want KindInternal/keyvault_error", err)
	}
	if !strings.Contains(err.Error(), ver) || !strings.Contains(err.Error(), `"session-signing"`) || !strings.Contains(err.Error(), v.URL) {
		t.Errorf("error %q should name the version, secret and vault", err)
	}
	if strings.Contains(err.Error(), short) {
		t.Error("error reveals the secret value")
	}
}

func TestSigningKeysFailWhenNoVersionEnabled(t *testing.T) {
	v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
	v.AddSigningKey("session-signing", keyvaulttest.Disabled())
	_, err := newSource(t, v, &staticCredential{}).SigningKeys(context.Background(), "session-signing")
	if priceline.ErrorKind(err) != priceline.KindInternal {
		t.Errorf("error = %v, want KindInternal", err)
	}
}

func TestSigningKeysMissingSecretIsInternal(t *testing.T) {
	v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
	_, err := newSource(t, v, &staticCredential{}).SigningKeys(context.Background(), "no-such-secret")
	if priceline.ErrorKind(err) != priceline.KindInternal || !strings.Contains(err.Error(), "load signing keys \"no-such-secret\" from "+v.URL) {
		t.Errorf("error = %v, want KindInternal naming the secret and vault", err)
	}
}

func TestVaultDownIsUnavailable(t *testing.T) {
	for name, mode := range map[string]keyvaulttest.DownMode{"503": keyvaulttest.Unavailable, "connection closed": keyvaulttest.CloseConnections} {
		t.Run(name, func(t *testing.T) {
			v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
			v.AddSigningKey("session-signing")
			s := newSource(t, v, &staticCredential{})
			v.SetDown(mode)
			for op, call := range map[string]func() error{
				"SigningKeys": func() error { _, err := s.SigningKeys(context.Background(), "session-signing"); return err },
				"Secret":      func() error { _, err := s.Secret(context.Background(), "session-signing"); return err },
			} {
				err := call()
				var pe *priceline.Error
				if !errors.As(err, &pe) || pe.Kind != priceline.KindUnavailable || pe.Code != "keyvault_unavailable" || pe.RetryAfter <= 0 {
					t.Errorf("%s error = %v, want KindUnavailable/keyvault_unavailable with RetryAfter", op, err)
				}
			}
		})
	}
}

func TestSecretReturnsCurrentVersion(t *testing.T) {
	v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{})
	v.AddVersion("b2c-client-secret", "old value")
	cur := v.AddVersion("b2c-client-secret", "current value")
	s := newSource(t, v, &staticCredential{})
	got, err := s.Secret(context.Background(), "b2c-client-secret")
	if err != nil || got != "current value" {
		t.Fatalf("Secret() = %q, %v; want the current value", got, err)
	}
	v.Disable("b2c-client-secret", cur)
	if _, err := s.Secret(context.Background(), "b2c-client-secret"); priceline.ErrorKind(err) != priceline.KindInternal {
		t.Errorf("Secret() of a disabled current version: err = %v, want KindInternal", err)
	}
	if _, err := s.Secret(context.Background(), "missing"); priceline.ErrorKind(err) != priceline.KindInternal {
		t.Errorf("Secret() of a missing secret: err = %v, want KindInternal", err)
	}
}

func TestNewRejectsBadVaultURL(t *testing.T) {
	for _, u := range []string{
		"", "priceline.vault.azure.net", "http://priceline.vault.azure.net",
		"https://", "https://priceline.vault.azure.net/secrets/x", "https://user@priceline.vault.azure.net",
		"https://priceline.vault.azure.net?x=1", "://bad",
	} {
		if _, err := New(u, &staticCredential{}, Options{}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
	if _, err := New("https://priceline.vault.azure.net/", nil, Options{}); err == nil {
		t.Error("New with a nil credential succeeded")
	}
	if _, err := New("https://priceline.vault.azure.net/", &staticCredential{}, Options{}); err != nil {
		t.Errorf("New with a good URL: %v", err)
	}
}

func TestChallengeResourceMustMatchVaultHost(t *testing.T) {
	// A host that answers the challenge with another resource is trying to
	// collect a token for that resource; the client must not ask for one.
	v := keyvaulttest.NewVault(t, keyvaulttest.VaultOptions{ChallengeResource: "https://vault.attacker.example"})
	v.AddSigningKey("session-signing")
	cred := &staticCredential{}
	_, err := newSource(t, v, cred).SigningKeys(context.Background(), "session-signing")
	if err == nil {
		t.Fatal("SigningKeys succeeded against a mismatched challenge resource")
	}
	if priceline.ErrorKind(err) != priceline.KindInternal {
		t.Errorf("error kind = %q, want internal (a misconfiguration, not an outage)", priceline.ErrorKind(err))
	}
	if calls := cred.calls(); len(calls) != 0 {
		t.Errorf("credential was asked for %v; no token should be requested", calls)
	}
	for _, r := range v.Requests() {
		if r.Authorized {
			t.Errorf("request %s %s carried a token", r.Method, r.Path)
		}
	}

	// The escape hatch exists and is wired, but is off unless asked for.
	s, err := New(v.URL, cred, Options{ClientOptions: v.ClientOptions(), DisableChallengeResourceVerification: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SigningKeys(context.Background(), "session-signing"); err != nil {
		t.Errorf("with verification disabled: %v", err)
	}
	if calls := cred.calls(); len(calls) != 1 || calls[0] != "https://vault.attacker.example/.default" {
		t.Errorf("credential scopes = %v", calls)
	}
}

func TestDecodeKey(t *testing.T) {
	raw := []byte(strings.Repeat("\xfb\xff", 20)) // exercises + / and - _
	for name, tc := range map[string]struct {
		in   string
		want int
	}{
		"std padded":     {base64.StdEncoding.EncodeToString(raw), 40},
		"std raw":        {base64.RawStdEncoding.EncodeToString(raw[:32]), 32},
		"url padded":     {base64.URLEncoding.EncodeToString(raw[:34]), 34},
		"url raw":        {base64.RawURLEncoding.EncodeToString(raw), 40},
		"31 bytes":       {base64.StdEncoding.EncodeToString(raw[:31]), -1},
		"inner space":    {strings.Repeat("ab", 20) + " " + strings.Repeat("ab", 20), -1},
		"empty":          {"", -1},
		"mixed alphabet": {"+-" + base64.RawStdEncoding.EncodeToString(raw)[2:], -1},
	} {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			got, err := decodeKey(&in)
			if tc.want < 0 {
				if err == nil {
					t.Errorf("decodeKey(%q) = %d bytes, want an error", in, len(got))
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Errorf("decodeKey(%q) = %d bytes, %v; want %d", in, len(got), err, tc.want)
			}
		})
	}
	if _, err := decodeKey(nil); err == nil {
		t.Error("decodeKey(nil) succeeded")
	}
}
