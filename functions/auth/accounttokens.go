package auth

import (
	"context"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// InvalidToken is the one answer to a link that does not work, whatever
// the reason (forged, used, expired, replaced, for an account that is
// gone), so a link reveals nothing about an account.
var InvalidToken = priceline.Refusal{Kind: priceline.KindInvalid, Code: "invalid_token",
	Message: "This link does not work: it may have been used already, replaced by a newer one, or expired. Ask for a new one."}

// errTokensOff is the answer of the link flows when no token store is set.
func errTokensOff() error {
	return priceline.Unavailable(nil, "accounts_unavailable",
		"This is not available at the moment. Please try again later.", time.Minute)
}

// issued is a token stored and its message queued, waiting for the change
// they belong to.
type issued struct {
	purpose string
	mail    queued
}

// issueToken makes a token of purpose for u, queues the message carrying
// its link to email, and then stores the token (replacing the user's older
// one of that purpose). Queue first: if storing fails the message is taken
// back, so no link goes out that was never stored.
func (s *Service) issueToken(ctx context.Context, u *priceline.User, purpose, email string, lifetime time.Duration) (issued, error) {
	if s.AccountTokens == nil {
		return issued{}, nil
	}
	token, hash := priceline.NewAccountToken(u.ID, purpose)
	now := s.now()
	expires := now.Add(lifetime)
	var kind, subject, text string
	switch purpose {
	case priceline.TokenVerifyEmail:
		kind = priceline.MailVerifyEmail
		subject, text = s.verifyText(u.Name, s.link("/verify-email", token))
	case priceline.TokenChangeEmail:
		kind = priceline.MailEmailChangeVerify
		subject, text = s.emailChangeText(s.link("/verify-email", token))
	case priceline.TokenResetPassword:
		kind = priceline.MailPasswordReset
		subject, text = s.resetText(s.link("/reset-password", token))
	default:
		return issued{}, fmt.Errorf("issue token: unknown purpose %q", purpose)
	}
	q, err := s.queueMail(ctx, kind, email, subject, text, expires)
	if err != nil {
		return issued{}, err
	}
	t := &priceline.AccountToken{UserID: u.ID, Purpose: purpose, Hash: hash, Email: email, CreatedAt: now, ExpiresAt: expires}
	if err := s.AccountTokens.PutAccountToken(ctx, t); err != nil {
		s.unqueue(ctx, q)
		return issued{}, fmt.Errorf("store %s token: %w", kind, err)
	}
	return issued{purpose: purpose, mail: q}, nil
}

// dropToken undoes issueToken when the change it belonged to failed.
func (s *Service) dropToken(ctx context.Context, userID string, is issued) {
	s.unqueue(ctx, is.mail)
	if s.AccountTokens == nil || is.purpose == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.AccountTokens.DeleteAccountTokens(ctx, userID); err != nil {
		s.log().Warn("could not delete the token of a failed change", "error", err)
	}
}

// link is a link to path on the site carrying token.
func (s *Service) link(path, token string) string {
	if s.Mail == nil {
		return path + "?token=" + token
	}
	return s.Mail.link(path, token)
}

// redeemToken takes the token of purpose a link carries: it works once,
// before it expires, and only while the account exists. Every failure is
// InvalidToken (logged as a security event with its reason).
func (s *Service) redeemToken(ctx context.Context, token, purpose string, c Client) (*priceline.AccountToken, *priceline.User, error) {
	if s.AccountTokens == nil {
		return nil, nil, errTokensOff()
	}
	refuse := func(reason, userID string) error {
		s.event(ctx, EventTokenRefused, OutcomeFailure, reason, c, userID)
		return InvalidToken.Err()
	}
	userID, hash, ok := priceline.ParseAccountToken(token, purpose)
	if !ok {
		return nil, nil, refuse("malformed", "")
	}
	t, err := s.AccountTokens.TakeAccountToken(ctx, userID, purpose, hash)
	if priceline.IsNotFound(err) {
		return nil, nil, refuse("unknown_used_or_replaced", "")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("redeem token: %w", err)
	}
	if t.Expired(s.now()) {
		return nil, nil, refuse("expired", userID)
	}
	u, err := s.Users.UserByID(ctx, userID)
	if priceline.IsNotFound(err) {
		return nil, nil, refuse("account_gone", "")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("redeem token: load user: %w", err)
	}
	return t, u, nil
}

// checkBreached refuses a password known from breaches, when the check is
// on. It fails open (see priceline.BreachedPasswords).
func (s *Service) checkBreached(ctx context.Context, password string) error {
	if s.Breached == nil {
		return nil
	}
	err := s.Breached.CheckBreached(ctx, password)
	if err == nil || priceline.ErrorKind(err) == priceline.KindInvalid {
		return err
	}
	s.log().Warn("breached-password check failed; skipped", "code", priceline.ErrorCode(err))
	return nil
}

// DeleteExpiredAccountTokens deletes the links (verification, reset, email
// change) and re-authentication grants that expired unused, for the
// clean-up timer; 0 when account tokens are off. An unused link otherwise
// stays stored until replaced or the account is deleted.
func (s *Service) DeleteExpiredAccountTokens(ctx context.Context) (int, error) {
	if s.AccountTokens == nil {
		return 0, nil
	}
	return s.sweep(ctx, "delete expired account tokens", s.AccountTokens.DeleteExpiredAccountTokens)
}
