package web

import (
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

	// needSession is what reading a session cookie takes: the keys to
	// verify it and the table that holds its record.
	needSession = NeedTables | NeedSigningKeys
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

// routeNeeds is what each route of the route table needs, by its method
// and pattern. A route that is missing here needs everything (a test holds
// this table to the route table, so none is). Routes behind a session
// cookie need needSession; pages whose session is optional need nothing
// here, because authenticate checks needSession whenever a cookie is sent.
var routeNeeds = map[string]Need{
	"GET /api/health": 0, // reports readiness itself

	"POST /api/register":               NeedTables,
	"POST /api/login":                  NeedTables | NeedSigningKeys,
	"POST /api/logout":                 needSession,
	"GET /api/me":                      needSession,
	"POST /api/me/password":            needSession,
	"GET /api/me/sessions":             needSession,
	"DELETE /api/me/sessions":          needSession,
	"DELETE /api/me/sessions/{id}":     needSession,
	"GET /api/auth/b2c/login":          NeedTables, // writes the flow record
	"GET /api/auth/b2c/callback":       NeedTables | NeedSigningKeys,
	"GET /api/auth/b2c/logout":         needSession,
	"GET /api/auth/b2c/reset-password": NeedTables,
	"GET /api/auth/b2c/edit-profile":   needSession,
	"GET /api/auth/b2c/reauth":         needSession, // reads the session, writes the flow record

	"GET /{$}":                             0,
	"GET /login":                           0,
	"POST /login":                          NeedTables | NeedSigningKeys,
	"GET /register":                        0,
	"POST /register":                       NeedTables,
	"GET /account":                         needSession,
	"POST /account/password":               needSession,
	"POST /account/sessions/revoke":        needSession,
	"POST /account/sessions/revoke-others": needSession,
	"GET /search":                          NeedTables,
	"GET /compare":                         NeedTables,
	"GET /saved":                           needSession,
	"POST /saved":                          needSession,
	"POST /saved/delete":                   needSession,
	"GET /static/{path...}":                0,
	"GET /{path...}":                       0,

	"GET /api/hospitals":        NeedTables,
	"GET /api/procedures":       NeedTables,
	"GET /api/prices":           NeedTables,
	"GET /api/prices/compare":   NeedTables,
	"GET /api/me/saved":         needSession,
	"POST /api/me/saved":        needSession,
	"DELETE /api/me/saved/{id}": needSession,
	"GET /api/me/plan":          needSession,
	"PUT /api/me/plan":          needSession,
	"GET /api/services":         0, // the embedded catalogue
	"GET /api/payers":           NeedTables,

	// Account lifecycle: the links and forms read and write users and
	// tokens; a reset or verification ends sessions, signed or not.
	"DELETE /api/me":                needSession,
	"POST /api/me/email":            needSession,
	"POST /api/email/verify":        NeedTables,
	"POST /api/email/verify/resend": needSession,
	"POST /api/password/forgot":     NeedTables,
	"POST /api/password/reset":      NeedTables,
	"POST /account/email":           needSession,
	"POST /account/verify/resend":   needSession,
	"POST /account/delete":          needSession,
	"GET /forgot-password":          0,
	"POST /forgot-password":         NeedTables,
	"GET /reset-password":           0,
	"POST /reset-password":          NeedTables,
	"GET /verify-email":             0,
	"POST /verify-email":            NeedTables,

	// Two-step sign-in and passkeys (the MFA key's own readiness is the
	// flows' 503). Finishing a sign-in issues a session.
	"POST /api/login/mfa":                 NeedTables | NeedSigningKeys,
	"POST /api/login/mfa/passkey/options": NeedTables,
	"GET /login/mfa":                      0,
	"POST /login/mfa":                     NeedTables | NeedSigningKeys,
	"POST /api/login/passkey/options":     NeedTables,
	"POST /api/login/passkey":             NeedTables | NeedSigningKeys,
	"GET /api/me/mfa":                     needSession,
	"POST /api/me/mfa/totp":               needSession,
	"DELETE /api/me/mfa/totp":             needSession,
	"POST /api/me/mfa/totp/confirm":       needSession,
	"POST /api/me/mfa/recovery-codes":     needSession,
	"POST /account/mfa/totp":              needSession,
	"POST /account/mfa/totp/confirm":      needSession,
	"POST /account/mfa/totp/off":          needSession,
	"POST /account/mfa/recovery-codes":    needSession,
	"POST /api/me/passkeys/options":       needSession,
	"GET /api/me/passkeys":                needSession,
	"POST /api/me/passkeys":               needSession,
	"DELETE /api/me/passkeys/{id}":        needSession,
	"POST /account/passkeys/delete":       needSession,
}

// needOf returns what rt needs; an unlisted route needs everything.
func needOf(rt route) Need {
	if n, ok := routeNeeds[rt.Method+" "+rt.Path]; ok {
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
