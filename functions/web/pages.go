package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/priceline"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one template set per page, each joined with the layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" {
			continue
		}
		m[base] = template.Must(template.New(base).Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return m
}()

// pageFuncs are the functions the templates may call: wordings taken from
// the domain's constants, so a page cannot state another time than the
// code keeps.
var pageFuncs = template.FuncMap{
	// reauthWindow is how long a cloud account has to finish a sensitive
	// action after confirming it is them ("5 minutes").
	"reauthWindow": func() string { return priceline.LifetimeText(priceline.ReauthMaxAge) },
}

// pageData is what every page template gets.
type pageData struct {
	Title      string
	User       *priceline.User
	CSRF       string
	Notice     string
	Error      string
	Message    string            // error pages
	Form       map[string]string // what the user typed (never passwords)
	ReturnTo   string
	Token      string        // the single-use token of a reset or verification page
	Verified   *verifiedView // the verify page, after the link worked
	B2CEnabled bool
	Sessions   []sessionView
	Search     *searchView    // search results
	Categories []categoryView // the home page's service categories
	Compare    *compareView   // a procedure's comparison
	Saved      *savedListView // the user's saved estimates
	MFA        *mfaView       // two-step sign-in and passkeys (pages_mfa.go)
	Confirmed  string         // the account page: the action a cloud account came back from confirming (?confirmed=)
}

// sessionView is one row of the account page's session list.
type sessionView struct {
	ID, Device, Started, StartedText, LastSeen, LastSeenText string
	Method                                                   string // how it was signed in (methodText)
	Current                                                  bool
}

// render writes a page with status.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *pageData) {
	t, ok := pages[name]
	if !ok {
		panic("no page template " + name) // a programming error, caught by tests
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		s.logger().Error("render page", "page", name, "err", err)
	}
}

// pageSession returns the signed-in user for a page, or nil when signed out.
// A cookie that no longer works is cleared and treated as signed out; a
// storage outage is an error.
func (s *Server) pageSession(w http.ResponseWriter, r *http.Request) (*priceline.User, *priceline.Session, error) {
	if _, err := r.Cookie(SessionCookie); err != nil {
		return nil, nil, nil
	}
	u, sess, err := s.authenticate(r)
	if err != nil {
		if priceline.ErrorKind(err) == priceline.KindUnauthorized {
			clearSessionCookie(w)
			return nil, nil, nil
		}
		// A page that could not check its cookie (an outage, or keys not
		// loaded yet) must not be cached as the signed-out page.
		w.Header().Set("Cache-Control", "no-store")
		return nil, nil, err
	}
	w.Header().Set("Cache-Control", "no-store")
	return u, sess, nil
}

// page builds the common page data for r.
func (s *Server) page(w http.ResponseWriter, r *http.Request, title string) (*pageData, error) {
	u, sess, err := s.pageSession(w, r)
	if err != nil {
		return nil, err
	}
	p := &pageData{Title: title, User: u, Form: map[string]string{}, B2CEnabled: s.B2CEnabled}
	if sess != nil {
		p.CSRF = sess.CSRFToken
	}
	return p, nil
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	p, err := s.page(w, r, "Compare hospital prices")
	if err != nil {
		return err
	}
	if r.URL.Query().Get("deleted") == "1" && p.User == nil {
		p.Notice = "Your account and everything saved in it were deleted."
	}
	p.Categories = homeCategories()
	s.render(w, http.StatusOK, "home.html", p)
	return nil
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.page(w, r, "Sign in")
	if err != nil {
		return err
	}
	p.ReturnTo = safeReturnTo(r.URL.Query().Get("returnTo"))
	if r.URL.Query().Get("registered") == "1" {
		p.Notice = "Check your email: we sent a link to confirm your address. Then sign in."
	}
	if r.URL.Query().Get("reset") == "1" {
		p.Notice = "Your password was changed and you were signed out everywhere. Sign in with the new password."
	}
	if r.URL.Query().Get("expired") == "1" {
		p.Notice = "Your session has ended. Sign in again to continue."
	}
	if n := b2cLoginNotice(r.URL.Query()); n != "" {
		p.Notice = n
	}
	p.MFA = s.loginMFAView() // pages_mfa.go: the passkey button
	s.render(w, http.StatusOK, "login.html", p)
	return nil
}

// handleLoginForm signs in from the HTML form; on error it shows the form
// again with the email kept (never the password).
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"email", "password"}, []string{"returnTo"})
	p := &pageData{Title: "Sign in", Form: map[string]string{"email": in["email"]}, ReturnTo: safeReturnTo(in["returnTo"]), B2CEnabled: s.B2CEnabled, MFA: s.loginMFAView()}
	if err == nil {
		var res *auth.Result
		if res, err = s.Auth.Login(r.Context(), in["email"], in["password"], s.client(r)); err == nil {
			if res.Pending != nil {
				return s.answerPending(w, r, res.Pending, p.ReturnTo) // api_mfa.go
			}
			s.signIn(w, r, res)
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
			return nil
		}
	}
	return asForm(err, "login.html", p)
}

// handleRegisterForm creates an account from the HTML form.
func (s *Server) handleRegisterForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"email", "password", "name"}, nil)
	p := &pageData{Title: "Create an account", Form: map[string]string{"email": in["email"], "name": in["name"]}}
	if err == nil {
		if _, err = s.Auth.RegisterFrom(r.Context(), in["email"], in["password"], in["name"], s.client(r)); err == nil {
			http.Redirect(w, r, "/login?registered=1", http.StatusSeeOther)
			return nil
		}
	}
	return asForm(err, "register.html", p)
}

// showPage is a page that shows a form and nothing it has to look up: the
// common page data, what fill adds (nil for nothing), rendered as name.
func (s *Server) showPage(title, name string, fill func(w http.ResponseWriter, r *http.Request, p *pageData)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.page(w, r, title)
		if err != nil {
			return err
		}
		if fill != nil {
			fill(w, r, p)
		}
		s.render(w, http.StatusOK, name, p)
		return nil
	}
}

// withPageSession is withSession for pages: a signed-out visitor is sent to
// sign in and brought back; state-changing form posts need the CSRF token.
func (s *Server) withPageSession(next authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		u, sess, err := s.pageSession(w, r)
		if err != nil {
			return err
		}
		if u == nil {
			back := r.URL.Path
			if r.Method != http.MethodGet {
				back = "/account"
			}
			http.Redirect(w, r, "/login?returnTo="+url.QueryEscape(back), http.StatusSeeOther)
			return nil
		}
		if err := s.requireCSRF(r, u, sess); err != nil {
			return err
		}
		return next(w, r, u, sess)
	}
}

func (s *Server) handleAccountPage(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	list, err := s.Auth.ListSessions(r.Context(), u.ID)
	if err != nil {
		return err
	}
	p := &pageData{Title: "Your account", User: u, CSRF: sess.CSRFToken, B2CEnabled: s.B2CEnabled}
	switch r.URL.Query().Get("done") {
	case "password":
		p.Notice = "Your password was changed. You were signed out everywhere else."
	case "revoked":
		p.Notice = "That device was signed out."
	case "others":
		p.Notice = "You were signed out everywhere else."
	case "email":
		p.Notice = "We sent a link to your new address. Your address changes when you open it."
	case "resent":
		p.Notice = "We sent you a new link. Earlier links no longer work."
	default:
		p.Notice = mfaNotice(r.URL.Query().Get("done")) // pages_mfa.go
	}
	p.Confirmed = confirmedAction(r, u) // pages_accounts.go
	if p.Confirmed != "" && p.Notice == "" {
		p.Notice = "You confirmed it is you with the cloud sign-in. Finish below within " + priceline.LifetimeText(priceline.ReauthMaxAge) + "."
	}
	if p.Notice == "" {
		p.Notice = reauthCancelledNotice(r, u) // pages_accounts.go
	}
	if p.MFA, err = s.accountMFAView(r.Context(), u); err != nil { // pages_mfa.go
		return err
	}
	for _, x := range list {
		p.Sessions = append(p.Sessions, sessionView{
			ID: x.Key, Device: deviceName(x.UserAgent), Current: x.Key == sess.Key, Method: methodText(x.Method),
			Started: x.CreatedAt.UTC().Format(time.RFC3339), StartedText: x.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"),
			LastSeen: x.LastSeenAt.UTC().Format(time.RFC3339), LastSeenText: x.LastSeenAt.UTC().Format("2 Jan 2006 15:04 UTC"),
		})
	}
	s.render(w, http.StatusOK, "account.html", p)
	return nil
}

// handleAccountPassword changes the password from the account page.
func (s *Server) handleAccountPassword(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, []string{"currentPassword", "newPassword"}, []string{"csrf_token"})
	if err == nil {
		var res *auth.Result
		if res, err = s.Auth.ChangePassword(r.Context(), u, sess, in["currentPassword"], in["newPassword"], s.client(r)); err == nil {
			s.startSession(w, res)
			http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
			return nil
		}
	}
	return withNextStep(err, "Go back to your account page to try again.")
}

func (s *Server) handleAccountRevoke(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, []string{"id"}, []string{"csrf_token"})
	if err != nil {
		return err
	}
	if err := s.revokeSession(r, u, in["id"]); err != nil {
		return err
	}
	if in["id"] == sess.Key {
		clearSessionCookie(w)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) handleAccountRevokeOthers(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readInput(r, true, nil, []string{"currentPassword", "csrf_token"})
	if err != nil {
		return err
	}
	if _, err := s.Auth.RevokeOtherSessionsReauth(r.Context(), u, sess, in["currentPassword"], s.client(r)); err != nil {
		return reauthStep(err, u) // pages_accounts.go
	}
	http.Redirect(w, r, "/account?done=others", http.StatusSeeOther)
	return nil
}

// handleStatic serves the embedded CSS and script files.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("path")
	if strings.Contains(name, "..") || !fs.ValidPath("static/"+name) {
		return notFound("This file")
	}
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		return notFound("This file")
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
	return nil
}

// deviceName turns a User-Agent into a short, readable device description.
func deviceName(ua string) string {
	browser := firstMatch(ua, browserNames, "Unknown browser")
	if system := firstMatch(ua, systemNames, ""); system != "" {
		return browser + " on " + system
	}
	return browser
}

// uaName is what a User-Agent that holds text (or, with prefix, starts
// with it) is called.
type uaName struct {
	text, name string
	prefix     bool
}

// browserNames and systemNames are checked in order: Edge also says
// Chrome, and Chrome (HeadlessChrome too) also says Safari; iOS also says
// Mac OS X, and Android also says Linux.
var (
	browserNames = []uaName{
		{text: "Edg/", name: "Edge"}, {text: "Chrome/", name: "Chrome"}, {text: "Firefox/", name: "Firefox"},
		{text: "Safari/", name: "Safari"}, {text: "curl/", name: "curl", prefix: true}, {text: "Go-http-client", name: "Program", prefix: true},
	}
	systemNames = []uaName{
		{text: "Windows", name: "Windows"}, {text: "iPhone", name: "iOS"}, {text: "iPad", name: "iOS"},
		{text: "Android", name: "Android"}, {text: "Mac OS X", name: "macOS"}, {text: "Linux", name: "Linux"},
	}
)

// firstMatch is the name of the first of names that ua matches, or none.
func firstMatch(ua string, names []uaName, none string) string {
	for _, n := range names {
		if n.prefix && strings.HasPrefix(ua, n.text) || !n.prefix && strings.Contains(ua, n.text) {
			return n.name
		}
	}
	return none
}
