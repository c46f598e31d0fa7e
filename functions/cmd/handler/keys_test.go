package main

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// Each key the handler loads takes its own settings from the config: a
// development key or a vault secret of its own, named by a setting that
// loadConfig reads, and a health check of its own.
func TestKeySpecsTakeEachKeyItsOwnSettings(t *testing.T) {
	cfg := &config{SigningSecretName: "sign", DevSigningKey: []byte("s"), MFASecretName: "mfa", DevMFAKey: []byte("m")}
	signing, mfa := signingKeySpec(cfg, nil), mfaKeySpec(cfg, nil)
	for _, c := range []struct {
		spec        keySpec
		secret, dev string
	}{{signing, "sign", "s"}, {mfa, "mfa", "m"}} {
		if c.spec.secret != c.secret || !bytes.Equal(c.spec.dev, []byte(c.dev)) {
			t.Errorf("%s: secret %q dev %q, want %q and %q", c.spec.check, c.spec.secret, c.spec.dev, c.secret, c.dev)
		}
		if !slices.Contains(settingNames, c.spec.devSetting) {
			t.Errorf("%s: %s is not a setting loadConfig reads", c.spec.check, c.spec.devSetting)
		}
	}
	if signing.check == mfa.check {
		t.Errorf("both keys report as health check %q", mfa.check)
	}
}

// A derived key is nil until a signing key loads, differs per purpose, and
// follows a rotation on the next call of its source.
func TestDerivedKeyPerPurposeFollowsRotation(t *testing.T) {
	keys := token.NewKeyring()
	cursor, event := derivedKey(keys, cursorKeyLabel), derivedKey(keys, eventKeyLabel)
	if cursor() != nil || event() != nil {
		t.Fatal("a key derived before any signing key loaded")
	}
	set := func(version, secret string) {
		t.Helper()
		if err := keys.Set([]priceline.SigningKey{{Version: version, Secret: bytes.Repeat([]byte(secret), 32), Enabled: true, Created: time.Now().Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
	}
	set("k1", "a")
	first := cursor()
	// Pinned: a changed label would invalidate every cursor in flight and
	// change every account key in the security log at the next deploy.
	const wantCursor = "950b7c91e3d907595821d81ec79226f62584bb9daab2c99d7ceb5484b02a886b"
	const wantEvent = "332cec4ad9e7418af29a1192d85a0888c2ce0368a0b526843db47eb14b0e15b0"
	if got := hex.EncodeToString(first); got != wantCursor {
		t.Errorf("cursor key %s, want %s", got, wantCursor)
	}
	if got := hex.EncodeToString(event()); got != wantEvent {
		t.Errorf("event key %s, want %s", got, wantEvent)
	}
	set("k2", "b")
	if bytes.Equal(cursor(), first) {
		t.Error("the cursor key did not change with the signing key")
	}
}
