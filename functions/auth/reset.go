package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
)

// forgotMinDuration is the least time ForgotPassword takes, so that a known
// address (a token stored and a message queued) and an unknown one answer
// alike (ASVS 5.0 V6.3.8 / V6.4.1): the work is padded up to this.
const forgotMinDuration = 300 * time.Millisecond

// ForgotPassword starts a password reset for email: a local account gets a
// single-use link valid for priceline.AccountTokenLifetime, replacing any
// earlier one. When no local account has the address but a cloud account
// has it as an address its provider verified, a message points at the
// provider's own reset (see sendCloudResetPointer); when both have it, only
// the local link goes out.
// The answer is
// the same, in the same time, whether or not the address has an account:
// nil, or KindTooManyRequests when the address was asked about 5 times this
// hour, a limit that does not depend on the account either. Each account
// also gets at most 5 emails an hour, silently.
func (s *Service) ForgotPassword(ctx context.Context, email string, c Client) error {
	if s.AccountTokens == nil {
		return errTokensOff()
	}
	email = priceline.NormalizeEmail(email)
	if err := priceline.ValidateEmail(email); err != nil {
		return err
	}
	start := time.Now()
	if err := s.countMail(ctx, mailKeyAddress(email)); err != nil {
		s.noteThrottled(ctx, err, "password_reset_mail", c, "")
		return err
	}
	userID, err := s.sendReset(ctx, email)
	if err != nil {
		return err
	}
	s.event(ctx, EventResetRequested, OutcomeSuccess, "", c, userID)
	if wait := forgotMinDuration - time.Since(start); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return nil
}

// sendReset sends the reset message, if email has an account, and returns
// the account's ID ("" if none). A local account comes first and alone: its
// link already reaches the address, and sending the cloud pointer as well
// would let one request put two messages in one inbox, past the limit of 5
// an hour per address; the local sign-in page offers the cloud sign-in too.
func (s *Service) sendReset(ctx context.Context, email string) (string, error) {
	u, err := s.Users.UserByEmail(ctx, email)
	if priceline.IsNotFound(err) {
		id, err := s.sendCloudResetPointer(ctx, email)
		if err != nil {
			return "", fmt.Errorf("forgot password: %w", err)
		}
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("forgot password: %w", err)
	}
	if err := s.countMail(ctx, mailKeyAccount(u.ID)); err != nil {
		if priceline.ErrorKind(err) == priceline.KindTooManyRequests {
			return u.ID, nil // the owner has mail enough; the answer stays the same
		}
		return "", fmt.Errorf("forgot password: %w", err)
	}
	if u.Provider != priceline.ProviderLocal || u.PasswordHash == "" {
		subject, text := s.resetCloudText()
		q, err := s.queueMail(ctx, priceline.MailPasswordResetB2C, email, subject, text, time.Time{})
		if err != nil {
			return "", fmt.Errorf("forgot password: %w", err)
		}
		s.deliverSoon(ctx, q)
		return u.ID, nil
	}
	is, err := s.issueToken(ctx, u, priceline.TokenResetPassword, email, priceline.AccountTokenLifetime)
	if err != nil {
		return "", fmt.Errorf("forgot password: %w", err)
	}
	s.deliverSoon(ctx, is.mail)
	return u.ID, nil
}

// ResetPassword sets a new password with a link from ForgotPassword. The
// password policy (and the breach check) apply; a password the policy
// refuses does not use up the link. On success the address counts as
// verified (the link proved it), every session of the account ends on
// every instance (ASVS 5.0 V7.4.3), the failed-login counter of the account
// is cleared, nobody is signed in, and a notice goes to the address.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string, c Client) error {
	if s.AccountTokens == nil {
		return errTokensOff()
	}
	// The rules that need no account first, so a weak password costs
	// nothing and keeps the link working.
	if err := s.Policy.Check(newPassword, "", ""); err != nil {
		return err
	}
	if err := s.checkBreached(ctx, newPassword); err != nil {
		return err
	}
	t, u, err := s.redeemToken(ctx, token, priceline.TokenResetPassword, c)
	if err != nil {
		return err
	}
	if u.Provider != priceline.ProviderLocal || u.PasswordHash == "" || u.Email != t.Email {
		s.event(ctx, EventTokenRefused, OutcomeFailure, "address_changed", c, u.ID)
		return InvalidToken.Err()
	}
	local, _, _ := strings.Cut(u.Email, "@")
	if err := s.Policy.Check(newPassword, local, u.Name); err != nil {
		// Give the link back: the person only needs another password.
		if perr := s.AccountTokens.PutAccountToken(ctx, t); perr != nil {
			s.log().Warn("reset password: could not restore the link", "user_id", u.ID, "error", perr)
		}
		return err
	}
	hash, err := s.hasher().Hash(ctx, newPassword)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	subject, text := s.passwordChangedText()
	notice, err := s.queueMail(ctx, priceline.MailPasswordChanged, u.Email, subject, text, time.Time{})
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if err := s.Users.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, hash); err != nil {
		s.unqueue(ctx, notice)
		return fmt.Errorf("reset password: %w", err)
	}
	s.forgetUser(u.ID)
	if err := s.Users.MarkEmailVerified(ctx, u.ID, u.Email); err != nil {
		s.log().Warn("reset password: mark the address verified", "user_id", u.ID, "error", err)
	}
	if _, err := s.deleteSessions(ctx, u.ID, "", "password_reset"); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if err := s.Attempts.ResetAttempts(ctx, accountKey(u.Email)); err != nil {
		s.log().Warn("reset password: reset failure counter", "user_id", u.ID, "error", err)
	}
	s.deliverSoon(ctx, notice)
	s.event(ctx, EventResetCompleted, OutcomeSuccess, "", c, u.ID)
	return nil
}
