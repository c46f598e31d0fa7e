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

// contentSecurityPolicy forbids inline script and framing; pages load their
// script and style files from our own origin only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries (ASVS V3.4).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// maxBodyBytes bounds every request body; larger bodies get 413.
const maxBodyBytes = 64 << 10

// limitBody caps the body so that no handler can be made to read more.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			tooLarge := priceline.Errorf(priceline.KindTooLarge, "body_too_large", "The request body is larger than 64 KiB.")
			w.Header().Set("Connection", "close")
			s.respond(w, r, tooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigin refuses cross-site form posts and fetches to login and
// register (login CSRF; ASVS V3.5). Browsers send Sec-Fetch-Site and, for
// POSTs, Origin; a request with neither comes from a non-browser client,
// which cannot carry a victim's cookies, so it is allowed.
func (s *Server) checkOrigin(r *http.Request) error {
	forbidden := priceline.Errorf(priceline.KindForbidden, "cross_origin", "This request came from another site and was refused.")
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		s.securityEvent(r, auth.EventCrossOrigin, "sec_fetch_site", "")
		return forbidden
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if origin == "null" || !sameOrigin(origin, s.Config.PublicURL) {
			s.securityEvent(r, auth.EventCrossOrigin, "origin", "")
			return forbidden
		}
	}
	return nil
}

// securityEvent logs a refusal of the web layer as a security event (see
// docs/security-log.md).
func (s *Server) securityEvent(r *http.Request, name, reason, userID string) {
	if s.Auth == nil {
		return
	}
	s.Auth.Events.Emit(r.Context(), auth.Event{Name: name, Outcome: auth.OutcomeFailure, Reason: reason, Client: s.client(r), UserID: userID})
}

type requestIDKey struct{}

// withRequestID gives every request an ID, for the security log and for a
// person to quote (the X-Request-ID response header). It is random, never
// taken from the request, so a client cannot forge log correlations.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := priceline.NewToken(8)
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// requestID returns the request's ID ("" outside withRequestID).
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// sameOrigin compares scheme, host and port of two URLs.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// checkCSRF verifies the synchroniser token of a state-changing request
// made with a session (ASVS V3.5.1): header X-CSRF-Token, or the form field
// csrf_token for HTML forms.
func checkCSRF(r *http.Request, sess *priceline.Session) error {
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" && isForm(r) {
		tok = r.PostFormValue("csrf_token")
	}
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRFToken)) != 1 {
		return priceline.Errorf(priceline.KindForbidden, "csrf_failed", "This form has expired or did not come from this site. Reload the page and try again.")
	}
	return nil
}

// isForm reports whether the body is an HTML form post.
func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}
