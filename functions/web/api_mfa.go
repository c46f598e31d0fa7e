package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

// PendingCookie binds a pending two-step sign-in (and a passkey ceremony)
// to the browser that started it: __Host- (Secure, Path=/, no Domain),
// HttpOnly, SameSite=Strict, living as long as the server-side state
// (5 minutes); every attempt uses it up and a failed one sets a new value.
const PendingCookie = "__Host-mfa-pending"

// answerPending answers a login whose password was right but which needs a
// second factor: no session, the pending cookie, and for forms the page
// that asks for the code.
func (s *Server) answerPending(w http.ResponseWriter, r *http.Request, p *auth.PendingSignIn, returnTo string) error {
	w.Header().Set("Cache-Control", "no-store")
	setStepCookie(w, PendingCookie, p.ID, p.ExpiresAt, s.now())
	if isForm(r) {
		next := "/login/mfa?returnTo=" + url.QueryEscape(safeReturnTo(returnTo))
		if slices.Contains(p.Methods, auth.FactorPasskey) {
			next += "&passkey=1" // only which buttons the page shows
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"mfaRequired": true, "methods": p.Methods})
	return nil
}

// finishMFA runs the second step from r's pending cookie. A failure that
// renewed the pending sign-in sets the new cookie; one that ended it
// clears the cookie.
func (s *Server) finishMFA(w http.ResponseWriter, r *http.Request, proof auth.MFAProof) (*auth.Result, error) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(PendingCookie)
	if err != nil || c.Value == "" {
		return nil, auth.MFASignInExpired.Err()
	}
	res, err := s.Auth.FinishMFA(r.Context(), c.Value, proof, s.client(r))
	switch {
	case err == nil:
		setStepCookie(w, PendingCookie, "", time.Time{}, s.now())
	case res != nil && res.Pending != nil:
		setStepCookie(w, PendingCookie, res.Pending.ID, res.Pending.ExpiresAt, s.now())
	default:
		setStepCookie(w, PendingCookie, "", time.Time{}, s.now())
	}
	return res, err
}

// handleLoginMFA finishes a two-step sign-in with an authenticator code, a
// recovery code or a passkey assertion, and answers like a login (with
// returnTo, made safe, for the page's script to go to).
func (s *Server) handleLoginMFA(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, assertion, err := readMFAInput(r)
	if err != nil {
		return err
	}
	res, err := s.finishMFA(w, r, auth.MFAProof{Code: in["code"], RecoveryCode: in["recoveryCode"], Passkey: assertion})
	if err != nil {
		return err
	}
	s.signIn(w, r, res)
	if isForm(r) {
		http.Redirect(w, r, safeReturnTo(in["returnTo"]), http.StatusSeeOther)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"user": toUserJSON(res.User), "csrfToken": res.Session.CSRFToken, "returnTo": safeReturnTo(in["returnTo"]),
	})
	return nil
}

// readMFAInput reads the second step's body: the fields code, recoveryCode
// and returnTo (JSON or a form), or JSON {"credential": {…}, "returnTo"}
// with a passkey assertion, which it returns apart.
func readMFAInput(r *http.Request) (input, json.RawMessage, error) {
	if requireJSON(r) == nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, bodyReadError(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var probe map[string]json.RawMessage
		if json.Unmarshal(body, &probe) == nil && probe["credential"] != nil {
			b, err := readPasskeyBody(r)
			if err != nil {
				return nil, nil, err
			}
			if b.Name != "" {
				return nil, nil, invalid("unknown_field", "The field %q is not expected here.", "name")
			}
			return input{"returnTo": b.ReturnTo}, b.Credential, nil
		}
	}
	in, err := readInput(r, true, nil, []string{"code", "recoveryCode", "returnTo"})
	return in, nil, err
}

// handleLoginMFAPasskeyOptions starts a passkey as the second step of the
// pending sign-in in the cookie: options for that account's passkeys only.
// It uses up the pending cookie and sets the next one, which now carries
// the ceremony.
func (s *Server) handleLoginMFAPasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(PendingCookie)
	if err != nil || c.Value == "" {
		return auth.MFASignInExpired.Err()
	}
	cer, err := s.Auth.BeginMFAPasskey(r.Context(), c.Value)
	if cer != nil {
		setStepCookie(w, PendingCookie, cer.ID, cer.ExpiresAt, s.now())
	} else {
		setStepCookie(w, PendingCookie, "", time.Time{}, s.now())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cer.Options)
	return nil
}

// mfaStatusJSON is the public view of auth.MFAStatus.
type mfaStatusJSON struct {
	TOTP              bool `json:"totp"`
	TOTPPending       bool `json:"totpPending"`
	Passkeys          int  `json:"passkeys"`
	RecoveryCodesLeft int  `json:"recoveryCodesLeft"`
	Enabled           bool `json:"enabled"`
}

func (s *Server) handleMFAStatus(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerOwn(w, r, func() (any, error) {
		st, err := s.Auth.MFAStatusOf(r.Context(), u)
		if err != nil {
			return nil, err
		}
		return mfaStatusJSON{
			TOTP: st.TOTP, TOTPPending: st.TOTPPending, Passkeys: st.Passkeys,
			RecoveryCodesLeft: st.RecoveryCodesLeft, Enabled: st.Enabled(),
		}, nil
	})
}

func (s *Server) handleTOTPBegin(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerInput(w, r, http.StatusOK, []string{"currentPassword"}, nil, func(in input) (any, error) {
		setup, err := s.Auth.BeginTOTP(r.Context(), u, in["currentPassword"], s.client(r))
		if err != nil {
			return nil, err
		}
		return map[string]any{"secret": setup.Secret, "otpauthUri": setup.OTPAuthURI, "qrCode": setup.QRCode}, nil
	})
}

func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerInput(w, r, http.StatusOK, []string{"code"}, nil, func(in input) (any, error) {
		codes, err := s.Auth.ConfirmTOTP(r.Context(), u, in["code"], s.client(r))
		return map[string]any{"recoveryCodes": codes}, err
	})
}

func (s *Server) handleTOTPDisable(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerInput(w, r, http.StatusNoContent, []string{"currentPassword"}, nil, func(in input) (any, error) {
		return nil, s.Auth.DisableTOTP(r.Context(), u, in["currentPassword"], s.client(r))
	})
}

func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerInput(w, r, http.StatusOK, []string{"currentPassword"}, nil, func(in input) (any, error) {
		codes, err := s.Auth.RegenerateRecoveryCodes(r.Context(), u, in["currentPassword"], s.client(r))
		return map[string]any{"recoveryCodes": codes}, err
	})
}
