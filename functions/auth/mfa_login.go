package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Second-factor method names offered by a pending sign-in.
const (
	FactorTOTP     = "totp"
	FactorRecovery = "recovery"
	FactorPasskey  = "passkey"
)

// PendingSignIn is a sign-in whose password was right and whose second
// factor is awaited. ID is single use: the caller puts it in a __Host-
// cookie, and every attempt to finish takes it; a failed attempt returns a
// new one with the same expiry.
type PendingSignIn struct {
	ID        string
	Methods   []string // FactorTOTP, FactorPasskey, FactorRecovery: what the account can use
	ExpiresAt time.Time
}

// MFAProof is what the user offers to finish a pending sign-in: one of Code
// (from the authenticator app), RecoveryCode, or Passkey.
type MFAProof struct {
	Code         string
	RecoveryCode string
	// Passkey is the browser's assertion (the PublicKeyCredential as JSON)
	// answering the options BeginMFAPasskey gave for this pending sign-in.
	Passkey []byte
}

// offered counts the kinds of proof given: exactly one is allowed.
func (p MFAProof) offered() int {
	n := 0
	for _, given := range []bool{p.Code != "", p.RecoveryCode != "", len(p.Passkey) > 0} {
		if given {
			n++
		}
	}
	return n
}

// passwordProved finishes a login whose password was right: a session
// (with a device cookie, startLocalSession), or,
// when the account has a second factor, a pending sign-in. An account whose
// factors cannot be read is not signed in (fail closed).
func (s *Service) passwordProved(ctx context.Context, u *priceline.User, c Client) (*Result, error) {
	if s.MFA == nil {
		return s.startLocalSession(ctx, u, priceline.MethodPassword, c)
	}
	m, err := s.mfa()
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	st, err := s.MFAStatusOf(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if !st.Enabled() {
		return s.startLocalSession(ctx, u, priceline.MethodPassword, c)
	}
	var methods []string
	if st.TOTP {
		methods = append(methods, FactorTOTP)
	}
	if st.Passkeys > 0 && st.PasskeysEnabled {
		methods = append(methods, FactorPasskey)
	}
	if st.RecoveryCodesLeft > 0 {
		methods = append(methods, FactorRecovery)
	}
	now := s.now()
	p, err := s.putPending(ctx, m, u.ID, now, now.Add(priceline.ChallengeLifetime))
	if err != nil {
		return nil, err
	}
	p.Methods = methods
	return &Result{User: u, Pending: p}, nil
}

func (s *Service) putPending(ctx context.Context, m *MFAConfig, userID string, now, expires time.Time) (*PendingSignIn, error) {
	ch := &priceline.Challenge{
		ID: priceline.NewToken(32), Kind: priceline.ChallengeMFASignIn, UserID: userID,
		CreatedAt: now, ExpiresAt: expires,
	}
	if err := m.Challenges.PutChallenge(ctx, ch); err != nil {
		return nil, fmt.Errorf("pending sign-in: %w", err)
	}
	return &PendingSignIn{ID: ch.ID, ExpiresAt: expires}, nil
}

// MFASignInExpired is the answer to a second step whose pending sign-in or
// ceremony is gone: missing, used, expired or of another kind.
var MFASignInExpired = priceline.Refusal{Kind: priceline.KindUnauthorized, Code: "mfa_sign_in_expired",
	Message: "This sign-in has expired or was already used. Please sign in again."}

// takePending takes the pending sign-in pendingID and reads its user.
func (s *Service) takePending(ctx context.Context, m *MFAConfig, pendingID string) (*priceline.Challenge, *priceline.User, error) {
	ch, err := m.Challenges.TakeChallenge(ctx, pendingID)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, nil, MFASignInExpired.Wrap(err)
		}
		return nil, nil, fmt.Errorf("finish sign-in: %w", err)
	}
	if ch.Kind != priceline.ChallengeMFASignIn || ch.UserID == "" {
		return nil, nil, MFASignInExpired.Wrap(errors.New("challenge is not a pending sign-in"))
	}
	// The store refuses expired challenges by its own clock; the service
	// checks by its clock too, so neither alone decides.
	if ch.Expired(s.now()) {
		return nil, nil, MFASignInExpired.Wrap(errors.New("pending sign-in expired"))
	}
	u, err := s.Users.UserByID(ctx, ch.UserID)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, nil, MFASignInExpired.Wrap(err)
		}
		return nil, nil, fmt.Errorf("finish sign-in: %w", err)
	}
	return ch, u, nil
}

// renewPending answers a failed attempt on pending sign-in ch of u: a new
// pending sign-in with the old expiry beside cause, or cause alone if none
// could be stored.
func (s *Service) renewPending(ctx context.Context, m *MFAConfig, ch *priceline.Challenge, u *priceline.User, cause error) (*Result, error) {
	next, err := s.putPending(ctx, m, u.ID, s.now(), ch.ExpiresAt)
	if err != nil {
		s.log().Warn("finish sign-in: could not renew the pending sign-in", "user_id", u.ID, "error", err)
		return nil, cause
	}
	return &Result{Pending: next}, cause
}

// FinishMFA finishes the pending sign-in pendingID with proof and starts a
// session whose method says which factor was used, with a device cookie as
// a password sign-in gets (the password was right).
//
// Every attempt takes the pending sign-in. A wrong code (or a throttled
// attempt) returns a Result with only Pending set, a new pending sign-in
// with the old expiry, beside the error: the caller replaces the cookie,
// so an old cookie never works twice.
//
// Throttling: a wrong authenticator code counts on the address counter that
// passwords count on and on a per-account counter with the account limits
// (key "mfa:"+user); a wrong recovery code on the address counter and a
// counter of its own, and a refused passkey on the address counter and the
// account's passkey counter (which passkey sign-ins share). The password
// counter is left alone: whoever is guessing codes already has the
// password, and must not be able to lock the owner out of signing in with
// a recovery code or a passkey.
func (s *Service) FinishMFA(ctx context.Context, pendingID string, proof MFAProof, c Client) (*Result, error) {
	m, err := s.mfa()
	if err != nil {
		return nil, err
	}
	if proof.offered() != 1 {
		return nil, priceline.Errorf(priceline.KindInvalid, "invalid_input", "Enter a code from your authenticator app or a recovery code, or use your passkey.")
	}
	ch, u, err := s.takePending(ctx, m, pendingID)
	if err != nil {
		return nil, err
	}
	if len(proof.Passkey) > 0 && len(ch.Data) == 0 {
		// Not a guess: the page skipped the options step.
		return s.renewPending(ctx, m, ch, u, priceline.Errorf(priceline.KindInvalid, "passkey_not_started",
			"Start the passkey step again."))
	}
	factor, counterKey := FactorTOTP, "mfa:"+u.ID
	switch {
	case proof.RecoveryCode != "":
		factor, counterKey = FactorRecovery, "recovery:"+u.ID
	case len(proof.Passkey) > 0:
		factor, counterKey = FactorPasskey, passkeyCounterKey(u.ID)
	}
	counted, err := s.reserve(ctx, s.guessCounters("second_factor", counterKey, c), s.now())
	if err != nil {
		s.noteThrottled(ctx, err, "second_factor", c, u.ID)
		return s.renewPending(ctx, m, ch, u, err)
	}
	method, refused, err := s.checkSecondFactor(ctx, m, u, ch, proof)
	if err != nil {
		counted.cancel(ctx)
		return nil, err
	}
	if refused != "" {
		// Counted when reserved.
		s.event(ctx, EventSignIn, OutcomeFailure, refused, c, u.ID)
		if factor == FactorPasskey {
			return s.renewPending(ctx, m, ch, u, errPasskeyRefused(errors.New(refused)))
		}
		return s.renewPending(ctx, m, ch, u, errWrongCode())
	}
	counted.succeeded(ctx)
	if method == priceline.MethodPasswordRecovery {
		s.event(ctx, EventRecoveryCodeUsed, OutcomeSuccess, "", c, u.ID)
		s.notify(ctx, u, NoticeRecoveryCodeUsed)
	}
	res, err := s.startLocalSession(ctx, u, method, c)
	if err != nil {
		return nil, err
	}
	s.event(ctx, EventSignIn, OutcomeSuccess, method, c, u.ID)
	return res, nil
}

// checkSecondFactor verifies proof for u, whose pending sign-in is ch, and
// names the session method; refused is the reason for a wrong proof ("" if
// right). Errors are failures of the system.
func (s *Service) checkSecondFactor(ctx context.Context, m *MFAConfig, u *priceline.User, ch *priceline.Challenge, proof MFAProof) (method, refused string, err error) {
	switch {
	case proof.RecoveryCode != "":
		err := m.RecoveryCodes.UseRecoveryCode(ctx, u.ID, recoveryHash(u.ID, proof.RecoveryCode))
		switch {
		case err == nil:
			return priceline.MethodPasswordRecovery, "", nil
		case priceline.IsNotFound(err):
			return "", "wrong_recovery_code", nil
		default:
			return "", "", fmt.Errorf("finish sign-in: %w", err)
		}
	case len(proof.Passkey) > 0:
		refused, err := s.checkMFAPasskey(ctx, m, u, ch, proof.Passkey)
		return priceline.MethodPasswordPasskey, refused, err
	}
	e, err := m.TOTP.TOTP(ctx, u.ID)
	if priceline.IsNotFound(err) || (err == nil && !e.Confirmed) {
		return "", "wrong_code", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("finish sign-in: %w", err)
	}
	ok, err := s.useTOTPCode(ctx, m, e, proof.Code, false)
	if err != nil || !ok {
		return "", "wrong_code", err
	}
	return priceline.MethodPasswordTOTP, "", nil
}

// DeleteExpiredChallenges removes pending sign-ins and passkey ceremonies
// that expired unused, for the clean-up timer; 0 when MFA is off.
func (s *Service) DeleteExpiredChallenges(ctx context.Context) (int, error) {
	if s.MFA == nil || s.MFA.Challenges == nil {
		return 0, nil
	}
	return s.sweep(ctx, "delete expired challenges", s.MFA.Challenges.DeleteExpiredChallenges)
}
