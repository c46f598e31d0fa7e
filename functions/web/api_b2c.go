package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

// B2CFlowCookie carries the ID of the browser's pending B2C sign-in. It
// binds the callback to the browser that started the sign-in (ASVS V10.1.2):
// the provider's state must match the flow this cookie names. The __Host-
// prefix makes the browser insist on Secure, Path=/ and no Domain.
const B2CFlowCookie = "__Host-b2cflow"

// handleB2CLogin starts a sign-in with the default sign-up/sign-in flow:
// GET /api/auth/b2c/login?returnTo=/path.
func (s *Server) handleB2CLogin(sso *auth.CloudSignIn) handlerFunc {
	return s.b2cStart(sso, auth.CloudLogin, func(r *http.Request) (*auth.CloudOutcome, error) {
		return s.Auth.BeginCloudSignIn(r.Context(), sso, r.URL.Query().Get("returnTo"), s.client(r))
	})
}

// handleB2CResetPassword starts the password-reset user flow:
// GET /api/auth/b2c/reset-password?returnTo=/path.
func (s *Server) handleB2CResetPassword(sso *auth.CloudSignIn) handlerFunc {
	return s.b2cStart(sso, auth.CloudResetPassword, func(r *http.Request) (*auth.CloudOutcome, error) {
		return s.Auth.BeginCloudPasswordReset(r.Context(), sso, r.URL.Query().Get("returnTo"), s.client(r))
	})
}

// b2cStart is a route that starts a user flow with begin, auth's step for
// it, and sends the browser to the provider.
func (s *Server) b2cStart(sso *auth.CloudSignIn, step auth.CloudStep, begin func(r *http.Request) (*auth.CloudOutcome, error)) handlerFunc {
	return s.b2cRoute(sso, step, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		out, err := begin(r)
		if err != nil {
			return err
		}
		return s.b2cRedirect(w, r, out)
	})
}

// handleB2CEditProfile starts the profile-edit user flow for a signed-in
// B2C user: GET /api/auth/b2c/edit-profile. A signed-out visitor is sent to
// sign in first; auth refuses a local account, which has no cloud profile.
func (s *Server) handleB2CEditProfile(sso *auth.CloudSignIn) handlerFunc {
	return s.b2cRoute(sso, auth.CloudEditProfile, s.withPageSession(func(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
		out, err := s.Auth.BeginCloudProfileEdit(r.Context(), sso, u, r.URL.Query().Get("returnTo"))
		if err != nil {
			return err
		}
		return s.b2cRedirect(w, r, out)
	}))
}

// handleB2CReauth starts a re-authentication at the provider before a
// sensitive change of a signed-in cloud account:
// GET /api/auth/b2c/reauth?action=delete|signout-others&returnTo=/path.
// It only asks the provider for a fresh sign-in; the change itself is the
// page's own CSRF-protected request afterwards (auth.BeginCloudReauth), so
// a GET started by another site confirms nothing by itself.
func (s *Server) handleB2CReauth(sso *auth.CloudSignIn) handlerFunc {
	return s.b2cRoute(sso, auth.CloudReauth, s.withPageSession(func(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
		w.Header().Set("Cache-Control", "no-store")
		q := r.URL.Query()
		out, err := s.Auth.BeginCloudReauth(r.Context(), sso, u, sess, q.Get("action"), q.Get("returnTo"))
		if err != nil {
			return err
		}
		return s.b2cRedirect(w, r, out)
	}))
}

// handleB2CCallback finishes a sign-in: GET /api/auth/b2c/callback. The
// flow, the provider's answer and the new session are auth's
// (Service.FinishCloudSignIn); this handler hands it the cookies and the
// query, and turns the outcome into cookies and a redirect.
func (s *Server) handleB2CCallback(sso *auth.CloudSignIn) handlerFunc {
	return s.b2cRoute(sso, auth.CloudFinish, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		// The URL holds a one-time code; no link on an error page may leak it.
		w.Header().Set("Referrer-Policy", "no-referrer")
		cb := auth.CloudCallback{Query: r.URL.Query(), Client: s.client(r)}
		if c, err := r.Cookie(B2CFlowCookie); err == nil {
			cb.FlowID = c.Value
		}
		if c, err := r.Cookie(SessionCookie); err == nil {
			cb.SessionCookie = c.Value
		}
		out, err := s.Auth.FinishCloudSignIn(r.Context(), sso, cb)
		if err != nil {
			clearFlowCookie(w) // the flow is spent or was never this browser's
			if k := priceline.ErrorKind(err); k != priceline.KindInternal && k != priceline.KindUnavailable {
				s.securityEvent(r, auth.EventCloudRefused, priceline.ErrorCode(err), "")
			}
			return err
		}
		if out.Session != nil {
			s.signIn(w, r, out.Session)
		}
		if out.FlowID == "" {
			clearFlowCookie(w) // else b2cRedirect binds the new flow (password reset)
		}
		return s.b2cRedirect(w, r, out)
	})
}

// b2cRedirect answers a B2C step that succeeded: it binds a flow just
// started to the browser, and redirects, 302 to the provider and 303 back
// into the site after a step here (a cancelled sign-in to the sign-in page,
// a cancelled confirmation to the account page, each with its notice). Failures that did not stop the step are logged, by code
// only.
func (s *Server) b2cRedirect(w http.ResponseWriter, r *http.Request, out *auth.CloudOutcome) error {
	if out.TokensNotKept != nil && out.Session != nil {
		s.logger().Error("could not keep the provider tokens of a new B2C session", "user_id", out.Session.Session.UserID,
			"code", priceline.ErrorCode(out.TokensNotKept), "err", out.TokensNotKept)
	}
	if out.TokensNotDropped != nil {
		s.logger().Warn("could not delete the provider tokens of an ended session; the clean-up timer will", "err", out.TokensNotDropped)
	}
	if out.SignedOutHereOnly != nil {
		s.logger().Warn("signed out of B2C here only; the provider's session ends by its own timeout", "err", out.SignedOutHereOnly)
	}
	if out.FlowID != "" {
		setFlowCookie(w, out.FlowID)
	}
	switch {
	case out.ToProvider:
		http.Redirect(w, r, out.Redirect, http.StatusFound)
	case out.SignInCancelled:
		http.Redirect(w, r, "/login?b2c=cancelled&returnTo="+url.QueryEscape(out.Redirect), http.StatusSeeOther)
	case out.ReauthCancelled != "":
		// Not the returnTo: it shows the form that finishes the action.
		http.Redirect(w, r, "/account?cancelled="+url.QueryEscape(out.ReauthCancelled), http.StatusSeeOther)
	default:
		http.Redirect(w, r, out.Redirect, http.StatusSeeOther)
	}
	return nil
}

// b2cRoute wraps a B2C handler: 404 b2c_not_configured without settings,
// 503 b2c_not_ready while there is no provider client yet (step decides:
// sign-out can always end the session here), 404 for an unset user flow,
// then 503 while what the route needs (routeNeed) is not ready, and every
// error answered once by b2cFail.
func (s *Server) b2cRoute(sso *auth.CloudSignIn, step auth.CloudStep, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := sso.Check(step)
		if err == nil {
			err = s.Ready.check(routeNeed(r))
		}
		if priceline.ErrorKind(err) == priceline.KindUnavailable {
			w.Header().Set("Cache-Control", "no-store")
		}
		if err == nil {
			err = next(w, r)
		}
		if err != nil {
			return s.b2cFail(w, r, err)
		}
		return nil
	}
}

// dropTokenCache deletes the provider tokens kept for a session that has
// just ended, when it was a B2C session and tokens are kept. A failure is
// logged, not returned: the session is already gone, and the clean-up timer
// deletes caches whose session no longer exists.
func (s *Server) dropTokenCache(ctx context.Context, sso *auth.CloudSignIn, sess *priceline.Session) {
	if err := sso.DropTokenCache(ctx, sess); err != nil {
		s.logger().Warn("could not delete the provider tokens of an ended session; the clean-up timer will", "err", err)
	}
}

// b2cLoginNotice is the sign-in page's notice for its b2c query parameter
// ("" for none), so a cancelled cloud sign-in is explained, not silent.
func b2cLoginNotice(q url.Values) string {
	switch q.Get("b2c") {
	case "cancelled":
		return "Sign-in was cancelled."
	}
	return ""
}

// handleB2CLogout signs out of this site and then of the provider:
// GET /api/auth/b2c/logout?csrf_token=…, used as a plain link.
//
// A GET that changes state is a CSRF risk (ASVS V3.5.3): any page could sign
// users out with an image tag. So it needs the session's CSRF token in the
// query (ASVS V3.5.1). It is a GET, not a form POST, because the answer
// redirects to the provider's origin, and the Content-Security-Policy's
// form-action 'self' stops a form submission from following a redirect to
// another origin. The token in the URL is harmless afterwards: the session
// it belongs to is deleted by this very request, and the redirect to the
// provider carries only our origin as Referer. While cloud sign-in is not
// ready the session still ends here; only the provider's redirect is
// skipped (auth.Service.SignOutCloud).
func (s *Server) handleB2CLogout(sso *auth.CloudSignIn) handlerFunc {
	return s.b2cRoute(sso, auth.CloudLogout, s.withSession(func(w http.ResponseWriter, r *http.Request, _ *priceline.User, sess *priceline.Session) error {
		tok := r.URL.Query().Get("csrf_token")
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRFToken)) != 1 {
			return priceline.Errorf(priceline.KindForbidden, "csrf_failed", "This sign-out link has expired or did not come from this site. Reload the page and try again.")
		}
		out, err := s.Auth.SignOutCloud(r.Context(), sso, sess, strings.TrimRight(s.Config.PublicURL, "/")+"/")
		if err != nil {
			return err
		}
		clearSessionCookie(w)
		return s.b2cRedirect(w, r, out)
	}))
}

// b2cFail answers a failed B2C step. These routes are browser navigations
// under /api/, where respond would answer JSON, so a browser (Accept:
// text/html) gets the readable error page instead; other clients get the
// JSON error. Refusals are logged (by code only: the query holds a one-time
// code and the cookie a flow ID) because repeated ones are a sign of attack.
func (s *Server) b2cFail(w http.ResponseWriter, r *http.Request, err error) error {
	status := statusOf(err)
	if status < 500 && status != http.StatusNotFound {
		s.logger().Warn("b2c sign-in refused", "path", r.URL.Path, "status", status, "code", priceline.ErrorCode(err), "err", err)
	}
	return asBrowserPage(err)
}
