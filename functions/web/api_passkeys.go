package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

// CeremonyCookie binds a WebAuthn ceremony (adding a passkey, or signing in
// with one) to the browser that began it; like PendingCookie it is
// __Host-, HttpOnly, SameSite=Strict and lives 5 minutes, and the server
// state it names is used once.
const CeremonyCookie = "__Host-webauthn"

// takeCeremonyCookie returns the ceremony ID and clears the cookie: the
// ceremony is used up whatever happens next.
func (s *Server) takeCeremonyCookie(w http.ResponseWriter, r *http.Request) (string, error) {
	setStepCookie(w, CeremonyCookie, "", time.Time{}, s.now())
	c, err := r.Cookie(CeremonyCookie)
	if err != nil || c.Value == "" {
		return "", auth.MFASignInExpired.Saying("This passkey step has expired or was already used. Please start again.").Err()
	}
	return c.Value, nil
}

// readCeremonyAnswer reads the body that finishes a ceremony and takes the
// ceremony's cookie, for adding a passkey and for signing in with one.
func (s *Server) readCeremonyAnswer(w http.ResponseWriter, r *http.Request) (*passkeyBody, string, error) {
	b, err := readPasskeyBody(r)
	if err != nil {
		return nil, "", err
	}
	id, err := s.takeCeremonyCookie(w, r)
	if err != nil {
		return nil, "", err
	}
	return b, id, nil
}

// answerCeremony sends a ceremony's options and binds it to the browser.
func (s *Server) answerCeremony(w http.ResponseWriter, c *auth.Ceremony) {
	w.Header().Set("Cache-Control", "no-store")
	setStepCookie(w, CeremonyCookie, c.ID, c.ExpiresAt, s.now())
	writeJSON(w, http.StatusOK, c.Options)
}

// passkeyBody is the body that finishes a ceremony: the browser's
// PublicKeyCredential as JSON, and for a new passkey its name.
type passkeyBody struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
	ReturnTo   string          `json:"returnTo"`
}

func readPasskeyBody(r *http.Request) (*passkeyBody, error) {
	if err := requireJSON(r); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyReadError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b passkeyBody
	if err := dec.Decode(&b); err != nil {
		return nil, invalid("malformed_json", "The request body is not the expected JSON object.")
	}
	if len(b.Credential) == 0 || b.Credential[0] != '{' {
		return nil, invalid("invalid_field", "The field %q must be the passkey's credential object.", "credential")
	}
	return &b, nil
}

func requireJSON(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return priceline.Errorf(priceline.KindUnsupported, "unsupported_media_type", "Send the request body as application/json.")
	}
	return nil
}

// passkeyJSON is the public view of a passkey.
type passkeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

func toPasskeyJSON(p *priceline.Passkey) passkeyJSON {
	out := passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC()}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt.UTC()
		out.LastUsedAt = &t
	}
	return out
}

func (s *Server) handlePasskeyOptions(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	in, err := readInput(r, false, []string{"currentPassword"}, nil)
	if err != nil {
		return err
	}
	c, err := s.Auth.BeginPasskeyRegistration(r.Context(), u, in["currentPassword"], s.client(r))
	if err != nil {
		return err
	}
	s.answerCeremony(w, c)
	return nil
}

func (s *Server) handleAddPasskey(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	b, id, err := s.readCeremonyAnswer(w, r)
	if err != nil {
		return err
	}
	p, codes, err := s.Auth.FinishPasskeyRegistration(r.Context(), u, id, b.Name, b.Credential, s.client(r))
	if err != nil {
		return err
	}
	out := map[string]any{"passkey": toPasskeyJSON(p)}
	if codes != nil {
		out["recoveryCodes"] = codes // the account's first recovery codes, shown once
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleListPasskeys(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerOwn(w, r, func() (any, error) {
		list, err := s.Auth.ListPasskeys(r.Context(), u)
		if err != nil {
			return nil, err
		}
		out := make([]passkeyJSON, 0, len(list))
		for _, p := range list {
			out = append(out, toPasskeyJSON(p))
		}
		return map[string]any{"passkeys": out}, nil
	})
}

func (s *Server) handleDeletePasskey(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerInput(w, r, http.StatusNoContent, []string{"currentPassword"}, nil, func(in input) (any, error) {
		return nil, s.Auth.DeletePasskey(r.Context(), u, r.PathValue("id"), in["currentPassword"], s.client(r))
	})
}

func (s *Server) handlePasskeySignInOptions(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	c, err := s.Auth.BeginPasskeySignIn(r.Context())
	if err != nil {
		return err
	}
	s.answerCeremony(w, c)
	return nil
}

// handlePasskeySignIn finishes a passkey sign-in and answers like a login,
// with returnTo (made safe) for the page to go to.
func (s *Server) handlePasskeySignIn(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	b, id, err := s.readCeremonyAnswer(w, r)
	if err != nil {
		return err
	}
	res, err := s.Auth.FinishPasskeySignIn(r.Context(), id, b.Credential, s.client(r))
	if err != nil {
		return err
	}
	s.signIn(w, r, res)
	writeJSON(w, http.StatusOK, map[string]any{
		"user": toUserJSON(res.User), "csrfToken": res.Session.CSRFToken, "returnTo": safeReturnTo(b.ReturnTo),
	})
	return nil
}

func (s *Server) handleAccountPasskeyDelete(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	in, err := readInput(r, true, []string{"id", "currentPassword"}, []string{"csrf_token"})
	if err == nil {
		err = s.Auth.DeletePasskey(r.Context(), u, in["id"], in["currentPassword"], s.client(r))
	}
	if err != nil {
		return withNextStep(err, backToAccount)
	}
	http.Redirect(w, r, "/account?done=passkey-removed", http.StatusSeeOther)
	return nil
}
