package web

import (
	"net/http"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

// The pages of the account lifecycle: forgotten password, reset, email
// verification, and the account page's email change, resend and deletion.
// Each runs the same auth flow as its JSON route. The pages that only show
// a form are showPage routes in the route table.

// withLinkToken fills a page opened from an emailed link (reset, verify):
// the link's token for the form. The URL holds the token: never send it to
// another site. Not no-referrer, which makes the browser send "Origin: null"
// on the form post, which checkOrigin must refuse. The verify page shows a
// button that verifies, not the result: mail scanners open links, and a link
// that changed something on a GET would be used up by them.
func withLinkToken(w http.ResponseWriter, r *http.Request, p *pageData) {
	w.Header().Set("Referrer-Policy", "same-origin")
	p.Token = r.URL.Query().Get("token")
}

// handleForgotForm asks for a reset link; the page says the same whatever
// the address.
func (s *Server) handleForgotForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"email"}, nil)
	p := &pageData{Title: "Forgot your password?", Form: map[string]string{"email": in["email"]}}
	if err == nil {
		if err = s.Auth.ForgotPassword(r.Context(), in["email"], s.client(r)); err == nil {
			p.Form = map[string]string{}
			p.Notice = "If that address has an account, we have sent it a link to reset the password. The link works for " +
				priceline.LifetimeText(priceline.AccountTokenLifetime) + "."
			s.render(w, http.StatusOK, "forgot.html", p)
			return nil
		}
	}
	return asForm(err, "forgot.html", p)
}

// handleResetForm sets the new password and sends the person to sign in.
func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "same-origin")
	in, err := readInput(r, true, []string{"token", "newPassword"}, nil)
	p := &pageData{Title: "Choose a new password", Token: in["token"], Form: map[string]string{}}
	if err == nil {
		if err = s.Auth.ResetPassword(r.Context(), in["token"], in["newPassword"], s.client(r)); err == nil {
			http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
			return nil
		}
	}
	if auth.InvalidToken.In(err) {
		p.Token = "" // nothing to retry with: offer a new link instead
	}
	return asForm(err, "reset.html", p)
}

// handleVerifyForm follows the link. A link that no longer works is
// explained kindly when the signed-in person's address is verified anyway.
func (s *Server) handleVerifyForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "same-origin")
	p, err := s.page(w, r, "Confirm your email address")
	if err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"token"}, nil)
	if err == nil {
		var v *verifiedView
		if v, err = s.verify(r, in["token"]); err == nil {
			p.Verified = v
			s.render(w, http.StatusOK, "verify.html", p)
			return nil
		}
	}
	if auth.InvalidToken.In(err) && p.User != nil && p.User.EmailVerified {
		p.Verified = &verifiedView{Already: true}
		s.render(w, http.StatusOK, "verify.html", p)
		return nil
	}
	return asForm(err, "verify.html", p)
}

// verifiedView is what the verify page shows after a link worked.
type verifiedView struct {
	Already      bool // the link was used before, and the address is verified
	EmailChanged bool
}

func (s *Server) verify(r *http.Request, token string) (*verifiedView, error) {
	v, err := s.Auth.VerifyEmail(r.Context(), token, s.client(r))
	if err != nil {
		return nil, err
	}
	return &verifiedView{EmailChanged: v.EmailChanged}, nil
}

// handleAccountEmail starts an email change from the account page.
func (s *Server) handleAccountEmail(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, []string{"newEmail", "currentPassword"}, []string{"csrf_token"})
	if err == nil {
		if err = s.Auth.RequestEmailChange(r.Context(), u, sess, in["newEmail"], in["currentPassword"], s.client(r)); err == nil {
			http.Redirect(w, r, "/account?done=email", http.StatusSeeOther)
			return nil
		}
	}
	return withNextStep(err, "Go back to your account page to try again.")
}

// handleAccountResend sends a new verification link.
func (s *Server) handleAccountResend(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	if err := s.Auth.ResendVerification(r.Context(), u, s.client(r)); err != nil {
		return withNextStep(err, "Go back to your account page.")
	}
	http.Redirect(w, r, "/account?done=resent", http.StatusSeeOther)
	return nil
}

// handleAccountDelete deletes the account and goes home signed out.
func (s *Server) handleAccountDelete(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, nil, []string{"currentPassword", "csrf_token"})
	if err == nil {
		if err = s.Auth.DeleteAccount(r.Context(), s.B2C, u, sess, in["currentPassword"], s.client(r)); err == nil {
			clearSessionCookie(w)
			http.Redirect(w, r, "/?deleted=1", http.StatusSeeOther)
			return nil
		}
	}
	return reauthStep(err, u)
}

// confirmedAction is the sensitive action a cloud account has just come
// back from confirming at the provider (/account?confirmed=ACTION, the
// returnTo of the reauth link), for the account page to show the form that
// finishes it. The parameter only chooses what the page shows: the form's
// own request still needs the single-use grant the callback left, so a
// link carrying it confirms nothing.
func confirmedAction(r *http.Request, u *priceline.User) string {
	switch a := r.URL.Query().Get("confirmed"); {
	case u.Provider != priceline.ProviderB2C:
		return ""
	case a == auth.ReauthDeleteAccount, a == auth.ReauthSignOutOthers:
		return a
	}
	return ""
}

// reauthCancelledNotice is the account page's notice for a cloud account
// that cancelled confirming an action at the provider
// (/account?cancelled=ACTION, where the callback sends it), "" for none.
// Like confirmedAction it only chooses what the page says.
func reauthCancelledNotice(r *http.Request, u *priceline.User) string {
	if u.Provider != priceline.ProviderB2C {
		return ""
	}
	switch r.URL.Query().Get("cancelled") {
	case auth.ReauthDeleteAccount:
		return "You cancelled the cloud sign-in, so nothing was confirmed and nothing was changed: your account was not deleted."
	case auth.ReauthSignOutOthers:
		return "You cancelled the cloud sign-in, so nothing was confirmed and nothing was changed: no other device was signed out."
	}
	return ""
}

// reauthStep shows a refused sensitive change of the account page as a
// readable page: a cloud account that has not confirmed at the provider
// (or whose confirmation was used or is over 5 minutes old) is told how
// to; anything else, to try again.
func reauthStep(err error, u *priceline.User) error {
	if priceline.ReauthRequired.In(err) && u.Provider == priceline.ProviderB2C {
		return asPage(withNextStep(err, "Go back to your account page and choose “Confirm with your cloud sign-in”: "+
			"you sign in again there and come back to finish."))
	}
	return withNextStep(err, "Go back to your account page to try again.")
}
