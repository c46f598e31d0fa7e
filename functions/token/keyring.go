package token

import (
	"errors"
	"fmt"
	"sync"

	"hospitalpriceline/functions/priceline"
)

// MinSecretBytes is the shortest signing secret a Keyring accepts: HS256
// needs a key at least as long as its 256-bit output to give full strength.
const MinSecretBytes = 32

// Keyring holds the signing-key versions: the newest enabled version signs,
// every enabled version verifies. Safe for concurrent use.
type Keyring struct {
	mu      sync.RWMutex
	signing priceline.SigningKey
	enabled map[string][]byte // version → secret, enabled versions only
}

// NewKeyring returns an empty Keyring; it signs and verifies nothing until
// Set succeeds.
func NewKeyring() *Keyring { return &Keyring{} }

// Set replaces the key set. keys are newest first and the first enabled one
// signs. It rejects the whole set, keeping the old one, if no key is enabled,
// a secret is shorter than MinSecretBytes, or a version is empty or repeated:
// a half-applied set could leave cookies signed with a key nobody can verify.
func (k *Keyring) Set(keys []priceline.SigningKey) error {
	seen := make(map[string]bool, len(keys))
	enabled := make(map[string][]byte, len(keys))
	var signing priceline.SigningKey
	found := false
	for i, key := range keys {
		switch {
		case key.Version == "":
			return fmt.Errorf("set signing keys: key %d has no version", i)
		case seen[key.Version]:
			return fmt.Errorf("set signing keys: version %q appears twice", key.Version)
		case len(key.Secret) < MinSecretBytes:
			// The length is safe to report; the secret is not.
			return fmt.Errorf("set signing keys: version %q is %d bytes, want at least %d", key.Version, len(key.Secret), MinSecretBytes)
		}
		seen[key.Version] = true
		if !key.Enabled {
			continue
		}
		// Copy so that a caller reusing its slice cannot change our keys.
		secret := append([]byte(nil), key.Secret...)
		enabled[key.Version] = secret
		if !found {
			signing = key
			signing.Secret = secret
			found = true
		}
	}
	if !found {
		return errors.New("set signing keys: no enabled key")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.signing = signing
	k.enabled = enabled
	return nil
}

// Signing returns the key that signs new tokens, and false before the first
// successful Set. The secret is a copy, so callers cannot change the ring.
func (k *Keyring) Signing() (priceline.SigningKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.enabled == nil {
		return priceline.SigningKey{}, false
	}
	key := k.signing
	key.Secret = append([]byte(nil), key.Secret...)
	return key, true
}

// Lookup returns a copy of the secret of an enabled version; disabled and
// unknown versions are not found.
func (k *Keyring) Lookup(version string) ([]byte, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	secret, ok := k.enabled[version]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), secret...), true
}

// Loaded reports whether a key set has been installed.
func (k *Keyring) Loaded() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.enabled != nil
}

// versions returns how many enabled versions the keyring holds.
func (k *Keyring) versions() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.enabled)
}
