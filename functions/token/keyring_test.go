package token

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

func TestKeyringEmptyUntilSet(t *testing.T) {
	k := NewKeyring()
	if k.Loaded() {
		t.Error("new keyring reports Loaded")
	}
	if _, ok := k.Signing(); ok {
		t.Error("new keyring has a signing key")
	}
	if _, ok := k.Lookup("v1"); ok {
		t.Error("new keyring finds v1")
	}
}

func TestKeyringNewestEnabledSigns(t *testing.T) {
	k := NewKeyring()
	err := k.Set([]priceline.SigningKey{
		{Version: "v3", Secret: secret(3), Enabled: false},
		{Version: "v2", Secret: secret(2), Enabled: true},
		{Version: "v1", Secret: secret(1), Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := k.Signing()
	if !ok || s.Version != "v2" || !bytes.Equal(s.Secret, secret(2)) {
		t.Errorf("Signing() = %q, %v; want v2", s.Version, ok)
	}
	if _, ok := k.Lookup("v3"); ok {
		t.Error("disabled v3 is found by Lookup")
	}
	if got, ok := k.Lookup("v1"); !ok || !bytes.Equal(got, secret(1)) {
		t.Error("enabled v1 not found by Lookup")
	}
}

func TestKeyringCopiesSecrets(t *testing.T) {
	k := NewKeyring()
	keys := []priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true}}
	if err := k.Set(keys); err != nil {
		t.Fatal(err)
	}
	keys[0].Secret[0] ^= 0xff
	got, _ := k.Lookup("v1")
	got[1] ^= 0xff
	s, _ := k.Signing()
	s.Secret[2] ^= 0xff
	if again, _ := k.Lookup("v1"); !bytes.Equal(again, secret(1)) {
		t.Error("changing a caller's slice changed the keyring")
	}
}

func TestASVS_V11_2_3_KeyringRejectsSigningKeysUnder256Bits(t *testing.T) {
	// HS256 needs a secret at least as long as its 256-bit output; a shorter
	// key is refused and the keys already in use stay.
	k := NewKeyring()
	good := []priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true}}
	if err := k.Set(good); err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string][]priceline.SigningKey{
		"31-byte secret": {{Version: "v2", Secret: secret(2)[:31], Enabled: true}},
		"short disabled secret alongside a good one": {
			{Version: "v2", Secret: secret(2), Enabled: true},
			{Version: "v0", Secret: []byte("short"), Enabled: false},
		},
		"no enabled key":    {{Version: "v2", Secret: secret(2), Enabled: false}},
		"empty set":         {},
		"empty version":     {{Version: "", Secret: secret(2), Enabled: true}},
		"duplicate version": {{Version: "v2", Secret: secret(2), Enabled: true}, {Version: "v2", Secret: secret(3), Enabled: true}},
	} {
		t.Run(name, func(t *testing.T) {
			err := k.Set(keys)
			if err == nil {
				t.Fatal("Set accepted a bad key set")
			}
			if strings.Contains(err.Error(), string(secret(2))) {
				t.Error("Set error reveals the secret")
			}
			s, ok := k.Signing()
			if !ok || s.Version != "v1" {
				t.Errorf("after rejected Set, Signing() = %q, %v; want the old v1", s.Version, ok)
			}
			if _, ok := k.Lookup("v2"); ok {
				t.Error("rejected v2 is found by Lookup")
			}
		})
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	c := newCodec(t)
	tok, err := c.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				if i%2 == 0 {
					_ = c.Keys.Set([]priceline.SigningKey{
						{Version: "v2", Secret: secret(2), Enabled: j%2 == 0},
						{Version: "v1", Secret: secret(1), Enabled: true},
					})
					continue
				}
				if _, err := c.Verify(tok); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Sign(validClaims()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// With an activation delay a new version verifies at once but signs only
// once it is old enough, so instances that have not refreshed yet never see
// a cookie signed with a version they do not know; disabling the old version
// switches signing at once.
func TestASVS_V11_2_2_NewVersionSignsOnlyAfterEveryInstanceKnowsIt(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	k := NewKeyring()
	k.SetActivationDelay(7*time.Minute, clock)
	old := priceline.SigningKey{Version: "v1", Secret: bytes.Repeat([]byte{1}, 32), Enabled: true, Created: now.Add(-24 * time.Hour)}
	fresh := priceline.SigningKey{Version: "v2", Secret: bytes.Repeat([]byte{2}, 32), Enabled: true, Created: now.Add(-time.Minute)}
	if err := k.Set([]priceline.SigningKey{fresh, old}); err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signing(); s.Version != "v1" {
		t.Fatalf("a 1-minute-old version signs: %s", s.Version)
	}
	if _, ok := k.Lookup("v2"); !ok {
		t.Fatal("the new version does not verify yet")
	}
	now = now.Add(7 * time.Minute)
	if err := k.Set([]priceline.SigningKey{fresh, old}); err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signing(); s.Version != "v2" {
		t.Fatalf("after the delay the new version should sign, got %s", s.Version)
	}
	// A leak: the old version is disabled while the new one is young.
	young := fresh
	young.Version, young.Created = "v3", now
	disabled := old
	disabled.Enabled = false
	if err := k.Set([]priceline.SigningKey{young, disabled}); err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signing(); s.Version != "v3" {
		t.Fatalf("with no old enough version the newest must sign at once, got %s", s.Version)
	}
}
