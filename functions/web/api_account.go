package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

// userJSON is the public view of a user.
type userJSON struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	Provider      string `json:"provider"`
	EmailVerified bool   `json:"emailVerified"`
}

func toUserJSON(u *priceline.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Provider: u.Provider, EmailVerified: u.EmailVerified}
}

// sessionJSON is the public view of a session. Its id is the storage key
// (a hash), never the secret session ID.
type sessionJSON struct {
	ID            string    `json:"id"`
	CreatedAt     time.Time `json:"createdAt"`
	LastSeenAt    time.Time `json:"lastSeenAt"`
	ExpiresAt     time.Time `json:"expiresAt"`
	IdleExpiresAt time.Time `json:"idleExpiresAt"`
	Method        string    `json:"method"`
	UserAgent     string    `json:"userAgent,omitempty"`
	Current       bool      `json:"current"`
}

func toSessionJSON(s *priceline.Session, current string) sessionJSON {
	return sessionJSON{
		ID: s.Key, CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
		IdleExpiresAt: s.IdleExpiresAt.UTC(), Method: s.Method, UserAgent: s.UserAgent, Current: s.Key == current,
	}
}

// handleHealth reports each dependency: "ok", "starting" (still loading
// for the first time since the process started) or "unavailable". Anything but ok
// makes it 503 with Retry-After: "starting" when only loading is pending,
// "degraded" when a check failed.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok, starting := true, false
	for _, hc := range s.Health {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := hc.Check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, ErrStarting) {
				starting = true
				checks[hc.Name] = "starting"
				return
			}
			if err != nil {
				ok = false
				checks[hc.Name] = "unavailable"
				s.logger().Warn("health check failed", "check", hc.Name, "err", err)
				return
			}
			checks[hc.Name] = "ok"
		}()
	}
	wg.Wait()
	status, code := "ok", http.StatusOK
	switch {
	case !ok:
		status, code = "degraded", http.StatusServiceUnavailable
	case starting:
		status, code = "starting", http.StatusServiceUnavailable
	}
	if code != http.StatusOK {
		w.Header().Set("Retry-After", strconv.Itoa(int(startingRetryAfter.Seconds())))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
	return nil
}

// handleRegister creates a local account (it does not sign in). The answer
// is the same whether or not the address already had an account.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"email", "password", "name"}, nil)
	if err != nil {
		return err
	}
	if _, err := s.Auth.RegisterFrom(r.Context(), in["email"], in["password"], in["name"], s.client(r)); err != nil {
		return err
	}
	if isForm(r) {
		http.Redirect(w, r, "/login?registered=1", http.StatusSeeOther)
		return nil
	}
	writeJSON(w, http.StatusCreated, registeredBody)
	return nil
}

// handleLogin verifies a password and starts a new session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"email", "password"}, []string{"returnTo"})
	if err != nil {
		return err
	}
	res, err := s.Auth.Login(r.Context(), in["email"], in["password"], s.client(r))
	if err != nil {
		return err
	}
	if res.Pending != nil {
		return s.answerPending(w, r, res.Pending, in["returnTo"]) // api_mfa.go
	}
	s.signIn(w, r, res)
	if isForm(r) {
		http.Redirect(w, r, safeReturnTo(in["returnTo"]), http.StatusSeeOther)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toUserJSON(res.User), "csrfToken": res.Session.CSRFToken})
	return nil
}

// endPreviousSession deletes the session the browser had before a new
// sign-in, so that signing in always replaces it (ASVS V7.2.4). A cookie
// that does not authenticate has nothing to end.
func (s *Server) endPreviousSession(r *http.Request) {
	if _, err := r.Cookie(SessionCookie); err != nil {
		return
	}
	if _, old, err := s.authenticate(r); err == nil {
		if err := s.Auth.Logout(r.Context(), old); err != nil {
			s.logger().Warn("could not end the previous session at sign-in", "err", err)
			return
		}
		s.dropTokenCache(r.Context(), s.B2C, old)
	}
}

// signIn answers a sign-in that succeeded, whichever way: the session the
// browser had before ends (endPreviousSession) and the new one starts.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, res *auth.Result) {
	s.endPreviousSession(r)
	s.startSession(w, res)
}

// startSession sets the cookie of a new session on the response, and the
// device cookie a sign-in to a local account issued.
func (s *Server) startSession(w http.ResponseWriter, res *auth.Result) {
	w.Header().Set("Cache-Control", "no-store")
	setSessionCookie(w, res.Cookie, res.Session.ExpiresAt, s.now())
	if res.Device != "" {
		setHostCookie(w, DeviceCookie, res.Device, http.SameSiteStrictMode, int(auth.DeviceCookieLifetime/time.Second))
	}
}

// client is where a request came from, with its device cookie if any
// (which only auth can tell valid or not).
func (s *Server) client(r *http.Request) auth.Client {
	c := auth.Client{IP: s.clientIP(r), UserAgent: r.UserAgent(), RequestID: requestID(r)}
	if d, err := r.Cookie(DeviceCookie); err == nil {
		c.Device = d.Value
	}
	return c
}

// handleLogout deletes the session record and clears the cookie.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, _ *priceline.User, sess *priceline.Session) error {
	if err := s.Auth.Logout(r.Context(), sess); err != nil {
		return err
	}
	s.dropTokenCache(r.Context(), s.B2C, sess)
	clearSessionCookie(w)
	if isForm(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMe describes the signed-in user and this session.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return answerOwn(w, r, func() (any, error) {
		return map[string]any{
			"user":      toUserJSON(u),
			"session":   toSessionJSON(sess, sess.Key),
			"csrfToken": sess.CSRFToken,
		}, nil
	})
}

// handleChangePassword changes the password, revokes every other session
// and renews this one.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, []string{"currentPassword", "newPassword"}, []string{"csrf_token"})
	if err != nil {
		return err
	}
	res, err := s.Auth.ChangePassword(r.Context(), u, sess, in["currentPassword"], in["newPassword"], s.client(r))
	if err != nil {
		return err
	}
	s.startSession(w, res)
	if isForm(r) {
		http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toUserJSON(res.User), "csrfToken": res.Session.CSRFToken})
	return nil
}

// handleListSessions lists the user's live sessions.
func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return answerOwn(w, r, func() (any, error) {
		list, err := s.Auth.ListSessions(r.Context(), u.ID)
		if err != nil {
			return nil, err
		}
		out := make([]sessionJSON, 0, len(list))
		for _, x := range list {
			out = append(out, toSessionJSON(x, sess.Key))
		}
		return map[string]any{"sessions": out}, nil
	})
}

// handleRevokeSession signs out one of the user's sessions.
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	id := r.PathValue("id")
	if err := s.revokeSession(r, u, id); err != nil {
		return err
	}
	if id == sess.Key {
		clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeSession signs out one of u's sessions, by its key (the id of
// sessionJSON) from the API's path or the account page's form, and logs it.
// A key of the wrong form is not found, like another user's.
func (s *Server) revokeSession(r *http.Request, u *priceline.User, key string) error {
	if !priceline.IsLowerHex(key, 64) {
		return priceline.Errorf(priceline.KindNotFound, "session_not_found", "That session was not found.")
	}
	if err := s.Auth.RevokeSession(r.Context(), u.ID, key); err != nil {
		return err
	}
	s.Auth.Events.Emit(r.Context(), auth.Event{Name: auth.EventSessionRevoked, Outcome: auth.OutcomeSuccess, Reason: "one", Client: s.client(r), UserID: u.ID})
	return nil
}

// handleRevokeOtherSessions signs out every session but this one, after
// re-authentication (the current password; cloud accounts a recent sign-in).
func (s *Server) handleRevokeOtherSessions(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	return answerInput(w, r, http.StatusOK, nil, []string{"currentPassword"}, func(in input) (any, error) {
		n, err := s.Auth.RevokeOtherSessionsReauth(r.Context(), u, sess, in["currentPassword"], s.client(r))
		return map[string]any{"revoked": n}, err
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
