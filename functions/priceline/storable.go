package priceline

import (
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxTextUnits is the most UTF-16 code units one stored text may have:
// Table Storage's limit for a string property (64 KiB), which every store
// enforces so that a fake keeps no more than the real store can.
const MaxTextUnits = 32 * 1024

// CheckText refuses what a store could not keep exactly: invalid UTF-8
// (JSON would silently replace it) and text over MaxTextUnits. name is the
// field as the message names it.
func CheckText(name, v string) error {
	if !utf8.ValidString(v) {
		return Errorf(KindInvalid, "invalid_text", "The %s is not valid text.", name)
	}
	if len(v) > MaxTextUnits && len(utf16.Encode([]rune(v))) > MaxTextUnits {
		return Errorf(KindInvalid, "too_long", "The %s is too long.", name)
	}
	return nil
}

// checkTexts runs CheckText over name/value pairs, first error wins.
func checkTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := CheckText(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// ValidUser is what a store checks before it keeps u: a well-formed ID, a
// known provider with the identifier that provider needs, and storable text.
func ValidUser(u *User) error {
	invalid := func(code, msg string) error { return Errorf(KindInvalid, code, "%s", msg) }
	if u == nil {
		return invalid("invalid_user", "No user was given.")
	}
	if !IsLowerHex(u.ID, 32) {
		return invalid("invalid_user_id", "The user ID must be 32 lowercase hex characters.")
	}
	switch u.Provider {
	case ProviderLocal:
		if u.Email == "" {
			return invalid("invalid_email", "A local account needs an email address.")
		}
	case ProviderB2C:
		if u.Subject == "" {
			return invalid("invalid_subject", "A cloud account needs a subject.")
		}
	default:
		return invalid("invalid_provider", "The identity provider is not known.")
	}
	return checkTexts("email", u.Email, "subject", u.Subject, "name", u.Name, "password hash", u.PasswordHash)
}

// ValidAuthFlow is what a store checks before it keeps f: the ID shape
// NewToken(32) makes, the values the callback needs, an expiry (a flow
// without one would be valid forever and never swept) and storable text.
func ValidAuthFlow(f *AuthFlow) error {
	if f == nil || !IsLowerHex(f.ID, 64) {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no valid ID.")
	}
	if f.State == "" || f.Nonce == "" || f.PKCEVerifier == "" {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no state, nonce or PKCE verifier.")
	}
	if f.ExpiresAt.IsZero() || !f.ExpiresAt.After(f.CreatedAt) {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no valid expiry.")
	}
	if f.MaxAge < 0 || f.MaxAge%time.Second != 0 || f.MaxAge > 24*time.Hour {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no valid maximum age.")
	}
	return checkTexts("state", f.State, "nonce", f.Nonce, "PKCE verifier", f.PKCEVerifier,
		"return path", f.ReturnTo, "policy", f.Policy, "action", f.Action, "user ID", f.UserID)
}

// ValidSession is what a store checks before it creates s: well-formed
// keys, both deadlines (a record without them would never match the expiry
// sweep) and storable text.
func ValidSession(s *Session) error {
	if s == nil || !IsLowerHex(s.UserID, 32) || !IsLowerHex(s.Key, 64) {
		return Errorf(KindInvalid, "invalid_session", "The session has no valid user ID or key.")
	}
	if s.ExpiresAt.IsZero() || s.IdleExpiresAt.IsZero() {
		return Errorf(KindInvalid, "invalid_session", "The session has no expiry.")
	}
	return checkTexts("method", s.Method, "CSRF token", s.CSRFToken)
}

// ValidTokenCache is what a store checks before it keeps blob for a
// session at now: a valid session's keys, a size within MaxTokenCacheSize
// and a future expiry (an entry without one would outlive every session and
// never be swept by age).
func ValidTokenCache(userID, sessionKey string, blob []byte, expiresAt, now time.Time) error {
	if !IsLowerHex(userID, 32) || !IsLowerHex(sessionKey, 64) {
		return Errorf(KindInvalid, "invalid_token_cache_key", "The token cache must belong to a valid session.")
	}
	if len(blob) == 0 {
		return Errorf(KindInvalid, "invalid_token_cache", "The token cache is empty.")
	}
	if len(blob) > MaxTokenCacheSize {
		return Errorf(KindInvalid, "token_cache_too_large",
			"The token cache is %d bytes, over the %d-byte limit.", len(blob), MaxTokenCacheSize)
	}
	if !expiresAt.After(now) {
		return Errorf(KindInvalid, "invalid_token_cache", "The token cache has no future expiry.")
	}
	return nil
}

// ValidGeneration reports whether g is an import generation ID a store
// accepts: short, and only characters that need no encoding in a key.
func ValidGeneration(g string) bool {
	if g == "" || len(g) > 64 {
		return false
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
