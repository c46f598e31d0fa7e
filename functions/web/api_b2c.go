package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"hospitalpriceline/functions/b2c"
	"hospitalpriceline/functions/priceline"
)

// B2CFlowCookie carries the ID of the browser's pending B2C sign-in. It
// binds the callback to the browser that started the sign-in (ASVS V10.1.2):
// the provider's state must match the flow this cookie names. The __Host-
// prefix makes the browser insist on Secure, Path=/ and no Domain.
const B2CFlowCookie = "__Host-b2cflow"

// B2CSignIn is what the Azure AD B2C / Entra External ID routes need. A nil
// *B2CSignIn means cloud sign-in is not configured: every B2C route then
// answers 404 b2c_not_configured.
type B2CSignIn struct {
	// Client talks to the provider. It may be nil while the client secret
	// cannot be read yet (Key Vault down at startup): sign-in and the
	// callback then answer 503 b2c_not_ready until SetClient supplies one,
	// and sign-out ends the session here only.
	Client *b2c.Client
	// Flows keeps each sign-in attempt until its callback, which any
	// instance may receive.
	Flows priceline.AuthFlowStore
	// ResetPolicy and EditPolicy are the password-reset and profile-edit
	// user flows; "" when not configured (always "" for External ID).
	ResetPolicy, EditPolicy string
	// Tokens keeps the provider's token cache of each B2C session, keyed
	// by our session; nil keeps nothing. Only a Client with downstream API
	// scopes (Client.KeepsTokens) produces anything to keep.
	Tokens priceline.TokenCacheStore

	late atomic.Pointer[b2c.Client] // set by SetClient when Client is nil
}

// SetClient supplies the provider client to a B2CSignIn that started
// without one; it is safe while requests are being served.
func (sso *B2CSignIn) SetClient(c *b2c.Client) { sso.late.Store(c) }

// Ready reports whether there is a provider client to sign in with.
func (sso *B2CSignIn) Ready() bool { return sso.client() != nil }

// client returns the provider client, or nil while there is none yet.
func (sso *B2CSignIn) client() *b2c.Client {
	if sso.Client != nil {
		return sso.Client
	}
	return sso.late.Load()
}

// b2cRetryAfter is what a browser is told to wait while cloud sign-in is
// not ready: the app retries reading its secret every few seconds at first.
const b2cRetryAfter = 5 * time.Second

// b2cNotReady is the answer of the B2C routes while the provider client
// is missing; like any outage it is a 503 with Retry-After, not a 404, since
// cloud sign-in is configured and will come back by itself.
func b2cNotReady() error {
	return &priceline.Error{
		Kind:       priceline.KindUnavailable,
		Code:       "b2c_not_ready",
		Message:    "Sign-in with Azure AD B2C is not available at the moment. Please try again shortly.",
		RetryAfter: b2cRetryAfter,
	}
}

// isEditProfile reports whether flow runs the profile-edit user flow.
func (sso *B2CSignIn) isEditProfile(flow *priceline.AuthFlow) bool {
	return sso.EditPolicy != "" && strings.EqualFold(flow.Policy, sso.EditPolicy)
}

// b2cNotConfigured is the answer of every B2C route without B2C settings.
func b2cNotConfigured() error {
	return priceline.Errorf(priceline.KindNotFound, "b2c_not_configured", "Sign-in with Azure AD B2C is not available here.")
}

// handleB2CLogin starts a sign-in with the default sign-up/sign-in flow:
// GET /api/auth/b2c/login?returnTo=/path.
func (s *Server) handleB2CLogin(sso *B2CSignIn) handlerFunc {
	return s.b2cRoute(sso, func(w http.ResponseWriter, r *http.Request) error {
		return s.beginB2C(w, r, sso, "", safeReturnTo(r.URL.Query().Get("returnTo")))
	})
}

// b2cRoute wraps a B2C handler: 404 b2c_not_configured without settings,
// 503 b2c_not_ready while there is no provider client yet, and every error
// answered once by b2cFail.
func (s *Server) b2cRoute(sso *B2CSignIn, next handlerFunc) handlerFunc {
	return s.b2cRouteWhen(sso, true, next)
}

// b2cRouteWhen is b2cRoute; needsClient false lets next run without a
// provider client (sign-out, which can always end the session here).
func (s *Server) b2cRouteWhen(sso *B2CSignIn, needsClient bool, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var err error
		switch {
		case sso == nil:
			err = b2cNotConfigured()
		case needsClient && !sso.Ready():
			w.Header().Set("Cache-Control", "no-store")
			err = b2cNotReady()
		default:
			err = next(w, r)
		}
		if err != nil {
			return s.b2cFail(w, r, err)
		}
		return nil
	}
}

// handleB2CResetPassword starts the password-reset user flow:
// GET /api/auth/b2c/reset-password?returnTo=/path.
func (s *Server) handleB2CResetPassword(sso *B2CSignIn) handlerFunc {
	return s.b2cRoute(sso, func(w http.ResponseWriter, r *http.Request) error {
		if sso.ResetPolicy == "" {
			return priceline.Errorf(priceline.KindNotFound, "b2c_reset_not_configured",
				"Reset your password from the cloud sign-in page (\"Forgot your password?\").")
		}
		return s.beginB2C(w, r, sso, sso.ResetPolicy, safeReturnTo(r.URL.Query().Get("returnTo")))
	})
}

// handleB2CEditProfile starts the profile-edit user flow for a signed-in
// B2C user: GET /api/auth/b2c/edit-profile. A signed-out visitor is sent to
// sign in first; a local account has no cloud profile to edit.
func (s *Server) handleB2CEditProfile(sso *B2CSignIn) handlerFunc {
	inner := s.withPageSession(func(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
		if u.Provider != priceline.ProviderB2C {
			return priceline.Errorf(priceline.KindForbidden, "b2c_not_cloud_account",
				"Your account signs in with a password kept here, so there is no cloud profile to edit. Change your details on your account page.")
		}
		returnTo := "/account"
		if v := r.URL.Query().Get("returnTo"); v != "" {
			returnTo = safeReturnTo(v)
		}
		return s.beginB2C(w, r, sso, sso.EditPolicy, returnTo)
	})
	return s.b2cRoute(sso, func(w http.ResponseWriter, r *http.Request) error {
		if sso.EditPolicy == "" {
			return priceline.Errorf(priceline.KindNotFound, "b2c_edit_not_configured", "Editing your cloud profile is not available here.")
		}
		return inner(w, r)
	})
}

// beginB2C stores a new flow for policy, binds it to this browser with the
// flow cookie and sends the browser to the provider.
func (s *Server) beginB2C(w http.ResponseWriter, r *http.Request, sso *B2CSignIn, policy, returnTo string) error {
	w.Header().Set("Cache-Control", "no-store")
	authURL, flow, err := sso.client().Begin(r.Context(), policy, returnTo)
	if err != nil {
		return err
	}
	if err := sso.Flows.PutFlow(r.Context(), flow); err != nil {
		return err
	}
	setFlowCookie(w, flow.ID)
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// handleB2CCallback finishes a sign-in: GET /api/auth/b2c/callback. The
// flow named by the cookie is taken (so a callback completes at most once),
// the provider's answer is checked against it, and only then is the user
// signed in, exactly as a password login would be.
func (s *Server) handleB2CCallback(sso *B2CSignIn) handlerFunc {
	return s.b2cRoute(sso, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		// The URL holds a one-time code; no link on an error page may leak it.
		w.Header().Set("Referrer-Policy", "no-referrer")
		refuse := func(err error) error {
			clearFlowCookie(w)
			return err
		}
		ctx := r.Context()
		var flowID string
		if c, err := r.Cookie(B2CFlowCookie); err == nil {
			flowID = c.Value
		}
		if !priceline.IsLowerHex(flowID, 64) {
			return refuse(errFlowMissing())
		}
		flow, err := sso.Flows.TakeFlow(ctx, flowID)
		switch {
		case priceline.ErrorCode(err) == "auth_flow_expired" || (err == nil && flow.Expired(s.now())):
			return refuse(priceline.Errorf(priceline.KindForbidden, "b2c_flow_expired", "This sign-in attempt took too long. Please start again."))
		case priceline.IsNotFound(err):
			return refuse(errFlowMissing())
		case err != nil:
			return refuse(err)
		}
		if sso.isEditProfile(flow) {
			// A profile edit is not a sign-in: it neither starts a session
			// nor touches the kept tokens, and only updates the user signed
			// in here.
			id, err := sso.client().Complete(ctx, flow, r.URL.Query())
			if err == nil {
				err = s.applyProfileEdit(r, id)
			}
			if priceline.ErrorCode(err) == "b2c_cancelled" {
				clearFlowCookie(w)
				http.Redirect(w, r, s.cancelledTarget(sso, flow), http.StatusSeeOther)
				return nil
			}
			if err != nil {
				return refuse(err)
			}
			clearFlowCookie(w)
			http.Redirect(w, r, safeReturnTo(flow.ReturnTo), http.StatusSeeOther)
			return nil
		}
		id, tokens, err := sso.client().CompleteWithTokens(ctx, flow, r.URL.Query())
		if err != nil {
			switch priceline.ErrorCode(err) {
			case "b2c_forgot_password":
				if sso.ResetPolicy != "" {
					// B2C's sign-in page links "Forgot your password?" back to
					// us with AADB2C90118; the reset is a user flow of its own.
					if err := s.beginB2C(w, r, sso, sso.ResetPolicy, flow.ReturnTo); err != nil {
						return refuse(err)
					}
					return nil
				}
			case "b2c_cancelled":
				clearFlowCookie(w)
				http.Redirect(w, r, s.cancelledTarget(sso, flow), http.StatusSeeOther)
				return nil
			}
			return refuse(err)
		}
		res, err := s.Auth.SignInExternal(ctx, id, s.client(r))
		if err != nil {
			return refuse(err)
		}
		s.endPreviousSession(r)
		s.keepTokenCache(ctx, sso, res.Session, tokens)
		s.startSession(w, res)
		clearFlowCookie(w)
		http.Redirect(w, r, safeReturnTo(flow.ReturnTo), http.StatusSeeOther)
		return nil
	})
}

// applyProfileEdit updates the signed-in user from a finished profile-edit
// flow. The browser must still be signed in, and as the very identity the
// provider just vouched for (same provider and subject): the flow cookie
// proves the edit was started in this browser, but not that the session is
// still the one that started it (it may have ended, or another account may
// have signed in meanwhile in another tab).
func (s *Server) applyProfileEdit(r *http.Request, id *priceline.ExternalIdentity) error {
	u, _, err := s.authenticate(r)
	if priceline.ErrorKind(err) == priceline.KindUnauthorized {
		return priceline.Errorf(priceline.KindForbidden, "b2c_profile_signed_out",
			"You are no longer signed in here, so your profile change was not applied. Sign in and edit your profile again.")
	}
	if err != nil {
		return err
	}
	_, err = s.Auth.UpdateCloudProfile(r.Context(), u, id)
	return err
}

// keepTokenCache stores the provider tokens of a new B2C session, when
// there are any (downstream API scopes configured) and a store is set. A
// failure does not undo the sign-in: the session is valid without them,
// only calls to the downstream API will ask the user to sign in again. The
// cache is never logged, nor is the session key.
func (s *Server) keepTokenCache(ctx context.Context, sso *B2CSignIn, sess *priceline.Session, blob []byte) {
	if blob == nil || sso.Tokens == nil || sess == nil {
		return
	}
	if err := sso.Tokens.PutTokenCache(ctx, sess.UserID, sess.Key, blob, sess.ExpiresAt); err != nil {
		s.logger().Error("could not keep the provider tokens of a new B2C session", "user_id", sess.UserID,
			"bytes", len(blob), "code", priceline.ErrorCode(err), "err", err)
	}
}

// dropTokenCache deletes the provider tokens kept for a session that has
// just ended. A failure is logged, not returned: the session is already
// gone, and the clean-up timer deletes caches whose session no longer
// exists.
func (s *Server) dropTokenCache(ctx context.Context, sso *B2CSignIn, sess *priceline.Session) {
	if sso == nil || sso.Tokens == nil || sess == nil || sess.Method != priceline.MethodB2C {
		return
	}
	if err := sso.Tokens.DeleteTokenCache(ctx, sess.UserID, sess.Key); err != nil {
		s.logger().Warn("could not delete the provider tokens of an ended session; the clean-up timer will", "user_id", sess.UserID, "err", err)
	}
}

// cancelledTarget is where a cancelled flow lands: back to sign-in with a
// message, or, for a profile edit (the user is still signed in), back where
// they were.
func (s *Server) cancelledTarget(sso *B2CSignIn, flow *priceline.AuthFlow) string {
	if sso.isEditProfile(flow) {
		return safeReturnTo(flow.ReturnTo)
	}
	return "/login?b2c=cancelled&returnTo=" + url.QueryEscape(safeReturnTo(flow.ReturnTo))
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

func errFlowMissing() error {
	return priceline.Errorf(priceline.KindForbidden, "b2c_flow_missing",
		"This sign-in response does not belong to a sign-in started in this browser, or it was already used. Please start again.")
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
// skipped.
func (s *Server) handleB2CLogout(sso *B2CSignIn) handlerFunc {
	inner := s.withSession(func(w http.ResponseWriter, r *http.Request, _ *priceline.User, sess *priceline.Session) error {
		tok := r.URL.Query().Get("csrf_token")
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRFToken)) != 1 {
			return priceline.Errorf(priceline.KindForbidden, "csrf_failed", "This sign-out link has expired or did not come from this site. Reload the page and try again.")
		}
		if err := s.Auth.Logout(r.Context(), sess); err != nil {
			return err
		}
		s.dropTokenCache(r.Context(), sso, sess)
		clearSessionCookie(w)
		if sess.Method != priceline.MethodB2C {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		}
		client := sso.client()
		if client == nil {
			// Cloud sign-in is not ready (its secret is still being read):
			// a 503 here would keep the session alive, so end it here and
			// leave the provider's session to its own timeout.
			s.logger().Warn("B2C sign-in is not ready; signed out locally only")
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		}
		target, err := client.LogoutURL(r.Context(), "", "", strings.TrimRight(s.Config.PublicURL, "/")+"/")
		if err != nil {
			// Signed out here is what matters most; the provider's own
			// session then ends by its own timeout.
			s.logger().Warn("could not build the B2C sign-out URL; signed out locally only", "err", err)
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, target, http.StatusFound)
		return nil
	})
	return s.b2cRouteWhen(sso, false, inner)
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

// expiredFlowSweeper is a flow store that can delete abandoned flows, as
// tablestorage.AuthFlowStore can. It is not part of priceline.AuthFlowStore
// because taking a flow already refuses expired ones; sweeping only
// reclaims storage.
type expiredFlowSweeper interface {
	DeleteExpiredFlows(ctx context.Context, now time.Time) (int, error)
}

// cleanupB2CFlows deletes sign-in flows that expired without a callback
// (the user closed the tab), for the clean-up timer. It does nothing when
// B2C is not configured or the store cannot sweep.
func (s *Server) cleanupB2CFlows(ctx context.Context, sso *B2CSignIn) (int, error) {
	if sso == nil {
		return 0, nil
	}
	sw, ok := sso.Flows.(expiredFlowSweeper)
	if !ok {
		return 0, nil
	}
	return sw.DeleteExpiredFlows(ctx, s.now())
}

// orphanedTokenCacheSweeper is a token cache store that can delete the
// caches of sessions that have ended, as tablestorage.TokenCacheStore can.
type orphanedTokenCacheSweeper interface {
	DeleteOrphanedTokenCaches(ctx context.Context, now time.Time) (int, error)
}

// cleanupB2CTokenCaches deletes kept provider tokens whose session has
// ended in any way (revoked, timed out, password changed, signed out
// elsewhere), for the clean-up timer. It does nothing when no tokens are
// kept or the store cannot sweep.
func (s *Server) cleanupB2CTokenCaches(ctx context.Context, sso *B2CSignIn) (int, error) {
	if sso == nil || sso.Tokens == nil {
		return 0, nil
	}
	sw, ok := sso.Tokens.(orphanedTokenCacheSweeper)
	if !ok {
		return 0, nil
	}
	return sw.DeleteOrphanedTokenCaches(ctx, s.now())
}

// setFlowCookie binds a new flow to this browser for at most the flow's
// lifetime. SameSite=Lax, not Strict: the callback is a top-level
// navigation from the provider's site, which Strict would send without it.
func setFlowCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     B2CFlowCookie,
		Value:    id,
		Path:     "/",
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(b2c.FlowLifetime.Seconds()),
	})
}

func clearFlowCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     B2CFlowCookie,
		Value:    "",
		Path:     "/",
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   -1,
	})
}
