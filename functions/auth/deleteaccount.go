package auth

import (
	"context"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// DeleteAccount deletes the signed-in user's account after re-authentication
// (the current password, or a cloud sign-in no older than 5 minutes; ASVS
// 5.0 V7.5.1): every session (so every cookie stops working at once, on any
// instance that reads the store), the provider tokens kept for them, saved
// estimates and plan details, the second factors (authenticator app,
// recovery codes, passkeys), pending links, the failed-login counter, the
// email index (for a cloud account: its entry in the lookup of verified
// addresses) and the user record. A notice goes to the address. sso may be nil.
func (s *Service) DeleteAccount(ctx context.Context, sso *CloudSignIn, u *priceline.User, sess *priceline.Session, currentPassword string, c Client) error {
	fresh, err := s.reauthenticate(ctx, u, sess, currentPassword, ReauthDeleteAccount, c)
	if err != nil {
		return err
	}
	subject, text := s.accountDeletedText()
	notice, err := s.queueMail(ctx, priceline.MailAccountDeleted, fresh.Email, subject, text, time.Time{})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	if err := s.deleteAccountData(ctx, sso, fresh); err != nil {
		s.unqueue(ctx, notice)
		return fmt.Errorf("delete account: %w", err)
	}
	s.deliverSoon(ctx, notice)
	s.event(ctx, EventAccountDeleted, OutcomeSuccess, "", c, fresh.ID)
	return nil
}

// deleteAccountData deletes everything kept for u, sessions first so that a
// failure half-way leaves nobody signed in.
func (s *Service) deleteAccountData(ctx context.Context, sso *CloudSignIn, u *priceline.User) error {
	sessions, err := s.Sessions.UserSessions(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	if _, err := s.deleteSessions(ctx, u.ID, "", "account_deleted"); err != nil {
		return err
	}
	if sso != nil && sso.Tokens != nil {
		for _, x := range sessions {
			if err := sso.Tokens.DeleteTokenCache(ctx, u.ID, x.Key); err != nil {
				return fmt.Errorf("delete provider tokens: %w", err)
			}
		}
	}
	if s.Saved != nil {
		// Saved estimates and the plan details.
		if err := s.Saved.DeleteUserData(ctx, u.ID); err != nil {
			return fmt.Errorf("delete saved data: %w", err)
		}
	}
	if err := s.deleteMFAData(ctx, u.ID); err != nil {
		return err
	}
	if s.AccountTokens != nil {
		if err := s.AccountTokens.DeleteAccountTokens(ctx, u.ID); err != nil {
			return fmt.Errorf("delete account tokens: %w", err)
		}
	}
	if u.Provider == priceline.ProviderLocal {
		if err := s.Attempts.ResetAttempts(ctx, accountKey(u.Email)); err != nil {
			return fmt.Errorf("delete failed-login counter: %w", err)
		}
	}
	if s.CloudEmails != nil && u.Provider != priceline.ProviderLocal && u.Email != "" {
		if err := s.CloudEmails.DeleteCloudEmail(ctx, u.Email, u.ID); err != nil {
			return fmt.Errorf("delete verified-address lookup: %w", err)
		}
	}
	if err := s.Users.DeleteUser(ctx, u.ID); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	s.forgetUser(u.ID)
	s.forgetUserSessions(u.ID, "")
	return nil
}

// deleteMFAData deletes the user's authenticator app, recovery codes and
// passkeys. Pending sign-ins and ceremonies are left to expire: they name
// a user who no longer exists and so finish nothing.
func (s *Service) deleteMFAData(ctx context.Context, userID string) error {
	m := s.MFA
	if m == nil {
		return nil
	}
	if m.TOTP != nil {
		if err := m.TOTP.DeleteTOTP(ctx, userID); err != nil {
			return fmt.Errorf("delete authenticator app: %w", err)
		}
	}
	if m.RecoveryCodes != nil {
		if err := m.RecoveryCodes.DeleteRecoveryCodes(ctx, userID); err != nil {
			return fmt.Errorf("delete recovery codes: %w", err)
		}
	}
	if m.Passkeys != nil {
		if err := m.Passkeys.DeleteUserPasskeys(ctx, userID); err != nil {
			return fmt.Errorf("delete passkeys: %w", err)
		}
	}
	return nil
}

// RevokeOtherSessionsReauth is "sign out everywhere else" for a person who
// proved again who they are (ASVS 5.0 V7.5.1 / V7.4.5): a stolen session
// alone cannot sign the owner out everywhere.
func (s *Service) RevokeOtherSessionsReauth(ctx context.Context, u *priceline.User, sess *priceline.Session, currentPassword string, c Client) (int, error) {
	if _, err := s.reauthenticate(ctx, u, sess, currentPassword, ReauthSignOutOthers, c); err != nil {
		return 0, err
	}
	n, err := s.RevokeOtherSessions(ctx, u.ID, sess.Key)
	if err != nil {
		return n, err
	}
	s.event(ctx, EventSessionRevoked, OutcomeSuccess, "all_others", c, u.ID)
	return n, nil
}
