package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Verified says what following a link in an email did.
type Verified struct {
	User *priceline.User
	// EmailChanged is set when the link completed an email change (the
	// account now signs in with the address the link was sent to);
	// otherwise it verified the account's address.
	EmailChanged bool
}

// VerifyEmail follows a link sent by registration, by "resend", or by an
// email change (to the new address). A verification link marks the address
// verified; an email-change link moves the account to the address it was
// sent to (verified, since following the link proves it) and tells the old
// address. Each link works once, for its lifetime, and only while the
// account still has the address it was sent for: everything else is
// KindInvalid/"invalid_token".
func (s *Service) VerifyEmail(ctx context.Context, token string, c Client) (*Verified, error) {
	switch priceline.TokenPurpose(token) {
	case priceline.TokenChangeEmail:
		return s.completeEmailChange(ctx, token, c)
	case priceline.TokenVerifyEmail:
	default:
		s.event(ctx, EventTokenRefused, OutcomeFailure, "malformed", c, "")
		return nil, InvalidToken.Err()
	}
	t, u, err := s.redeemToken(ctx, token, priceline.TokenVerifyEmail, c)
	if err != nil {
		return nil, err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != t.Email {
		s.event(ctx, EventTokenRefused, OutcomeFailure, "address_changed", c, u.ID)
		return nil, InvalidToken.Err()
	}
	if err := s.Users.MarkEmailVerified(ctx, u.ID, t.Email); err != nil {
		if priceline.EmailChanged.In(err) || priceline.IsNotFound(err) {
			return nil, InvalidToken.Err()
		}
		return nil, fmt.Errorf("verify email: %w", err)
	}
	s.forgetUser(u.ID)
	s.forgetUserSessions(u.ID, "")
	u.EmailVerified = true
	s.event(ctx, EventEmailVerified, OutcomeSuccess, "", c, u.ID)
	return &Verified{User: u}, nil
}

// ResendVerification sends the signed-in user a new verification link,
// which replaces the previous one. KindConflict/"already_verified" when
// there is nothing to verify; at most 5 emails an hour per account.
func (s *Service) ResendVerification(ctx context.Context, u *priceline.User, c Client) error {
	if s.AccountTokens == nil {
		return errTokensOff()
	}
	fresh, err := s.Users.UserByID(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("resend verification: load user: %w", err)
	}
	if fresh.Provider != priceline.ProviderLocal {
		return priceline.Errorf(priceline.KindInvalid, "email_managed_by_provider",
			"Your address is managed by the cloud sign-in, so there is nothing to verify here.")
	}
	if fresh.EmailVerified {
		return priceline.Errorf(priceline.KindConflict, "already_verified", "Your email address is already verified.")
	}
	if err := s.countMail(ctx, mailKeyAccount(fresh.ID)); err != nil {
		s.noteThrottled(ctx, err, "verification_mail", c, fresh.ID)
		return err
	}
	is, err := s.issueToken(ctx, fresh, priceline.TokenVerifyEmail, fresh.Email, priceline.VerifyTokenLifetime)
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	s.deliverSoon(ctx, is.mail)
	return nil
}

// RequestEmailChange starts moving the signed-in local account to newEmail
// after checking the current password (ASVS 5.0 V7.5.1): the new
// address gets a link, and nothing changes until it is followed. Whether
// another account has newEmail is not told here (that would reveal it); the
// link then fails with "email_taken" for the owner of the new address only.
func (s *Service) RequestEmailChange(ctx context.Context, u *priceline.User, sess *priceline.Session, newEmail, currentPassword string, c Client) error {
	if s.AccountTokens == nil {
		return errTokensOff()
	}
	newEmail = priceline.NormalizeEmail(newEmail)
	if err := priceline.ValidateEmail(newEmail); err != nil {
		return err
	}
	if u != nil && u.Provider != priceline.ProviderLocal {
		return errEmailManagedByProvider()
	}
	fresh, err := s.reauthenticate(ctx, u, sess, currentPassword, "", c)
	if err != nil {
		return err
	}
	if fresh.Provider != priceline.ProviderLocal {
		return errEmailManagedByProvider()
	}
	if newEmail == fresh.Email {
		return priceline.Errorf(priceline.KindInvalid, "email_unchanged", "That is already your email address.")
	}
	if err := s.countMail(ctx, mailKeyAccount(fresh.ID)); err != nil {
		s.noteThrottled(ctx, err, "email_change_mail", c, fresh.ID)
		return err
	}
	is, err := s.issueToken(ctx, fresh, priceline.TokenChangeEmail, newEmail, priceline.AccountTokenLifetime)
	if err != nil {
		return fmt.Errorf("request email change: %w", err)
	}
	s.deliverSoon(ctx, is.mail)
	s.event(ctx, EventEmailChangeAsked, OutcomeSuccess, "", c, fresh.ID)
	return nil
}

// completeEmailChange follows an email-change link; see VerifyEmail.
func (s *Service) completeEmailChange(ctx context.Context, token string, c Client) (*Verified, error) {
	t, u, err := s.redeemToken(ctx, token, priceline.TokenChangeEmail, c)
	if err != nil {
		return nil, err
	}
	if u.Provider != priceline.ProviderLocal {
		return nil, InvalidToken.Err()
	}
	old := u.Email
	subject, text := s.emailChangedText(t.Email)
	notice, err := s.queueMail(ctx, priceline.MailEmailChanged, old, subject, text, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("change email: %w", err)
	}
	if err := s.Users.ChangeEmail(ctx, u.ID, old, t.Email); err != nil {
		s.unqueue(ctx, notice)
		switch {
		case priceline.EmailTaken.In(err):
			return nil, priceline.EmailTaken.Saying(
				"Another account uses this address now, so your account keeps its old address.").Err()
		case priceline.EmailChanged.In(err):
			return nil, InvalidToken.Err()
		}
		return nil, fmt.Errorf("change email: %w", err)
	}
	s.forgetUser(u.ID)
	s.forgetUserSessions(u.ID, "")
	s.deliverSoon(ctx, notice)
	if err := s.Attempts.ResetAttempts(ctx, accountKey(old)); err != nil {
		s.log().Warn("change email: reset the old address's counter", "user_id", u.ID, "error", err)
	}
	u.Email, u.EmailVerified = t.Email, true
	s.event(ctx, EventEmailChanged, OutcomeSuccess, "", c, u.ID)
	return &Verified{User: u, EmailChanged: true}, nil
}

// errEmailManagedByProvider refuses an email change of a cloud account.
func errEmailManagedByProvider() error {
	return priceline.Errorf(priceline.KindInvalid, "email_managed_by_provider",
		"Your address is managed by the cloud sign-in. Change it in your cloud profile.")
}

// reauthenticate checks that the person at this session is the account's
// owner before a sensitive change, and returns the user record as stored
// now. A local account needs its current password, checked and throttled
// like a login (a wrong one counts as a failure on the account); a cloud
// account needs the grant a re-authentication at the provider left for
// this session and action (BeginCloudReauth), which this uses up.
func (s *Service) reauthenticate(ctx context.Context, u *priceline.User, sess *priceline.Session, currentPassword, action string, c Client) (*priceline.User, error) {
	if u == nil || sess == nil {
		return nil, Unauthenticated.Wrap(errors.New("no session"))
	}
	fresh, err := s.storedUser(ctx, u, forReauth.op)
	if err != nil {
		return nil, err
	}
	if fresh.PasswordHash == "" {
		if err := s.takeReauthGrant(ctx, fresh, sess, action, c); err != nil {
			return nil, err
		}
		return fresh, nil
	}
	if err := s.checkCurrentPassword(ctx, fresh, currentPassword, c, forReauth); err != nil {
		return nil, err
	}
	return fresh, nil
}

// storedUser reads the signed-in user u as stored now: u may have come
// from this instance's caches (Authenticate), and a password check needs
// the hash stored now. A user deleted meanwhile is no longer signed in.
func (s *Service) storedUser(ctx context.Context, u *priceline.User, op string) (*priceline.User, error) {
	fresh, err := s.Users.UserByID(ctx, u.ID)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, Unauthenticated.Wrap(errors.New("session user no longer exists"))
		}
		return nil, fmt.Errorf("%s: load user: %w", op, err)
	}
	return fresh, nil
}

// passwordCheck names what a current-password check guards, as its
// errors and the security log say it.
type passwordCheck struct {
	op        string // the errors' context
	throttled string // the reason of EventThrottled when refused for coming too often
	refused   string // the event a wrong password records
}

// What a current password is checked for: before a sensitive change
// (re-authentication, also for MFA changes), and to change the password
// itself.
var (
	forReauth         = passwordCheck{op: "reauthenticate", throttled: "reauthentication", refused: EventReauthFailed}
	forPasswordChange = passwordCheck{op: "change password", throttled: "password_change", refused: EventPasswordChanged}
)

// checkCurrentPassword verifies a signed-in local user's current password
// for what, counted on the account and address throttles like a login: a
// wrong one is a failure on the account, and a throttled account is refused
// before any hashing, so a stolen session cannot be used to guess it.
func (s *Service) checkCurrentPassword(ctx context.Context, fresh *priceline.User, currentPassword string, c Client, what passwordCheck) error {
	counted, err := s.reserve(ctx, s.guessCounters("account", accountKey(fresh.Email), c), s.now())
	if err != nil {
		s.noteThrottled(ctx, err, what.throttled, c, fresh.ID)
		return fmt.Errorf("%s: %w", what.op, err)
	}
	ok, _, err := s.hasher().Verify(ctx, currentPassword, fresh.PasswordHash)
	if err != nil && priceline.ErrorKind(err) != priceline.KindInvalid {
		counted.cancel(ctx)
		return fmt.Errorf("%s: verify current password: %w", what.op, err)
	}
	if !ok {
		// Counted as a failure when reserved.
		s.event(ctx, what.refused, OutcomeFailure, "wrong_password", c, fresh.ID)
		return priceline.Errorf(priceline.KindInvalid, "current_password_incorrect", "Your current password is incorrect.")
	}
	counted.succeeded(ctx)
	return nil
}
