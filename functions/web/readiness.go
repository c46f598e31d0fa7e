package web

import (
	"context"
	"net/http"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// Need is a set of dependencies a route cannot answer without.
type Need uint8

// The dependencies a route may need. Cloud sign-in's client secret is not
// among them: auth.CloudSignIn.Check already answers b2c_not_ready for it.
const (
	// NeedTables is Table Storage: the tables have been created (or found)
	// once since the process started.
	NeedTables Need = 1 << iota
	// NeedSigningKeys is the session-signing keys: loaded once from Key
	// Vault (or the local development key).
	NeedSigningKeys

	// needNothing is a route that answers whatever is loading: pages whose
	// session is optional need nothing, because authenticate checks
	// needSession whenever a cookie is sent.
	needNothing Need = 0
	// needSession is what reading a session cookie takes: the keys to
	// verify it and the table that holds its record.
	needSession = NeedTables | NeedSigningKeys
	// needSignIn is what issuing a session takes: the keys to sign its
	// cookie and the table that keeps its record.
	needSignIn = NeedTables | NeedSigningKeys
)

// b2cPrefix starts every cloud sign-in route; those check readiness in
// b2cRoute rather than in the mux.
const b2cPrefix = "/api/auth/b2c/"

// startingRetryAfter is what a client is told to wait while a dependency is
// not ready yet: the background loads retry from one second up, so most
// instances are ready within a few.
const startingRetryAfter = 5 * time.Second

// Readiness says which dependencies are ready. The route table consults it
// before running a handler, so that an instance that has just started
// answers at once — 503 with Retry-After for a route whose dependency is
// still loading — instead of waiting on a vault or a storage account that
// may not answer. Each field reports one dependency and must be cheap (it
// runs on every request); a nil field, like a nil *Readiness, is ready.
type Readiness struct {
	Tables      func() bool
	SigningKeys func() bool
}

// missing returns the first dependency in need that is not ready, or 0.
// The signing keys come first: for a request with a session cookie they are
// the reason it cannot be answered, and the code says so.
func (rd *Readiness) missing(need Need) Need {
	if rd == nil {
		return 0
	}
	if need&NeedSigningKeys != 0 && rd.SigningKeys != nil && !rd.SigningKeys() {
		return NeedSigningKeys
	}
	if need&NeedTables != 0 && rd.Tables != nil && !rd.Tables() {
		return NeedTables
	}
	return 0
}

// check returns the 503 for the first dependency in need that is not ready,
// or nil.
func (rd *Readiness) check(need Need) error {
	switch rd.missing(need) {
	case NeedSigningKeys:
		// The same code token gives a cookie it cannot verify yet, so a
		// client sees one reason whichever layer noticed first.
		e := token.NoKeysError("route needs the signing keys")
		e.RetryAfter = startingRetryAfter
		return e
	case NeedTables:
		return priceline.Unavailable(nil, "tables_unavailable",
			"The service is starting. Please try again in a few seconds.", startingRetryAfter)
	}
	return nil
}

// needKey carries a route's Need in the request context.
type needKey struct{}

// withNeed hands h what its route needs, in the request context, for a
// handler that checks readiness itself: cloud sign-in's routes check it in
// b2cRoute, after cloud sign-in's own check, rather than in the mux.
func withNeed(need Need, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h(w, r.WithContext(context.WithValue(r.Context(), needKey{}, need)))
	}
}

// routeNeed returns what the route serving r needs, as withNeed handed it
// on; a route that was handed nothing needs everything.
func routeNeed(r *http.Request) Need {
	if n, ok := r.Context().Value(needKey{}).(Need); ok {
		return n
	}
	return NeedTables | NeedSigningKeys
}

// gated runs h only once what it needs is ready; until then it answers the
// 503 through respond (a page for a browser, JSON for other clients).
func (s *Server) gated(need Need, h handlerFunc) handlerFunc {
	if need == 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Ready.check(need); err != nil {
			w.Header().Set("Cache-Control", "no-store")
			return asBrowserPage(err)
		}
		return h(w, r)
	}
}
