package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"hospitalpriceline/functions/priceline"
)

// passkeyCounterKey is the throttle counter of refused passkeys of a user:
// sign-ins with a discoverable passkey and passkeys as the second step
// share it.
func passkeyCounterKey(userID string) string { return "passkey:" + userID }

// BeginMFAPasskey starts a passkey as the second step of the pending
// sign-in pendingID: options that allow only that user's passkeys, with
// user verification. Like every step it takes the pending sign-in; the
// returned Ceremony's ID is the new pending sign-in (same expiry), which
// now carries the ceremony state, so the cookie stays the one binding.
// An account without passkeys gets the renewed pending sign-in (Ceremony
// without Options) beside the error, so a code still finishes it.
func (s *Service) BeginMFAPasskey(ctx context.Context, pendingID string) (*Ceremony, error) {
	m, err := s.passkeys()
	if err != nil {
		return nil, err
	}
	ch, u, err := s.takePending(ctx, m, pendingID)
	if err != nil {
		return nil, err
	}
	renew := func(cause error) (*Ceremony, error) {
		res, err := s.renewPending(ctx, m, ch, u, cause)
		if res == nil || res.Pending == nil {
			return nil, err
		}
		return &Ceremony{ID: res.Pending.ID, ExpiresAt: res.Pending.ExpiresAt}, err
	}
	keys, err := m.Passkeys.UserPasskeys(ctx, u.ID)
	if err != nil {
		return renew(fmt.Errorf("begin passkey step: %w", err))
	}
	if len(keys) == 0 {
		return renew(priceline.Errorf(priceline.KindNotFound, "no_passkeys", "Your account has no passkey. Enter a code instead."))
	}
	assertion, sd, err := m.WebAuthn.BeginLogin(&passkeyUser{u: u, keys: keys}, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return renew(fmt.Errorf("begin passkey step: %w", err))
	}
	data, err := json.Marshal(sd)
	if err != nil {
		return renew(fmt.Errorf("begin passkey step: %w", err))
	}
	next := &priceline.Challenge{
		ID: priceline.NewToken(32), Kind: priceline.ChallengeMFASignIn, UserID: u.ID, Data: data,
		CreatedAt: s.now(), ExpiresAt: ch.ExpiresAt,
	}
	if err := m.Challenges.PutChallenge(ctx, next); err != nil {
		return nil, fmt.Errorf("begin passkey step: %w", err)
	}
	return &Ceremony{ID: next.ID, Options: assertion, ExpiresAt: next.ExpiresAt}, nil
}

// checkMFAPasskey checks assertion against the ceremony state of pending
// sign-in ch: the challenge, origin, RP ID, signature and user
// verification, and that the credential is one of u's (a credential of
// another account is refused even with a valid signature). It returns the
// refusal reason, or "" when the passkey proves u.
func (s *Service) checkMFAPasskey(ctx context.Context, m *MFAConfig, u *priceline.User, ch *priceline.Challenge, assertion []byte) (string, error) {
	if m.WebAuthn == nil || m.Passkeys == nil {
		return "passkey_refused", nil
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(ch.Data, &sd); err != nil {
		return "", fmt.Errorf("passkey step: decode ceremony: %w", err)
	}
	if !bytes.Equal(sd.UserID, []byte(u.ID)) {
		return "passkey_refused", nil
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return "passkey_refused", nil
	}
	keys, err := m.Passkeys.UserPasskeys(ctx, u.ID)
	if err != nil {
		return "", fmt.Errorf("passkey step: %w", err)
	}
	cred, err := m.WebAuthn.ValidateLogin(&passkeyUser{u: u, keys: keys}, sd, parsed)
	if err != nil {
		return "passkey_refused", nil
	}
	var used *priceline.Passkey
	for _, k := range keys {
		if bytes.Equal(cred.ID, mustRaw(k.ID)) {
			used = k
		}
	}
	if used == nil {
		return "passkey_refused", nil
	}
	return s.recordPasskeyUse(ctx, m, u, used, cred, parsed)
}

// recordPasskeyUse finishes the checks of a valid assertion by used (u's
// passkey) and stores its new counter: a signature counter that did not
// advance (a cloned authenticator) is logged and refused, and so is an
// assertion without user verification or a passkey changed meanwhile. It
// returns the refusal reason, or "".
func (s *Service) recordPasskeyUse(ctx context.Context, m *MFAConfig, u *priceline.User, used *priceline.Passkey, cred *webauthn.Credential, parsed *protocol.ParsedCredentialAssertionData) (string, error) {
	if cred.Authenticator.CloneWarning {
		s.log().Warn("passkey signature counter did not advance: possible cloned authenticator; sign-in refused",
			"user_id", u.ID, "stored_count", used.SignCount)
		return "cloned_authenticator", nil
	}
	if !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return "user_not_verified", nil
	}
	used.SignCount = cred.Authenticator.SignCount
	used.BackupState = parsed.Response.AuthenticatorData.Flags.HasBackupState()
	used.LastUsedAt = s.now()
	if err := m.Passkeys.UpdatePasskeyUse(ctx, used); err != nil {
		if priceline.IsConflict(err) || priceline.IsNotFound(err) {
			// Used at the same moment elsewhere, or removed meanwhile.
			return "passkey_refused", nil
		}
		return "", fmt.Errorf("passkey sign-in: %w", err)
	}
	return "", nil
}

// passkeyNamed returns the passkey a credential ID (raw) names, or nil when
// it is nobody's.
func passkeyNamed(ctx context.Context, m *MFAConfig, raw []byte) (*priceline.Passkey, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	p, err := m.Passkeys.PasskeyByID(ctx, base64.RawURLEncoding.EncodeToString(raw))
	switch {
	case err == nil:
		return p, nil
	case priceline.IsNotFound(err):
		return nil, nil
	default:
		return nil, fmt.Errorf("passkey sign-in: %w", err)
	}
}

// errPasskeyRefusedReason is the refusal of a passkey for reason.
func errPasskeyRefusedReason(reason string) error { return errPasskeyRefused(errors.New(reason)) }
