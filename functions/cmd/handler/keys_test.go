package main

import (
	"bytes"
	"slices"
	"testing"
)

// Each key the handler loads takes its own settings from the config: a
// development key or a vault secret of its own, named by a setting that
// loadConfig reads, and a health check of its own.
func TestKeySpecsTakeEachKeyItsOwnSettings(t *testing.T) {
	cfg := &config{SigningSecretName: "sign", DevSigningKey: []byte("s"), MFASecretName: "mfa", DevMFAKey: []byte("m")}
	k := keySpecs(cfg, nil)
	for _, c := range []struct {
		spec        keySpec
		secret, dev string
	}{{k.signing, "sign", "s"}, {k.mfa, "mfa", "m"}} {
		if c.spec.secret != c.secret || !bytes.Equal(c.spec.dev, []byte(c.dev)) {
			t.Errorf("%s: secret %q dev %q, want %q and %q", c.spec.check, c.spec.secret, c.spec.dev, c.secret, c.dev)
		}
		if !slices.Contains(settingNames, c.spec.devSetting) {
			t.Errorf("%s: %s is not a setting loadConfig reads", c.spec.check, c.spec.devSetting)
		}
	}
	if k.signing.check == k.mfa.check {
		t.Errorf("both keys report as health check %q", k.mfa.check)
	}
}
