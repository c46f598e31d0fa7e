package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/go-webauthn/webauthn/webauthn"

	"hospitalpriceline/functions/priceline"
)

// MFAConfig holds what second factors and passkeys need. Its stores may be
// the same object (tablestorage.MFAStore is both TOTP and RecoveryCodes).
type MFAConfig struct {
	TOTP          priceline.TOTPStore
	RecoveryCodes priceline.RecoveryCodeStore
	Passkeys      priceline.PasskeyStore
	Challenges    priceline.ChallengeStore
	// Keys seal authenticator-app secrets and key the recovery-code hashes:
	// a Key Vault secret of its own, loaded like the signing keys
	// (*token.Keyring is one).
	Keys MFAKeys
	// Issuer names the app in the user's authenticator app.
	Issuer string
	// WebAuthn is the relying party; nil turns passkeys off.
	WebAuthn *webauthn.WebAuthn
	// Notifier is told of security changes to send the user a notice; nil
	// logs the kind of change only.
	Notifier Notifier
}

// MFAKeys are the versioned keys that seal TOTP secrets.
type MFAKeys interface {
	// Signing returns the newest usable key.
	Signing() (priceline.SigningKey, bool)
	// Lookup returns the key of a version.
	Lookup(version string) ([]byte, bool)
}

// Notifier sends a user a notice of a security change to their account.
type Notifier interface {
	// Notify queues a notice of kind (for example "mfa_disabled") to u.
	Notify(ctx context.Context, u *priceline.User, kind string) error
}

// Notice kinds sent through Notifier.
const (
	NoticeMFAEnabled         = "mfa_enabled"
	NoticeMFADisabled        = "mfa_disabled"
	NoticeRecoveryCodesRenew = "recovery_codes_regenerated"
	NoticePasskeyAdded       = "passkey_added"
	NoticePasskeyRemoved     = "passkey_removed"
	NoticeRecoveryCodeUsed   = "recovery_code_used"
)

const (
	recoveryCodeCount         = 10
	recoveryCodeGroups        = 5 // groups of five base32 characters: 125 bits
	mfaUnavailableDescription = "Two-step sign-in is not available right now. Please try again shortly."
)

// knownMethod reports whether a session may record method.
func knownMethod(m string) bool {
	switch m {
	case priceline.MethodPassword, priceline.MethodB2C, priceline.MethodPasswordTOTP,
		priceline.MethodPasswordRecovery, priceline.MethodPasswordPasskey, priceline.MethodPasskey:
		return true
	}
	return false
}

// mfa returns the MFA configuration or the error for "not turned on".
func (s *Service) mfa() (*MFAConfig, error) {
	if s.MFA == nil || s.MFA.TOTP == nil || s.MFA.RecoveryCodes == nil || s.MFA.Challenges == nil || s.MFA.Keys == nil {
		return nil, priceline.Errorf(priceline.KindNotFound, "mfa_not_enabled", "Two-step sign-in is not turned on for this site.")
	}
	return s.MFA, nil
}

// notify sends a notice, or logs its kind when no Notifier is wired; a
// failure is logged, never returned: the change itself has happened.
func (s *Service) notify(ctx context.Context, u *priceline.User, kind string) {
	if s.MFA == nil || s.MFA.Notifier == nil {
		s.log().Info("security notice (no mail path wired)", "user_id", u.ID, "kind", kind)
		return
	}
	if err := s.MFA.Notifier.Notify(ctx, u, kind); err != nil {
		s.log().Warn("security notice not queued", "user_id", u.ID, "kind", kind, "error", err)
	}
}

// factorChange is one change to an account's second factors as the log,
// the security log and the notice to the owner name it.
type factorChange struct{ logged, event, notice string }

// The changes a signed-in owner makes to their second factors.
var (
	totpAdded      = factorChange{"authenticator app added", EventTOTPEnabled, NoticeMFAEnabled}
	totpRemoved    = factorChange{"authenticator app removed", EventTOTPDisabled, NoticeMFADisabled}
	passkeyAdded   = factorChange{"passkey added", EventPasskeyAdded, NoticePasskeyAdded}
	passkeyRemoved = factorChange{"passkey removed", EventPasskeyRemoved, NoticePasskeyRemoved}
)

// announce logs ch for u, records it as a success and tells the owner.
func (s *Service) announce(ctx context.Context, u *priceline.User, c Client, ch factorChange) {
	s.log().Info(ch.logged, "user_id", u.ID)
	s.event(ctx, ch.event, OutcomeSuccess, "", c, u.ID)
	s.notify(ctx, u, ch.notice)
}

// removeFactor takes one second factor from u after re-authentication:
// del deletes it from the user as stored now, the recovery codes go too
// when no factor is left (they are a fallback for a second factor the
// account no longer has), and the change is announced.
func (s *Service) removeFactor(ctx context.Context, m *MFAConfig, u *priceline.User, currentPassword string, c Client, ch factorChange, del func(userID string) error) error {
	u, err := s.reauthenticateLocal(ctx, u, currentPassword, c)
	if err != nil {
		return err
	}
	if err := del(u.ID); err != nil {
		return err
	}
	if err := s.dropUnneededRecoveryCodes(ctx, m, u); err != nil {
		return err
	}
	s.announce(ctx, u, c, ch)
	return nil
}

// sealVersionSep ends the key version at the start of a sealed secret.
const sealVersionSep = '.'

// seal encrypts plain with AES-256-GCM under the newest MFA key, binding it
// to userID (additional data), as version "." nonce ciphertext.
func (m *MFAConfig) seal(userID string, plain []byte) ([]byte, error) {
	k, ok := m.Keys.Signing()
	if !ok {
		return nil, priceline.Errorf(priceline.KindUnavailable, "mfa_key_unavailable", mfaUnavailableDescription)
	}
	if strings.ContainsRune(k.Version, sealVersionSep) {
		return nil, fmt.Errorf("seal: key version %q contains %q", k.Version, sealVersionSep)
	}
	aead, err := gcm(k.Secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := append([]byte(k.Version+string(sealVersionSep)), nonce...)
	return aead.Seal(out, nonce, plain, []byte(userID)), nil
}

// open decrypts what seal made for userID.
func (m *MFAConfig) open(userID string, sealed []byte) ([]byte, error) {
	i := strings.IndexByte(string(sealed), sealVersionSep)
	if i < 0 {
		return nil, errors.New("open sealed secret: no key version")
	}
	key, ok := m.Keys.Lookup(string(sealed[:i]))
	if !ok {
		return nil, priceline.Errorf(priceline.KindUnavailable, "mfa_key_unavailable", mfaUnavailableDescription)
	}
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	rest := sealed[i+1:]
	if len(rest) < aead.NonceSize() {
		return nil, errors.New("open sealed secret: too short")
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(userID))
	if err != nil {
		return nil, fmt.Errorf("open sealed secret: %w", err)
	}
	return plain, nil
}

// gcm derives an AES-256 key from a Key Vault secret (which may be longer
// than 32 bytes) and returns its GCM.
func gcm(secret []byte) (cipher.AEAD, error) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("priceline totp seal v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return cipher.NewGCM(block)
}

// recoveryHash is the stored form of a recovery code: SHA-256 over the
// user ID (a salt: equal codes of two users hash apart) and the normalised
// code. The codes carry 125 random bits, so ASVS V6.5.2 and NIST SP 800-63B
// 5.1.2.2, which ask a slow salted hash only of secrets under 112 bits,
// allow a plain hash, and a login can find the code with one point delete.
func recoveryHash(userID, code string) string {
	h := sha256.New()
	h.Write([]byte("priceline recovery code v1\x00"))
	h.Write([]byte(userID))
	h.Write([]byte{0})
	h.Write([]byte(normaliseRecoveryCode(code)))
	return hex.EncodeToString(h.Sum(nil))
}

// recoveryAlphabet is Crockford-like base32 without I, L, O, U.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newRecoveryCode returns a code like "7k3mq-9xa2b-cdef0-1ghjk-mnpqr"
// from crypto/rand (ASVS V6.5.3).
func newRecoveryCode() string {
	b := make([]byte, recoveryCodeGroups*5)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(recoveryAlphabet[c&31])
	}
	return sb.String()
}

// normaliseRecoveryCode forgives case, spaces and dashes, and the letters
// people read as digits.
func normaliseRecoveryCode(code string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r == 'o':
			r = '0'
		case r == 'i' || r == 'l':
			r = '1'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// newRecoveryCodes stores a fresh set of codes for u and returns them.
func (s *Service) newRecoveryCodes(ctx context.Context, m *MFAConfig, u *priceline.User) ([]string, error) {
	codes := make([]string, recoveryCodeCount)
	hashes := make([]string, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryHash(u.ID, codes[i])
	}
	if err := m.RecoveryCodes.ReplaceRecoveryCodes(ctx, u.ID, hashes, s.now()); err != nil {
		return nil, fmt.Errorf("store recovery codes: %w", err)
	}
	return codes, nil
}

// reauthenticateLocal checks the signed-in user's current password before
// a change to their sign-in factors (ASVS V6.3.x re-authentication), which
// only local accounts have. It returns the user as stored now.
func (s *Service) reauthenticateLocal(ctx context.Context, u *priceline.User, currentPassword string, c Client) (*priceline.User, error) {
	if u == nil || u.ID == "" {
		return nil, errors.New("re-authenticate: no user")
	}
	fresh, err := s.storedUser(ctx, u, forReauth.op)
	if err != nil {
		return nil, err
	}
	if fresh.Provider != priceline.ProviderLocal || fresh.PasswordHash == "" {
		return nil, priceline.Errorf(priceline.KindInvalid, "mfa_local_only",
			"Your account signs in with an external provider; set up two-step sign-in there.")
	}
	if err := s.checkCurrentPassword(ctx, fresh, currentPassword, c, forReauth); err != nil {
		return nil, err
	}
	return fresh, nil
}
