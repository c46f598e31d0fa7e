package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/funchost"
	"hospitalpriceline/functions/priceline"
)

// SessionCookie is the session cookie's name. The __Host- prefix makes the
// browser insist on Secure, Path=/ and no Domain (ASVS V3.3.3).
const SessionCookie = "__Host-session"

// DeviceCookie marks a browser that has signed in to an account with its
// password before, so that the login throttle can let the owner in while
// the account is locked for everyone else (auth.Service.Login). Strict, so
// that no other site can make the browser use it.
const DeviceCookie = "__Host-device"

// CleanupFunction is the timer function that deletes expired sessions, and
// CleanupSchedule its NCRONTAB schedule (every 15 minutes).
const (
	CleanupFunction = "CleanupExpiredSessions"
	CleanupSchedule = "0 */15 * * * *"
)

// Config is what the HTTP layer needs to know about its deployment.
type Config struct {
	PublicURL string // e.g. https://priceline.example.org; used for Origin checks and redirects
	// TrustForwardedFor takes the client address from X-Forwarded-For, as
	// written by the proxies in front of the app (see clientaddr.go).
	TrustForwardedFor bool
	// TrustedProxyHops is how many proxies append to X-Forwarded-For in
	// front of the handler: 1 for a bare Function App, 2 behind Front Door.
	// Below 1 counts as 1 when TrustForwardedFor is set.
	TrustedProxyHops int
}

// HealthCheck reports on one dependency for /api/health.
type HealthCheck struct {
	Name string
	// Check returns nil when the dependency is usable, ErrStarting while it
	// is still loading for the first time (it must then return at once,
	// without probing what has not answered yet), or why it is unavailable.
	Check func(ctx context.Context) error
}

// ErrStarting is what a HealthCheck returns while its dependency has not
// loaded yet since the process started; health reports it as "starting".
var ErrStarting = errors.New("starting: not loaded yet")

// Server serves the API, the pages and the timer function.
type Server struct {
	Config Config
	Auth   *auth.Service
	Health []HealthCheck
	Logger *slog.Logger
	Now    func() time.Time
	// B2CEnabled shows the "Sign in with Azure AD B2C" button.
	B2CEnabled bool
	// B2C is cloud sign-in through Azure AD B2C / Entra External ID; nil
	// when not configured, and every /api/auth/b2c/ route then answers 404.
	B2C *auth.CloudSignIn
	// Prices serves hospitals, procedures, prices and saved estimates; nil
	// answers 503 on those routes.
	Prices *PriceAPI
	// Ready says which dependencies have loaded since the process started;
	// each route answers 503 until what its row of the route table needs
	// is ready. Nil
	// is ready for everything.
	Ready *Readiness
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s.Logger
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// handlerFunc is a handler that returns its error for respond.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the route table. Routes that share a Name are one
// Azure Function (one function.json) serving several methods on one path.
type route struct {
	Name   string
	Method string
	Path   string // Go ServeMux path pattern
	// Need is what the route cannot answer without: until it is ready the
	// route answers 503 (gated; for cloud sign-in, b2cRoute). Every row
	// says, so that a new route must decide.
	Need   Need
	Handle handlerFunc
}

// routes is the only list of HTTP functions: the mux and every
// function.json are generated from it.
func (s *Server) routes() []route {
	rs := []route{
		{"Health", "GET", "/api/health", needNothing, s.handleHealth}, // reports readiness itself
		{"Register", "POST", "/api/register", NeedTables, s.handleRegister},
		{"Login", "POST", "/api/login", needSignIn, s.handleLogin},
		{"Logout", "POST", "/api/logout", needSession, s.withSession(s.handleLogout)},
		{"Me", "GET", "/api/me", needSession, s.withSession(s.handleMe)},
		{"MePassword", "POST", "/api/me/password", needSession, s.withSession(s.handleChangePassword)},
		{"MeSessions", "GET", "/api/me/sessions", needSession, s.withSession(s.handleListSessions)},
		{"MeSessions", "DELETE", "/api/me/sessions", needSession, s.withSession(s.handleRevokeOtherSessions)},
		{"MeSession", "DELETE", "/api/me/sessions/{id}", needSession, s.withSession(s.handleRevokeSession)},
		{"Me", "DELETE", "/api/me", needSession, s.withSession(s.handleDeleteAccount)},
		{"MeEmail", "POST", "/api/me/email", needSession, s.withSession(s.handleChangeEmail)},
		{"EmailVerify", "POST", "/api/email/verify", NeedTables, s.handleVerifyEmail},
		{"EmailVerifyResend", "POST", "/api/email/verify/resend", needSession, s.withSession(s.handleResendVerification)},
		{"PasswordForgot", "POST", "/api/password/forgot", NeedTables, s.handleForgotPassword},
		{"PasswordReset", "POST", "/api/password/reset", NeedTables, s.handleResetPassword},
		{"B2CLogin", "GET", "/api/auth/b2c/login", NeedTables, s.handleB2CLogin(s.B2C)},
		{"B2CCallback", "GET", "/api/auth/b2c/callback", needSignIn, s.handleB2CCallback(s.B2C)},
		{"B2CLogout", "GET", "/api/auth/b2c/logout", needSession, s.handleB2CLogout(s.B2C)},
		{"B2CResetPassword", "GET", "/api/auth/b2c/reset-password", NeedTables, s.handleB2CResetPassword(s.B2C)},
		{"B2CEditProfile", "GET", "/api/auth/b2c/edit-profile", needSession, s.handleB2CEditProfile(s.B2C)},
		{"B2CReauth", "GET", "/api/auth/b2c/reauth", needSession, s.handleB2CReauth(s.B2C)},

		{"PageHome", "GET", "/{$}", needNothing, s.handleHome},
		{"PageLogin", "GET", "/login", needNothing, s.handleLoginPage},
		{"PageLogin", "POST", "/login", needSignIn, s.handleLoginForm},
		{"PageRegister", "GET", "/register", needNothing, s.showPage("Create an account", "register.html", nil)},
		{"PageRegister", "POST", "/register", NeedTables, s.handleRegisterForm},
		{"PageAccount", "GET", "/account", needSession, s.withPageSession(s.handleAccountPage)},
		{"PageAccountPassword", "POST", "/account/password", needSession, s.withPageSession(s.handleAccountPassword)},
		{"PageAccountRevoke", "POST", "/account/sessions/revoke", needSession, s.withPageSession(s.handleAccountRevoke)},
		{"PageAccountRevokeOthers", "POST", "/account/sessions/revoke-others", needSession, s.withPageSession(s.handleAccountRevokeOthers)},
		{"PageAccountEmail", "POST", "/account/email", needSession, s.withPageSession(s.handleAccountEmail)},
		{"PageAccountResend", "POST", "/account/verify/resend", needSession, s.withPageSession(s.handleAccountResend)},
		{"PageAccountDelete", "POST", "/account/delete", needSession, s.withPageSession(s.handleAccountDelete)},
		{"PageForgotPassword", "GET", "/forgot-password", needNothing, s.showPage("Forgot your password?", "forgot.html", nil)},
		{"PageForgotPassword", "POST", "/forgot-password", NeedTables, s.handleForgotForm},
		{"PageResetPassword", "GET", "/reset-password", needNothing, s.showPage("Choose a new password", "reset.html", withLinkToken)},
		{"PageResetPassword", "POST", "/reset-password", NeedTables, s.handleResetForm},
		{"PageVerifyEmail", "GET", "/verify-email", needNothing, s.showPage("Confirm your email address", "verify.html", withLinkToken)},
		{"PageVerifyEmail", "POST", "/verify-email", NeedTables, s.handleVerifyForm},
		{"PageSearch", "GET", "/search", NeedTables, s.htmlPage(s.handleSearchPage)},
		{"PageCompare", "GET", "/compare", NeedTables, s.htmlPage(s.handleComparePage)},
		{"PageSaved", "GET", "/saved", needSession, s.htmlPage(s.withPageSession(s.handleSavedPage))},
		{"PageSaved", "POST", "/saved", needSession, s.htmlPage(s.withPageSession(s.handleSaveEstimate))},
		{"PageSavedDelete", "POST", "/saved/delete", needSession, s.htmlPage(s.withPageSession(s.handleDeleteEstimate))},
		{"Static", "GET", "/static/{path...}", needNothing, s.handleStatic},
		// Behind the Functions host, paths no function claims never reach
		// the handler; this function makes them our readable 404 too.
		{"NotFound", "GET", "/{path...}", needNothing, s.handleNotFound},

		// Two-step sign-in (api_mfa.go, pages_mfa.go) and passkeys (api_passkeys.go).
		{"LoginMFA", "POST", "/api/login/mfa", needSignIn, s.handleLoginMFA},
		{"LoginMFAPasskeyOptions", "POST", "/api/login/mfa/passkey/options", NeedTables, s.handleLoginMFAPasskeyOptions},
		{"MeMFA", "GET", "/api/me/mfa", needSession, s.withSession(s.handleMFAStatus)},
		{"MeMFATOTP", "POST", "/api/me/mfa/totp", needSession, s.withSession(s.handleTOTPBegin)},
		{"MeMFATOTP", "DELETE", "/api/me/mfa/totp", needSession, s.withSession(s.handleTOTPDisable)},
		{"MeMFATOTPConfirm", "POST", "/api/me/mfa/totp/confirm", needSession, s.withSession(s.handleTOTPConfirm)},
		{"MeMFARecoveryCodes", "POST", "/api/me/mfa/recovery-codes", needSession, s.withSession(s.handleRecoveryCodes)},
		{"PageLoginMFA", "GET", "/login/mfa", needNothing, s.handleLoginMFAPage},
		{"PageLoginMFA", "POST", "/login/mfa", needSignIn, s.handleLoginMFAForm},
		{"PageAccountTOTP", "POST", "/account/mfa/totp", needSession, s.withPageSession(s.handleAccountTOTPBegin)},
		{"PageAccountTOTPConfirm", "POST", "/account/mfa/totp/confirm", needSession, s.withPageSession(s.handleAccountTOTPConfirm)},
		{"PageAccountTOTPOff", "POST", "/account/mfa/totp/off", needSession, s.withPageSession(s.handleAccountTOTPOff)},
		{"PageAccountRecovery", "POST", "/account/mfa/recovery-codes", needSession, s.withPageSession(s.handleAccountRecoveryCodes)},
		{"MePasskeyOptions", "POST", "/api/me/passkeys/options", needSession, s.withSession(s.handlePasskeyOptions)},
		{"MePasskeys", "GET", "/api/me/passkeys", needSession, s.withSession(s.handleListPasskeys)},
		{"MePasskeys", "POST", "/api/me/passkeys", needSession, s.withSession(s.handleAddPasskey)},
		{"MePasskey", "DELETE", "/api/me/passkeys/{id}", needSession, s.withSession(s.handleDeletePasskey)},
		{"LoginPasskeyOptions", "POST", "/api/login/passkey/options", NeedTables, s.handlePasskeySignInOptions},
		{"LoginPasskey", "POST", "/api/login/passkey", needSignIn, s.handlePasskeySignIn},
		{"PageAccountPasskeyDelete", "POST", "/account/passkeys/delete", needSession, s.withPageSession(s.handleAccountPasskeyDelete)},
	}
	return append(rs, s.priceRoutes(s.Prices)...)
}

// priceRoutes are the price endpoints (api_prices.go, api_services.go,
// api_plan.go): the public ones, and the saved estimates and plan details
// behind s.withSession (signed in; the CSRF token on POST, PUT and DELETE).
// They take their PriceAPI, so that tests can mount them alone.
func (s *Server) priceRoutes(p *PriceAPI) []route {
	return []route{
		{"Hospitals", "GET", "/api/hospitals", NeedTables, p.handleHospitals},
		{"Procedures", "GET", "/api/procedures", NeedTables, p.handleProcedures},
		{"Prices", "GET", "/api/prices", NeedTables, p.handlePrices},
		{"PricesCompare", "GET", "/api/prices/compare", NeedTables, p.handleCompare},
		{"MeSaved", "GET", "/api/me/saved", needSession, s.withSession(p.handleListSaved)},
		{"MeSaved", "POST", "/api/me/saved", needSession, s.withSession(p.handleCreateSaved)},
		{"MeSavedItem", "DELETE", "/api/me/saved/{id}", needSession, s.withSession(p.handleDeleteSaved)},
		{"MePlan", "GET", "/api/me/plan", needSession, s.withSession(p.handleGetPlan)},
		{"MePlan", "PUT", "/api/me/plan", needSession, s.withSession(p.handlePutPlan)},
		{"Services", "GET", "/api/services", needNothing, p.handleServices}, // the embedded catalogue
		{"Payers", "GET", "/api/payers", NeedTables, p.handlePayers},
	}
}

// Functions lists every Azure Function this handler serves, for the staged
// function app: one per route name, plus the timer.
func (s *Server) Functions() []funchost.Function {
	var fns []funchost.Function
	index := map[string]int{}
	for _, rt := range s.routes() {
		if i, ok := index[rt.Name]; ok {
			fns[i].Methods = append(fns[i].Methods, rt.Method)
			continue
		}
		_, path, err := funchost.RouteFromPattern(rt.Method + " " + rt.Path)
		if err != nil {
			panic("route table: " + err.Error()) // a programming error, caught by tests
		}
		index[rt.Name] = len(fns)
		fns = append(fns, funchost.Function{Name: rt.Name, Methods: []string{rt.Method}, Route: path})
	}
	return append(fns, funchost.Function{Name: CleanupFunction, Schedule: CleanupSchedule})
}

// Handler returns the complete HTTP handler.
func (s *Server) Handler() http.Handler {
	return securityHeaders(withRequestID(s.limitBody(s.mux())))
}

// mux routes the route table and the timer function.
func (s *Server) mux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		var h handlerFunc
		if strings.HasPrefix(rt.Path, b2cPrefix) {
			// Cloud sign-in routes check readiness in b2cRoute, after
			// cloud sign-in's own Check (not configured, not ready).
			h = withNeed(rt.Need, rt.Handle)
		} else {
			h = s.gated(rt.Need, rt.Handle)
		}
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.respond(w, r, err)
			}
		})
	}
	mux.Handle("POST /"+CleanupFunction, funchost.TimerHandler(s.runCleanup))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.respond(w, r, notFound("This page"))
	})
	return mux
}

// handleNotFound answers any GET no other route claims.
func (s *Server) handleNotFound(http.ResponseWriter, *http.Request) error {
	return notFound("This page")
}

// runCleanup is the timer function: delete expired session records.
func (s *Server) runCleanup(ctx context.Context, _ funchost.InvokeRequest) ([]string, error) {
	n, err := s.Auth.CleanupExpired(ctx)
	if err != nil {
		return nil, err
	}
	s.logger().Info("expired sessions deleted", "count", n)
	if f, err := s.Auth.DeleteExpiredCloudFlows(ctx, s.B2C); err != nil {
		s.logger().Warn("could not delete expired B2C sign-in flows", "err", err)
	} else if f > 0 {
		s.logger().Info("expired B2C sign-in flows deleted", "count", f)
	}
	if r, err := s.Auth.DeliverQueuedMail(ctx); err != nil {
		s.logger().Warn("could not deliver queued mail", "err", err)
	} else if r.Sent+r.Retry+r.Dropped > 0 {
		s.logger().Info("queued mail delivered", "sent", r.Sent, "retry", r.Retry, "dropped", r.Dropped)
	}
	if n, err := s.Auth.DeleteOrphanedCloudTokens(ctx, s.B2C); err != nil {
		s.logger().Warn("could not delete the provider tokens of ended sessions", "err", err)
	} else if n > 0 {
		s.logger().Info("provider tokens of ended sessions deleted", "count", n)
	}
	if t, err := s.Auth.DeleteExpiredAccountTokens(ctx); err != nil {
		s.logger().Warn("could not delete expired account links", "err", err)
	} else if t > 0 {
		s.logger().Info("expired account links deleted", "count", t)
	}
	if c, err := s.Auth.DeleteExpiredChallenges(ctx); err != nil {
		s.logger().Warn("could not delete expired two-step sign-ins and passkey ceremonies", "err", err)
	} else if c > 0 {
		s.logger().Info("expired two-step sign-ins and passkey ceremonies deleted", "count", c)
	}
	return []string{"deleted expired sessions: " + itoa(n)}, nil
}

// authedFunc is a handler that runs with a signed-in user.
type authedFunc func(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error

// withSession authenticates the request from its session cookie, marks the
// response uncacheable, and requires the CSRF token on state-changing
// methods. A stale or forged cookie is cleared.
func (s *Server) withSession(next authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		u, sess, err := s.authenticate(r)
		if err != nil {
			if priceline.ErrorKind(err) == priceline.KindUnauthorized {
				clearSessionCookie(w)
			}
			return err
		}
		if err := s.requireCSRF(r, u, sess); err != nil {
			return err
		}
		return next(w, r, u, sess)
	}
}

// requireCSRF asks a state-changing request made with a session (anything
// but GET and HEAD) for the session's CSRF token, and logs a refusal; the
// JSON API and the pages share it.
func (s *Server) requireCSRF(r *http.Request, u *priceline.User, sess *priceline.Session) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if err := checkCSRF(r, sess); err != nil {
		s.securityEvent(r, auth.EventCSRFRefused, "csrf_token", u.ID)
		return err
	}
	return nil
}

// authenticate reads the session cookie; no cookie is unauthenticated.
func (s *Server) authenticate(r *http.Request) (*priceline.User, *priceline.Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil, auth.Unauthenticated.Err()
	}
	// Until the keys and the tables are ready the cookie can be neither
	// verified nor looked up: 503, never 401, so that it is not cleared.
	if err := s.Ready.check(needSession); err != nil {
		return nil, nil, err
	}
	u, sess, err := s.Auth.Authenticate(r.Context(), c.Value)
	if err != nil {
		if priceline.ErrorKind(err) == priceline.KindUnauthorized {
			// Forged, expired, revoked or of a deleted account: the cause
			// says which, but the log keeps only that it was refused.
			s.securityEvent(r, auth.EventBadCookie, "not_live", "")
			return nil, nil, auth.Unauthenticated.Err()
		}
		return nil, nil, err
	}
	return u, sess, nil
}
