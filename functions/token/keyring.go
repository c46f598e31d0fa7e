package token

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// MinSecretBytes is the shortest signing secret a Keyring accepts: HS256
// needs a key at least as long as its 256-bit output to give full strength.
const MinSecretBytes = 32

// Keyring holds the signing-key versions: the newest enabled version signs,
// every enabled version verifies. Safe for concurrent use.
type Keyring struct {
	mu         sync.RWMutex
	signing    priceline.SigningKey
	enabled    map[string][]byte // version → secret, enabled versions only
	activation time.Duration     // see SetActivationDelay
	now        func() time.Time
}

// NewKeyring returns an empty Keyring; it signs and verifies nothing until
// Set succeeds.
func NewKeyring() *Keyring { return &Keyring{} }

// SetActivationDelay makes a version sign only once it is at least d old
// (by its Created time). Several instances refresh their keyrings on their
// own timers; if one signed with a new version at once, another that has
// not refreshed yet would refuse its cookies. With d longer than the refresh
// interval, every instance already verifies a version before any signs with
// it. When no enabled version is old enough (disabling the old version after
// a leak, or a first deployment), the newest signs at once. now may be nil
// (time.Now). It applies from the next Set.
func (k *Keyring) SetActivationDelay(d time.Duration, now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.activation, k.now = d, now
}

// Set replaces the key set. keys are newest first and the first enabled one
// signs (subject to SetActivationDelay). It rejects the whole set, keeping the old one, if no key is enabled,
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
	if k.activation > 0 {
		now := time.Now
		if k.now != nil {
			now = k.now
		}
		cutoff := now().Add(-k.activation)
		for _, key := range keys { // newest first: the first old enough signs
			if key.Enabled && !key.Created.After(cutoff) {
				signing = key
				signing.Secret = enabled[key.Version]
				break
			}
		}
	}
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
