package web

import (
	"net/http"

	"hospitalpriceline/functions/priceline"
)

// The account-lifecycle API: email verification, password reset, email
// change and deletion. The flows are in package auth; these only translate.

// registeredBody is the one answer to a registration, whether or not the
// address had an account: nothing in it tells the two apart.
var registeredBody = map[string]string{"message": "Check your email: we sent a link to confirm your address. Then sign in."}

// handleVerifyEmail follows a verification or email-change link.
func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	return answerInput(w, r, http.StatusOK, []string{"token"}, nil, func(in input) (any, error) {
		v, err := s.Auth.VerifyEmail(r.Context(), in["token"], s.client(r))
		if err != nil {
			return nil, err
		}
		return map[string]any{"emailVerified": true, "emailChanged": v.EmailChanged}, nil
	})
}

// handleResendVerification sends the signed-in user a new verification link.
func (s *Server) handleResendVerification(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	if err := s.Auth.ResendVerification(r.Context(), u, s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
	return nil
}

// handleForgotPassword starts a reset; the answer never says whether the
// address has an account.
func (s *Server) handleForgotPassword(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	return answerInput(w, r, http.StatusAccepted, []string{"email"}, nil, func(in input) (any, error) {
		if err := s.Auth.ForgotPassword(r.Context(), in["email"], s.client(r)); err != nil {
			return nil, err
		}
		w.Header().Set("Cache-Control", "no-store")
		return struct{}{}, nil
	})
}

// handleResetPassword sets a new password with a reset link; it signs
// nobody in.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	return answerInput(w, r, http.StatusNoContent, []string{"token", "newPassword"}, nil, func(in input) (any, error) {
		return nil, s.Auth.ResetPassword(r.Context(), in["token"], in["newPassword"], s.client(r))
	})
}

// handleChangeEmail starts an email change.
func (s *Server) handleChangeEmail(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return answerInput(w, r, http.StatusAccepted, []string{"newEmail", "currentPassword"}, nil, func(in input) (any, error) {
		return struct{}{}, s.Auth.RequestEmailChange(r.Context(), u, sess, in["newEmail"], in["currentPassword"], s.client(r))
	})
}

// handleDeleteAccount deletes the signed-in account and clears the cookie.
func (s *Server) handleDeleteAccount(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return answerInput(w, r, http.StatusNoContent, nil, []string{"currentPassword"}, func(in input) (any, error) {
		if err := s.Auth.DeleteAccount(r.Context(), s.B2C, u, sess, in["currentPassword"], s.client(r)); err != nil {
			return nil, err
		}
		clearSessionCookie(w)
		return nil, nil
	})
}
