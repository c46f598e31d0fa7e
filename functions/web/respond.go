package web

import (
	"errors"
	"net/http"
	"strings"
)

// How an error is shown. Most handlers just return the error and the
// request decides (JSON for API clients, a page for browsers); a handler
// that knows better wraps its error with one of the functions below.
type shownAs int

const (
	shownByRequest     shownAs = iota // JSON, or a page when wantsHTML
	shownAsPage                       // always a readable page (page routes)
	shownAsBrowserPage                // a page when the client accepts HTML, else JSON (browser navigations under /api/)
	shownAsForm                       // the form again, with what the person typed
)

// shownError is an error with how to show it.
type shownError struct {
	err  error
	as   shownAs
	form string    // shownAsForm: the form's template
	data *pageData // shownAsForm: the page data, with what the person typed
}

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// asPage makes err answer with a readable page whatever the request says:
// a page link followed by a script or a test still gets a page, never JSON.
func asPage(err error) error { return shown(err, &shownError{as: shownAsPage}) }

// asBrowserPage answers err with a page when the client accepts HTML (a
// browser sent there by a redirect) and with JSON otherwise.
func asBrowserPage(err error) error { return shown(err, &shownError{as: shownAsBrowserPage}) }

// asForm shows the form page again with err's message and the status the
// API would use. Errors a form cannot help with (forbidden, too large,
// internal, unavailable) are shown on the error page instead.
func asForm(err error, page string, data *pageData) error {
	return shown(err, &shownError{as: shownAsForm, form: page, data: data})
}

// nextStepError carries a sentence telling the person what to do next; it
// is shown on pages and forms after the error's message (the API's
// messages stay as documented).
type nextStepError struct {
	err  error
	next string
}

func (e *nextStepError) Error() string { return e.err.Error() }
func (e *nextStepError) Unwrap() error { return e.err }

// withNextStep adds a sentence telling the person what to do next to the
// message a page or form shows for err.
func withNextStep(err error, next string) error {
	if err == nil {
		return nil
	}
	return &nextStepError{err: err, next: next}
}

// shown attaches how to err, unless err already says how it is shown: the
// choice made closest to the error (a form showing itself again) wins over a
// route-wide one (a page route's asPage).
func shown(err error, how *shownError) error {
	var inner *shownError
	if err == nil || errors.As(err, &inner) {
		return err
	}
	how.err = err
	return how
}

// formCanShow reports whether a form can show an error of status next to
// the fields: the person's input was wrong, or they must wait.
func formCanShow(status int) bool {
	return status < 500 && status != http.StatusForbidden && status != http.StatusRequestEntityTooLarge
}

// respond is the one place an error becomes a response: it logs internal
// errors (only those: the rest are the client's), sets Retry-After, and
// answers with JSON, an error page or the form again.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 {
		s.logger().Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	setRetryAfter(w, err)
	code, msg := publicError(err)
	how := &shownError{as: shownByRequest}
	errors.As(err, &how)
	shownMsg := msg
	if ns := (*nextStepError)(nil); errors.As(err, &ns) {
		shownMsg += " " + ns.next
	}
	switch {
	case how.as == shownAsForm && formCanShow(status):
		how.data.Error = shownMsg
		s.render(w, status, how.form, how.data)
	case how.as == shownAsPage,
		how.as == shownAsForm,
		how.as == shownAsBrowserPage && acceptsHTML(r),
		how.as == shownByRequest && wantsHTML(r):
		s.render(w, status, "error.html", &pageData{Title: http.StatusText(status), Message: shownMsg})
	default:
		var body errorBody
		body.Error.Code, body.Error.Message = code, msg
		writeJSON(w, status, body)
	}
}

// wantsHTML reports whether the answer should be a page rather than JSON:
// form posts, and page requests from a browser.
func wantsHTML(r *http.Request) bool {
	if isForm(r) {
		return true
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return acceptsHTML(r)
}

// acceptsHTML reports whether the client said it takes HTML (browsers do
// on every navigation).
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
