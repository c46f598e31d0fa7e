package token

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

func deviceCodec(t *testing.T, now time.Time, keys ...priceline.SigningKey) *Codec {
	t.Helper()
	ring := NewKeyring()
	if err := ring.Set(keys); err != nil {
		t.Fatal(err)
	}
	return &Codec{Keys: ring, Issuer: "https://test.example", Audience: "aud", Now: func() time.Time { return now }}
}

// A device cookie verifies for its own account only, until it expires, and
// only while its key version is enabled; any tampering fails.
func TestDeviceCookieBindsAccountKeyAndExpiry(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	k1 := priceline.SigningKey{Version: "k1", Secret: bytes.Repeat([]byte{1}, 32), Enabled: true, Created: now}
	k2 := priceline.SigningKey{Version: "k2", Secret: bytes.Repeat([]byte{2}, 32), Enabled: true, Created: now}
	c := deviceCodec(t, now, k1)
	cookie, nonce, err := c.SignDevice("acct:ada@example.org", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.VerifyDevice(cookie, "acct:ada@example.org"); !ok || got != nonce {
		t.Fatalf("VerifyDevice(own account) = %q, %v; want %q", got, ok, nonce)
	}
	if strings.Contains(cookie, "ada") {
		t.Errorf("the cookie names the account: %s", cookie)
	}
	other, _, err := c.SignDevice("acct:ada@example.org", now.Add(time.Hour))
	if err != nil || other == cookie {
		t.Fatalf("a second cookie = %q, %v; want a fresh nonce", other, err)
	}
	parts := strings.Split(cookie, ".")
	for name, bad := range map[string]string{
		"other account": "",
		"empty":         "-",
		"garbage":       "-",
		"nonce changed": strings.Join([]string{parts[0], parts[1], strings.Repeat("0", 32), parts[3], parts[4]}, "."),
		"expiry moved":  strings.Join([]string{parts[0], parts[1], parts[2], "99999999999", parts[4]}, "."),
		"mac flipped":   strings.Join([]string{parts[0], parts[1], parts[2], parts[3], "A" + parts[4][1:]}, "."),
		"unknown kid":   strings.Join([]string{parts[0], "azk", parts[2], parts[3], parts[4]}, "."),
		"overlong":      cookie + strings.Repeat("a", 600),
	} {
		in, account := bad, "acct:ada@example.org"
		switch name {
		case "other account":
			in, account = cookie, "acct:eve@example.org"
		case "empty":
			in = ""
		case "garbage":
			in = "d1.a.b.c.d"
		}
		if _, ok := c.VerifyDevice(in, account); ok {
			t.Errorf("%s: VerifyDevice accepted it", name)
		}
	}
	if _, ok := deviceCodec(t, now.Add(time.Hour), k1).VerifyDevice(cookie, "acct:ada@example.org"); ok {
		t.Error("an expired device cookie verified")
	}
	// Rotation: still good while k1 verifies, gone once k1 is disabled.
	if _, ok := deviceCodec(t, now, k2, k1).VerifyDevice(cookie, "acct:ada@example.org"); !ok {
		t.Error("a device cookie of the previous key version did not verify")
	}
	k1.Enabled = false
	if _, ok := deviceCodec(t, now, k2, k1).VerifyDevice(cookie, "acct:ada@example.org"); ok {
		t.Error("a device cookie of a disabled key version verified")
	}
	// A session token is not a device cookie.
	if _, ok := c.VerifyDevice("eyJhbGciOiJIUzI1NiJ9.e30.sig", "acct:ada@example.org"); ok {
		t.Error("a JWT verified as a device cookie")
	}
}
