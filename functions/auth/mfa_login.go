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
// (from the authenticator app) or RecoveryCode.
type MFAProof struct {
	Code         string
	RecoveryCode string
}

// passwordProved finishes a login whose password was right: a session, or,
// when the account has a second factor, a pending sign-in. An account whose
// factors cannot be read is not signed in (fail closed).
func (s *Service) passwordProved(ctx context.Context, u *priceline.User, c Client) (*Result, error) {
	if s.MFA == nil {
		return s.StartSession(ctx, u, priceline.MethodPassword, c)
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
		return s.StartSession(ctx, u, priceline.MethodPassword, c)
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

func errPendingGone(cause error) error {
	return priceline.Wrap(cause, priceline.KindUnauthorized, "mfa_sign_in_expired",
		"This sign-in has expired or was already used. Please sign in again.")
}

// FinishMFA finishes the pending sign-in pendingID with proof and starts a
// session whose method says which factor was used.
//
// Every attempt takes the pending sign-in. A wrong code (or a throttled
// attempt) returns a Result with only Pending set, a new pending sign-in
// with the old expiry, beside the error: the caller replaces the cookie,
// so an old cookie never works twice.
//
// Throttling: a wrong authenticator code counts on the address counter that
// passwords count on and on a per-account counter with the account limits
// (key "mfa:"+user); a wrong recovery code on the address counter and a
// counter of its own. The password counter is left alone: whoever is
// guessing codes already has the password, and must not be able to lock the
// owner out of signing in with a recovery code or a passkey.
func (s *Service) FinishMFA(ctx context.Context, pendingID string, proof MFAProof, c Client) (*Result, error) {
	m, err := s.mfa()
	if err != nil {
		return nil, err
	}
	if (proof.Code == "") == (proof.RecoveryCode == "") {
		return nil, priceline.Errorf(priceline.KindInvalid, "invalid_input", "Enter a code from your authenticator app or a recovery code.")
	}
	ch, err := m.Challenges.TakeChallenge(ctx, pendingID)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, errPendingGone(err)
		}
		return nil, fmt.Errorf("finish sign-in: %w", err)
	}
	if ch.Kind != priceline.ChallengeMFASignIn || ch.UserID == "" {
		return nil, errPendingGone(errors.New("challenge is not a pending sign-in"))
	}
	// The store refuses expired challenges by its own clock; the service
	// checks by its clock too, so neither alone decides.
	if ch.Expired(s.now()) {
		return nil, errPendingGone(errors.New("pending sign-in expired"))
	}
	u, err := s.Users.UserByID(ctx, ch.UserID)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, errPendingGone(err)
		}
		return nil, fmt.Errorf("finish sign-in: %w", err)
	}
	codeKey := "mfa:" + u.ID
	if proof.RecoveryCode != "" {
		codeKey = "recovery:" + u.ID
	}
	retry := func(cause error) (*Result, error) {
		next, err := s.putPending(ctx, m, u.ID, s.now(), ch.ExpiresAt)
		if err != nil {
			s.log().Warn("finish sign-in: could not renew the pending sign-in", "user_id", u.ID, "error", err)
			return nil, cause
		}
		return &Result{Pending: next}, cause
	}
	cfg := s.config().Throttle
	counted, err := s.reserve(ctx, []counter{
		{name: "second_factor", key: codeKey, limit: cfg.Account, reset: true},
		{name: "ip", key: s.ipKey(c.IP), limit: cfg.IP},
	}, s.now())
	if err != nil {
		return retry(err)
	}
	method, ok, err := s.checkSecondFactor(ctx, m, u, proof)
	if err != nil {
		counted.cancel(ctx)
		return nil, err
	}
	if !ok {
		return retry(errWrongCode()) // counted when reserved
	}
	counted.succeeded(ctx)
	if method == priceline.MethodPasswordRecovery {
		s.notify(ctx, u, NoticeRecoveryCodeUsed)
	}
	return s.StartSession(ctx, u, method, c)
}

// checkSecondFactor verifies proof for u and names the session method.
func (s *Service) checkSecondFactor(ctx context.Context, m *MFAConfig, u *priceline.User, proof MFAProof) (string, bool, error) {
	if proof.RecoveryCode != "" {
		err := m.RecoveryCodes.UseRecoveryCode(ctx, u.ID, recoveryHash(u.ID, proof.RecoveryCode))
		switch {
		case err == nil:
			return priceline.MethodPasswordRecovery, true, nil
		case priceline.IsNotFound(err):
			return "", false, nil
		default:
			return "", false, fmt.Errorf("finish sign-in: %w", err)
		}
	}
	e, err := m.TOTP.TOTP(ctx, u.ID)
	if priceline.IsNotFound(err) || (err == nil && !e.Confirmed) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("finish sign-in: %w", err)
	}
	ok, err := s.useTOTPCode(ctx, m, e, proof.Code, false)
	return priceline.MethodPasswordTOTP, ok, err
}

// DeleteExpiredChallenges removes pending sign-ins and passkey ceremonies
// that expired unused, for the clean-up timer; 0 when MFA is off.
func (s *Service) DeleteExpiredChallenges(ctx context.Context) (int, error) {
	if s.MFA == nil || s.MFA.Challenges == nil {
		return 0, nil
	}
	n, err := s.MFA.Challenges.DeleteExpiredChallenges(ctx, s.now())
	if err != nil {
		return n, fmt.Errorf("delete expired challenges: %w", err)
	}
	return n, nil
}
