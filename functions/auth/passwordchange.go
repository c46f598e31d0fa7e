package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// ChangePassword replaces u's password after checking the current one
// (ASVS 5.0 V6.2.3), ends every session of u, the current one included
// (V7.4.3), and returns a new session for the browser that asked.
//
// A wrong current password counts as a failed login on the account, and a
// throttled account is refused before any hashing, so a stolen session cannot
// be used to guess the password.
func (s *Service) ChangePassword(ctx context.Context, u *priceline.User, current *priceline.Session, currentPassword, newPassword string, c Client) (*Result, error) {
	if u == nil || u.ID == "" {
		return nil, errors.New("change password: no user")
	}
	u, err := s.storedUser(ctx, u, forPasswordChange.op)
	if err != nil {
		return nil, err
	}
	if u.PasswordHash == "" {
		return nil, priceline.Errorf(priceline.KindInvalid, "password_not_set",
			"Your account signs in with an external provider, so it has no password here to change.")
	}
	local, _, _ := strings.Cut(u.Email, "@")
	if err := s.Policy.Check(newPassword, local, u.Name); err != nil {
		return nil, err
	}
	if err := s.checkBreached(ctx, newPassword); err != nil {
		return nil, err
	}
	if err := s.checkCurrentPassword(ctx, u, currentPassword, c, forPasswordChange); err != nil {
		return nil, err
	}

	hash, err := s.hasher().Hash(ctx, newPassword)
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	// Conditional on the hash just verified: a password changed meanwhile on
	// another instance is not silently replaced.
	if err := s.Users.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, hash); err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	s.forgetUser(u.ID)
	s.log().Info("password changed", "user_id", u.ID)
	s.event(ctx, EventPasswordChanged, OutcomeSuccess, "", c, u.ID)

	// The current session is ended as well: the browser gets a new session
	// ID, and a copy of the old cookie (the reason to change a password is
	// often that someone else may have one) is useless.
	if _, err := s.deleteSessions(ctx, u.ID, "", "password_changed"); err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	if current != nil && current.UserID == u.ID {
		// UserSessions may lag a fresh write; delete the current one by key.
		if err := s.Sessions.DeleteSession(ctx, u.ID, current.Key); err != nil {
			return nil, fmt.Errorf("change password: %w", err)
		}
		s.forgetSession(u.ID, current.Key)
	}
	updated := *u
	updated.PasswordHash = hash
	updated.UpdatedAt = s.now()
	return s.StartSession(ctx, &updated, priceline.MethodPassword, c)
}
