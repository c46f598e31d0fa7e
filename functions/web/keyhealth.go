package web

import (
	"context"
	"fmt"

	"hospitalpriceline/functions/token"
)

// KeyHealth is the health check named name for the keyring that refresher
// fills from the vault (refresher.Keys): "starting" until the first
// refresh has been tried, unavailable while no key is loaded, and also
// while the last refresh failed, because the instance then serves with
// cached keys that a rotation would not reach (docs/reliability.md). what
// names the key in the reasons, such as "signing key".
func KeyHealth(name, what string, refresher *token.Refresher) HealthCheck {
	return keyHealth(name, what, refresher.Keys, refresher)
}

// DevKeyHealth is the health check named name for a keyring holding a
// development key set once: unavailable only while no key is loaded.
func DevKeyHealth(name, what string, keys *token.Keyring) HealthCheck {
	return keyHealth(name, what, keys, nil)
}

// keyHealth is KeyHealth, or DevKeyHealth when refresher is nil; keys is
// refresher.Keys whenever there is a refresher.
func keyHealth(name, what string, keys *token.Keyring, refresher *token.Refresher) HealthCheck {
	return HealthCheck{Name: name, Check: func(context.Context) error {
		if !keys.Loaded() {
			if refresher != nil && !refresher.Attempted() {
				return ErrStarting
			}
			return fmt.Errorf("no %s loaded", what)
		}
		if refresher != nil {
			if st := refresher.Status(); st.LastError != "" {
				return fmt.Errorf("last %s refresh failed (serving with cached keys): %s", what, st.LastError)
			}
		}
		return nil
	}}
}
