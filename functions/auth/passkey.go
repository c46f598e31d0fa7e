package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"hospitalpriceline/functions/priceline"
)

// supportedAttestation lists the attestation statement formats a new
// passkey may come with. We ask for none; "packed" self-attestation is what
// many platform authenticators send anyway. Any other format is refused
// with KindInvalid/"unsupported_attestation" rather than half-checked.
var supportedAttestation = map[string]bool{"none": true, "packed": true}

// NewRelyingParty returns the WebAuthn relying party for a site served at
// publicURL: its host is the RP ID and its origin the only origin allowed.
func NewRelyingParty(publicURL, displayName string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1") {
		return nil, fmt.Errorf("passkeys: public URL %q must be https (or http on localhost)", publicURL)
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: priceline.ChallengeLifetime, TimeoutUVD: priceline.ChallengeLifetime}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         displayName,
		RPOrigins:             []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return wa, nil
}

// passkeyUser is a user and their passkeys as the WebAuthn library sees them.
type passkeyUser struct {
	u    *priceline.User
	keys []*priceline.Passkey
}

// WebAuthnID is the user handle: the random user ID, which names no one.
func (p *passkeyUser) WebAuthnID() []byte { return []byte(p.u.ID) }

// WebAuthnName is the name the authenticator shows: the email.
func (p *passkeyUser) WebAuthnName() string { return p.u.Email }

// WebAuthnDisplayName is the user's display name.
func (p *passkeyUser) WebAuthnDisplayName() string { return p.u.Name }

// WebAuthnCredentials are the user's passkeys in the library's form.
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(p.keys))
	for _, k := range p.keys {
		raw, err := base64.RawURLEncoding.DecodeString(k.ID)
		if err != nil {
			continue
		}
		c := webauthn.Credential{
			ID: raw, PublicKey: k.PublicKey, AttestationFormat: k.AttestationType,
			Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true, BackupEligible: k.BackupEligible, BackupState: k.BackupState},
			Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
		}
		for _, t := range k.Transports {
			c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
		}
		out = append(out, c)
	}
	return out
}

// Ceremony is the first half of a WebAuthn ceremony: Options go to the
// browser's navigator.credentials call, ID into the pending cookie.
type Ceremony struct {
	ID        string
	Options   any // *protocol.CredentialCreation or *protocol.CredentialAssertion
	ExpiresAt time.Time
}

func (s *Service) passkeys() (*MFAConfig, error) {
	m, err := s.mfa()
	if err != nil {
		return nil, err
	}
	if m.WebAuthn == nil || m.Passkeys == nil {
		return nil, priceline.Errorf(priceline.KindNotFound, "passkeys_not_enabled", "Passkeys are not turned on for this site.")
	}
	return m, nil
}

func errPasskeyRefused(cause error) error {
	return priceline.Wrap(cause, priceline.KindUnauthorized, "passkey_refused", "That passkey could not be used. Please try again or sign in another way.")
}

func errPasskeyInvalid(cause error) error {
	return priceline.Wrap(cause, priceline.KindInvalid, "passkey_invalid", "That passkey could not be added. Please try again.")
}

// ListPasskeys returns u's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, u *priceline.User) ([]*priceline.Passkey, error) {
	m, err := s.passkeys()
	if err != nil {
		return nil, err
	}
	list, err := m.Passkeys.UserPasskeys(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return list, nil
}

func (s *Service) putCeremony(ctx context.Context, m *MFAConfig, kind, userID string, sd *webauthn.SessionData, options any) (*Ceremony, error) {
	data, err := json.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("passkey ceremony: %w", err)
	}
	now := s.now()
	ch := &priceline.Challenge{ID: priceline.NewToken(32), Kind: kind, UserID: userID, Data: data, CreatedAt: now, ExpiresAt: now.Add(priceline.ChallengeLifetime)}
	if err := m.Challenges.PutChallenge(ctx, ch); err != nil {
		return nil, fmt.Errorf("passkey ceremony: %w", err)
	}
	return &Ceremony{ID: ch.ID, Options: options, ExpiresAt: ch.ExpiresAt}, nil
}

// takeCeremony takes the ceremony id of kind (for userID, unless "").
func (s *Service) takeCeremony(ctx context.Context, m *MFAConfig, id, kind, userID string) (*webauthn.SessionData, error) {
	ch, err := m.Challenges.TakeChallenge(ctx, id)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, MFASignInExpired.Wrap(err)
		}
		return nil, fmt.Errorf("passkey ceremony: %w", err)
	}
	if ch.Kind != kind || ch.UserID != userID {
		return nil, MFASignInExpired.Wrap(errors.New("ceremony of another kind or user"))
	}
	if ch.Expired(s.now()) {
		return nil, MFASignInExpired.Wrap(errors.New("ceremony expired"))
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(ch.Data, &sd); err != nil {
		return nil, fmt.Errorf("passkey ceremony: decode: %w", err)
	}
	return &sd, nil
}

// BeginPasskeyRegistration starts adding a passkey to u (a local account)
// after re-authentication: a discoverable credential with user
// verification, no attestation, and none of u's existing credentials again.
// The password is asked for (ASVS V7.5.1) because a passkey signs in with
// no password: without it, a stolen session could add the attacker's
// passkey and keep the account after the owner changes the password. A
// wrong password counts like a failed login and the throttle applies.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u *priceline.User, currentPassword string, c Client) (*Ceremony, error) {
	m, err := s.passkeys()
	if err != nil {
		return nil, err
	}
	if u.Provider != priceline.ProviderLocal {
		return nil, priceline.Errorf(priceline.KindInvalid, "mfa_local_only", "Your account signs in with an external provider; add passkeys there.")
	}
	if u, err = s.reauthenticateLocal(ctx, u, currentPassword, c); err != nil {
		return nil, err
	}
	keys, err := m.Passkeys.UserPasskeys(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("begin passkey: %w", err)
	}
	pu := &passkeyUser{u: u, keys: keys}
	var exclude []protocol.CredentialDescriptor
	for _, c := range pu.WebAuthnCredentials() {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := m.WebAuthn.BeginRegistration(pu, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		return nil, fmt.Errorf("begin passkey: %w", err)
	}
	return s.putCeremony(ctx, m, priceline.ChallengePasskeyRegister, u.ID, sd, creation)
}

// maxPasskeyName is the longest name kept for a passkey.
const maxPasskeyName = 60

// FinishPasskeyRegistration checks the browser's answer (response, the
// PublicKeyCredential as JSON) to ceremony id and stores the passkey as
// name. Bad answers, unsupported attestation formats and a credential ID
// that is registered already are refused as the client's errors. When the
// account had no recovery codes (this passkey turns two-step sign-in on),
// it gets a set, returned to show once: without them, losing the only
// passkey would lock the password out too.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, u *priceline.User, id, name string, response []byte, c Client) (*priceline.Passkey, []string, error) {
	p, err := s.finishPasskeyRegistration(ctx, u, id, name, response, c)
	if err != nil {
		return nil, nil, err
	}
	m := s.MFA
	left, err := m.RecoveryCodes.RecoveryCodesLeft(ctx, u.ID)
	if err != nil || left > 0 {
		if err != nil {
			s.log().Warn("passkey added; could not count recovery codes", "user_id", u.ID, "error", err)
		}
		return p, nil, nil
	}
	codes, err := s.newRecoveryCodes(ctx, m, u)
	if err != nil {
		s.log().Warn("passkey added; could not make recovery codes", "user_id", u.ID, "error", err)
		return p, nil, nil
	}
	return p, codes, nil
}

func (s *Service) finishPasskeyRegistration(ctx context.Context, u *priceline.User, id, name string, response []byte, c Client) (*priceline.Passkey, error) {
	m, err := s.passkeys()
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > maxPasskeyName || !utf8.ValidString(name) {
		return nil, priceline.Errorf(priceline.KindInvalid, "invalid_name", "Give the passkey a name of at most %d characters.", maxPasskeyName)
	}
	sd, err := s.takeCeremony(ctx, m, id, priceline.ChallengePasskeyRegister, u.ID)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, errPasskeyInvalid(err)
	}
	if f := parsed.Response.AttestationObject.Format; !supportedAttestation[f] {
		return nil, priceline.Errorf(priceline.KindInvalid, "unsupported_attestation",
			"This kind of security key is not supported here. Try a passkey from your phone, computer or password manager.")
	}
	cred, err := m.WebAuthn.CreateCredential(&passkeyUser{u: u}, *sd, parsed)
	if err != nil {
		return nil, errPasskeyInvalid(err)
	}
	if !cred.Flags.UserVerified {
		return nil, errPasskeyInvalid(errors.New("user not verified"))
	}
	p := &priceline.Passkey{
		ID: base64.RawURLEncoding.EncodeToString(cred.ID), UserID: u.ID, Name: name,
		PublicKey: cred.PublicKey, AttestationType: cred.AttestationFormat, AAGUID: cred.Authenticator.AAGUID,
		SignCount: cred.Authenticator.SignCount, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		CreatedAt: s.now(),
	}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	if err := m.Passkeys.AddPasskey(ctx, p); err != nil {
		if priceline.IsConflict(err) {
			return nil, err
		}
		return nil, fmt.Errorf("add passkey: %w", err)
	}
	s.announce(ctx, u, c, passkeyAdded)
	return p, nil
}

// DeletePasskey removes u's passkey id after re-authentication.
func (s *Service) DeletePasskey(ctx context.Context, u *priceline.User, id, currentPassword string, c Client) error {
	m, err := s.passkeys()
	if err != nil {
		return err
	}
	return s.removeFactor(ctx, m, u, currentPassword, c, passkeyRemoved, func(userID string) error {
		err := m.Passkeys.DeletePasskey(ctx, userID, id)
		if err == nil || priceline.IsNotFound(err) || priceline.IsConflict(err) {
			return err
		}
		return fmt.Errorf("delete passkey: %w", err)
	})
}

// BeginPasskeySignIn starts a sign-in with a discoverable passkey: no
// email, no password, user verification required.
func (s *Service) BeginPasskeySignIn(ctx context.Context) (*Ceremony, error) {
	m, err := s.passkeys()
	if err != nil {
		return nil, err
	}
	assertion, sd, err := m.WebAuthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	return s.putCeremony(ctx, m, priceline.ChallengePasskeySignIn, "", sd, assertion)
}

// FinishPasskeySignIn checks the browser's assertion (response) for
// ceremony id and starts a session of method passkey, with the device
// cookie a password sign-in gets (startLocalSession). The challenge, the
// origin, the RP ID, the signature, user verification and the credential's
// owner are all checked; a signature counter that did not advance (a
// cloned authenticator) is logged and refused.
//
// Refused passkeys are throttled like wrong passwords, reserved before the
// check: on the address counter passwords count on and, when the
// credential ID names a passkey, on its owner's passkey counter (with the
// account limits).
func (s *Service) FinishPasskeySignIn(ctx context.Context, id string, response []byte, c Client) (*Result, error) {
	m, err := s.passkeys()
	if err != nil {
		return nil, err
	}
	sd, err := s.takeCeremony(ctx, m, id, priceline.ChallengePasskeySignIn, "")
	if err != nil {
		return nil, err
	}
	parsed, parseErr := protocol.ParseCredentialRequestResponseBytes(response)
	// The credential is read once, here: the throttle needs its owner before
	// the check, and the check below uses the same record.
	var named *priceline.Passkey
	if parseErr == nil {
		if named, err = passkeyNamed(ctx, m, parsed.RawID); err != nil {
			return nil, err
		}
	}
	ownerID, ownerKey := "", ""
	if named != nil {
		ownerID, ownerKey = named.UserID, passkeyCounterKey(named.UserID)
	}
	counted, err := s.reserve(ctx, s.guessCounters("passkey", ownerKey, c), s.now())
	if err != nil {
		s.noteThrottled(ctx, err, "passkey_sign_in", c, ownerID)
		return nil, err
	}
	refuse := func(reason string) (*Result, error) {
		// Counted when reserved.
		s.event(ctx, EventSignIn, OutcomeFailure, reason, c, ownerID)
		return nil, errPasskeyRefusedReason(reason)
	}
	if parseErr != nil {
		return refuse("passkey_refused")
	}
	var owner *passkeyUser
	var used *priceline.Passkey
	var lookupErr error
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		p := named // read once, for the throttle, by parsed.RawID
		// go-webauthn passes parsed.RawID as rawID; comparing keeps named
		// tied to the credential being checked should that ever change.
		if p == nil || !bytes.Equal(rawID, parsed.RawID) {
			return nil, errors.New("the credential is nobody's")
		}
		if !bytes.Equal(userHandle, []byte(p.UserID)) {
			return nil, errors.New("user handle does not name the credential's owner")
		}
		u, err := s.Users.UserByID(ctx, p.UserID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		// The owner's list, not just p: a credential the list does not hold
		// (an AddPasskey whose undo failed) must not sign in.
		keys, err := m.Passkeys.UserPasskeys(ctx, u.ID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		owner, used = &passkeyUser{u: u, keys: keys}, p
		return owner, nil
	}
	cred, err := m.WebAuthn.ValidateDiscoverableLogin(handler, *sd, parsed)
	if err != nil {
		if lookupErr != nil && !priceline.IsNotFound(lookupErr) {
			counted.cancel(ctx)
			return nil, fmt.Errorf("passkey sign-in: %w", lookupErr)
		}
		return refuse("passkey_refused")
	}
	if owner == nil || used == nil || !bytes.Equal(cred.ID, mustRaw(used.ID)) {
		return refuse("passkey_refused")
	}
	reason, err := s.recordPasskeyUse(ctx, m, owner.u, used, cred, parsed)
	if err != nil {
		counted.cancel(ctx)
		return nil, err
	}
	if reason != "" {
		return refuse(reason)
	}
	counted.succeeded(ctx)
	res, err := s.startLocalSession(ctx, owner.u, priceline.MethodPasskey, c)
	if err != nil {
		return nil, err
	}
	s.event(ctx, EventSignIn, OutcomeSuccess, priceline.MethodPasskey, c, owner.u.ID)
	return res, nil
}

func mustRaw(id string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(id)
	return b
}
