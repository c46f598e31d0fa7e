package web

import (
	"context"
	"net/http"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

// mfaView is what the account page and the two-step pages show.
type mfaView struct {
	Available     bool // the site has two-step sign-in turned on
	Status        auth.MFAStatus
	Setup         *auth.TOTPSetup // a new authenticator app to scan, shown once
	RecoveryCodes []string        // new recovery codes, shown once
	Passkeys      []passkeyView
}

// passkeyView is one row of the account page's passkey list.
type passkeyView struct {
	ID, Name, Created, CreatedText, LastUsed, LastUsedText string
}

// mfaNotice is the account page's notice after a two-step change.
func mfaNotice(done string) string {
	switch done {
	case "totp-off":
		return "Your authenticator app was removed."
	case "passkey-added":
		return "Your passkey was added."
	case "passkey-removed":
		return "Your passkey was removed."
	}
	return ""
}

// methodText names a session's sign-in method for people.
func methodText(m string) string {
	switch m {
	case priceline.MethodPassword:
		return "password"
	case priceline.MethodPasswordTOTP:
		return "password and authenticator app"
	case priceline.MethodPasswordRecovery:
		return "password and recovery code"
	case priceline.MethodPasswordPasskey:
		return "password and passkey"
	case priceline.MethodPasskey:
		return "passkey"
	case priceline.MethodB2C:
		return "Azure AD B2C"
	}
	return m
}

// accountMFAView reads u's second factors for the account page; nil when
// the site has none or u is a cloud account (its provider does MFA).
func (s *Server) accountMFAView(ctx context.Context, u *priceline.User) (*mfaView, error) {
	if s.Auth == nil || s.Auth.MFA == nil || u.Provider != priceline.ProviderLocal {
		return nil, nil
	}
	st, err := s.Auth.MFAStatusOf(ctx, u)
	if err != nil {
		return nil, err
	}
	v := &mfaView{Available: true, Status: st}
	if st.PasskeysEnabled {
		if v.Passkeys, err = s.passkeyViews(ctx, u); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// loginMFAView tells the sign-in page whether to offer passkeys.
func (s *Server) loginMFAView() *mfaView {
	if s.Auth == nil || s.Auth.MFA == nil || s.Auth.MFA.WebAuthn == nil {
		return nil
	}
	return &mfaView{Available: true, Status: auth.MFAStatus{PasskeysEnabled: true}}
}

func (s *Server) handleLoginMFAPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if c, err := r.Cookie(PendingCookie); err != nil || c.Value == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	p := &pageData{Title: "Two-step sign-in", Form: map[string]string{}, ReturnTo: safeReturnTo(r.URL.Query().Get("returnTo"))}
	if r.URL.Query().Get("passkey") == "1" {
		// The sign-in offered a passkey (answerPending): show its button.
		// Only a hint for the page; the server decides what works.
		p.MFA = s.loginMFAView()
	}
	s.render(w, http.StatusOK, "login_mfa.html", p)
	return nil
}

// handleLoginMFAForm finishes a two-step sign-in from the form.
func (s *Server) handleLoginMFAForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, err := readInput(r, true, nil, []string{"code", "recoveryCode", "returnTo", "passkey"})
	p := &pageData{Title: "Two-step sign-in", Form: map[string]string{}, ReturnTo: safeReturnTo(in["returnTo"])}
	if in["passkey"] == "1" {
		p.MFA = s.loginMFAView() // keep the passkey button after a wrong code
	}
	if err == nil {
		var res *auth.Result
		if res, err = s.finishMFA(w, r, auth.MFAProof{Code: in["code"], RecoveryCode: in["recoveryCode"]}); err == nil {
			s.signIn(w, r, res)
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
			return nil
		}
	}
	if auth.MFASignInExpired.In(err) {
		err = withNextStep(err, "Go back to the sign-in page.")
	}
	return asForm(err, "login_mfa.html", p)
}

func (s *Server) accountPage(u *priceline.User, sess *priceline.Session, title string) *pageData {
	return &pageData{Title: title, User: u, CSRF: sess.CSRFToken, B2CEnabled: s.B2CEnabled, Form: map[string]string{}}
}

const backToAccount = "Go back to your account page to try again."

// handleAccountTOTPBegin shows a new authenticator app's QR code and secret.
func (s *Server) handleAccountTOTPBegin(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, []string{"currentPassword"}, []string{"csrf_token"})
	if err != nil {
		return withNextStep(err, backToAccount)
	}
	setup, err := s.Auth.BeginTOTP(r.Context(), u, in["currentPassword"], s.client(r))
	if err != nil {
		return withNextStep(err, backToAccount)
	}
	p := s.accountPage(u, sess, "Set up an authenticator app")
	p.MFA = &mfaView{Available: true, Setup: setup}
	s.render(w, http.StatusOK, "account_totp.html", p)
	return nil
}

// handleAccountTOTPConfirm turns the app on and shows the recovery codes.
func (s *Server) handleAccountTOTPConfirm(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return s.newRecoveryCodes(w, r, u, sess, "code", s.Auth.ConfirmTOTP,
		"Your authenticator app is set up.", "Go back to your account page and set up the app again.")
}

// newRecoveryCodes is a form of the account page that ends showing new
// recovery codes, once: issue gets them for the form's field (confirming a
// new authenticator app with a code, or replacing the codes with the
// current password), and notice says which it was. A refusal of issue is
// shown with next, the way back.
func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session, field string,
	issue func(ctx context.Context, u *priceline.User, value string, c auth.Client) ([]string, error), notice, next string) error {
	in, err := readInput(r, true, []string{field}, []string{"csrf_token"})
	if err != nil {
		return withNextStep(err, backToAccount)
	}
	codes, err := issue(r.Context(), u, in[field], s.client(r))
	if err != nil {
		return withNextStep(err, next)
	}
	p := s.accountPage(u, sess, "Your recovery codes")
	p.Notice = notice
	p.MFA = &mfaView{Available: true, RecoveryCodes: codes}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "recovery_codes.html", p)
	return nil
}

func (s *Server) handleAccountTOTPOff(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	in, err := readInput(r, true, []string{"currentPassword"}, []string{"csrf_token"})
	if err == nil {
		err = s.Auth.DisableTOTP(r.Context(), u, in["currentPassword"], s.client(r))
	}
	if err != nil {
		return withNextStep(err, backToAccount)
	}
	http.Redirect(w, r, "/account?done=totp-off", http.StatusSeeOther)
	return nil
}

func (s *Server) handleAccountRecoveryCodes(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return s.newRecoveryCodes(w, r, u, sess, "currentPassword", s.Auth.RegenerateRecoveryCodes,
		"Your old recovery codes no longer work.", backToAccount)
}

// passkeyViews lists u's passkeys for the account page.
func (s *Server) passkeyViews(ctx context.Context, u *priceline.User) ([]passkeyView, error) {
	list, err := s.Auth.ListPasskeys(ctx, u)
	if err != nil {
		return nil, err
	}
	out := make([]passkeyView, 0, len(list))
	for _, p := range list {
		v := passkeyView{ID: p.ID, Name: p.Name, Created: p.CreatedAt.UTC().Format(timeAttr), CreatedText: p.CreatedAt.UTC().Format(timeText), LastUsedText: "never"}
		if !p.LastUsedAt.IsZero() {
			v.LastUsed, v.LastUsedText = p.LastUsedAt.UTC().Format(timeAttr), p.LastUsedAt.UTC().Format(timeText)
		}
		out = append(out, v)
	}
	return out, nil
}

const (
	timeAttr = "2006-01-02T15:04:05Z07:00"
	timeText = "2 Jan 2006 15:04 UTC"
)
