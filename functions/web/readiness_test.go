package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"hospitalpriceline/functions/b2c/b2ctest"
)

// Every row of the route table says what its route needs, and that is what
// the route waits for: with nothing loaded, a request without a cookie is
// answered 503 with the code of the first missing dependency exactly when
// the row needs one, whatever the handler would do.
func TestEachRouteWaitsForWhatItsRowNeeds(t *testing.T) {
	e := newReadyEnv(t)
	e.tables.Store(false)
	e.keys.Store(false)
	path := strings.NewReplacer("{$}", "", "{id}", "x", "{path...}", "x")
	for _, rt := range e.web.routes() {
		if strings.HasPrefix(rt.Path, b2cPrefix) {
			continue // TestB2CRoutesWaitForWhatTheirRowNeeds
		}
		wantWaitsFor(t, rt, e.do(req{Method: rt.Method, Path: path.Replace(rt.Path)}))
	}
}

// Cloud sign-in's routes check readiness after cloud sign-in's own check
// (so they are tried here with cloud sign-in configured and ready), with
// what their row of the route table needs: with nothing loaded each row
// answers the 503 of its Need, and starting a sign-in, which writes a flow
// record, goes to the provider once everything is ready.
func TestB2CRoutesWaitForWhatTheirRowNeeds(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	var tables, keys atomic.Bool
	b.web.Ready = &Readiness{Tables: tables.Load, SigningKeys: keys.Load}
	b.serveB2C(b.sso)
	rows := b2cRoutes(b.web)
	if len(rows) == 0 {
		t.Fatal("no cloud sign-in rows in the route table")
	}
	for _, rt := range rows {
		wantWaitsFor(t, rt, b.do(req{Method: rt.Method, Path: rt.Path}))
	}
	tables.Store(true)
	keys.Store(true)
	if r := b.get("/api/auth/b2c/login?returnTo=%2Faccount", nil); r.Status != http.StatusFound {
		t.Errorf("sign-in once everything is ready: %d %s, want 302 to the provider", r.Status, r.Body)
	}
}

// wantWaitsFor checks r, rt's answer while nothing is loaded: the 503 of
// the first dependency its row needs (the signing keys before the tables,
// Readiness.missing), or no readiness refusal at all for a row that needs
// nothing.
func wantWaitsFor(t *testing.T, rt route, r *response) {
	t.Helper()
	what := rt.Method + " " + rt.Path
	switch {
	case rt.Need&NeedSigningKeys != 0:
		want503(t, what, r, "signing_keys_unavailable")
	case rt.Need&NeedTables != 0:
		want503(t, what, r, "tables_unavailable")
	default:
		if c := r.errorCode(); c == "signing_keys_unavailable" || c == "tables_unavailable" {
			t.Errorf("%s needs nothing, but answered %d %s", what, r.Status, c)
		}
	}
}

// readyEnv is the real stack with dependencies that can be switched
// between loading and ready.
type readyEnv struct {
	*testEnv
	tables, keys atomic.Bool
}

func newReadyEnv(t *testing.T) *readyEnv {
	e := &readyEnv{testEnv: newEnv(t)}
	e.tables.Store(true)
	e.keys.Store(true)
	e.web.Ready = &Readiness{Tables: e.tables.Load, SigningKeys: e.keys.Load}
	// A server of its own, started after Ready is set.
	e.srv = httptest.NewServer(e.web.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// want503 checks a "not ready" answer: 503 with the code, Retry-After,
// no-store, and no Set-Cookie (above all, no cleared session cookie).
func want503(t *testing.T, what string, r *response, code string) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "5" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: %d Retry-After %q Cache-Control %q, want 503 with Retry-After 5 and no-store: %s", what, r.Status, r.Header.Get("Retry-After"), r.Header.Get("Cache-Control"), r.Body)
	}
	if code != "" && r.errorCode() != code {
		t.Errorf("%s: code %q, want %q", what, r.errorCode(), code)
	}
	if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("%s: Set-Cookie %q while not ready", what, sc)
	}
}

// Until the signing keys load, a valid cookie is answered 503
// signing_keys_unavailable on every route that reads it (API, pages, an
// optional-session page) and is never cleared; routes that need no key
// serve; once the keys are in, the same cookie works.
func TestSigningKeysNotLoadedAnswer503AndKeepTheCookie(t *testing.T) {
	e := newReadyEnv(t)
	a := e.signedIn("keys-loading@example.com")
	e.keys.Store(false)

	want503(t, "GET /api/me", e.me(a), "signing_keys_unavailable")
	want503(t, "GET /api/me/saved", e.do(req{Method: "GET", Path: "/api/me/saved", Cookie: a.Cookie}), "signing_keys_unavailable")
	want503(t, "POST /api/login", e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": a.Email, "password": goodPassword}}), "signing_keys_unavailable")
	want503(t, "GET / with a cookie", e.do(req{Method: "GET", Path: "/", Cookie: a.Cookie}), "signing_keys_unavailable")
	page := e.do(req{Method: "GET", Path: "/account", Cookie: a.Cookie, Header: map[string]string{"Accept": "text/html"}})
	want503(t, "GET /account (browser)", page, "")
	if !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /account (browser): %q, want the error page", page.Header.Get("Content-Type"))
	}

	for _, q := range []req{
		{Method: "GET", Path: "/"},
		{Method: "GET", Path: "/login"},
		{Method: "GET", Path: "/static/app.css"},
	} {
		if r := e.do(q); r.Status != http.StatusOK {
			t.Errorf("%s %s without keys: %d, want 200 (it needs none)", q.Method, q.Path, r.Status)
		}
	}
	e.register("keys-loading-new@example.com") // registration needs the tables only

	e.keys.Store(true)
	if r := e.me(a); r.Status != http.StatusOK {
		t.Fatalf("the same cookie once the keys loaded: %d %s", r.Status, r.Body)
	}
}

// Until the tables are ready, routes that need them answer 503
// tables_unavailable at once, without touching storage.
func TestTablesNotReadyAnswer503(t *testing.T) {
	e := newReadyEnv(t)
	a := e.signedIn("tables-loading@example.com")
	e.tables.Store(false)
	want503(t, "POST /api/register", e.do(req{Method: "POST", Path: "/api/register", JSON: map[string]string{"email": "x@example.com", "password": goodPassword, "name": "X"}}), "tables_unavailable")
	want503(t, "GET /api/hospitals", e.do(req{Method: "GET", Path: "/api/hospitals"}), "tables_unavailable")
	want503(t, "GET /api/me", e.me(a), "tables_unavailable")
	if r := e.do(req{Method: "GET", Path: "/"}); r.Status != http.StatusOK {
		t.Errorf("GET / without a cookie while tables load: %d, want 200", r.Status)
	}
	e.tables.Store(true)
	if r := e.me(a); r.Status != http.StatusOK {
		t.Fatalf("GET /api/me once the tables are ready: %d %s", r.Status, r.Body)
	}
}

// Health answers at once with what is still loading: "starting" checks
// make it 503 "starting" with Retry-After; a failed check makes it
// "degraded" whatever else is starting.
func TestHealthReportsStartingDependencies(t *testing.T) {
	get := func(checks ...HealthCheck) (int, string, map[string]string, string) {
		s := &Server{Health: checks}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
		var body struct {
			Status string
			Checks map[string]string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		return rec.Code, body.Status, body.Checks, rec.Header().Get("Retry-After")
	}
	ok := HealthCheck{Name: "tables", Check: func(context.Context) error { return nil }}
	starting := HealthCheck{Name: "signingKeys", Check: func(context.Context) error { return ErrStarting }}
	failed := HealthCheck{Name: "b2cClientSecret", Check: func(context.Context) error { return errors.New("vault down") }}

	code, status, checks, ra := get(ok, starting)
	if code != http.StatusServiceUnavailable || status != "starting" || checks["signingKeys"] != "starting" || checks["tables"] != "ok" || ra == "" {
		t.Errorf("one check starting: %d %s %v Retry-After %q", code, status, checks, ra)
	}
	code, status, checks, _ = get(ok, starting, failed)
	if code != http.StatusServiceUnavailable || status != "degraded" || checks["b2cClientSecret"] != "unavailable" || checks["signingKeys"] != "starting" {
		t.Errorf("one starting, one failed: %d %s %v", code, status, checks)
	}
	if code, status, _, ra := get(ok); code != http.StatusOK || status != "ok" || ra != "" {
		t.Errorf("all ok: %d %s Retry-After %q", code, status, ra)
	}
}
