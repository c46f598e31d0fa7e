package funchost

import (
	"reflect"
	"testing"
)

func TestRouteFromPattern(t *testing.T) {
	tests := []struct {
		pattern string
		methods []string
		route   string
	}{
		{"GET /api/me/sessions/{id}", []string{"GET"}, "api/me/sessions/{id}"},
		{"DELETE /api/me/sessions/{id}", []string{"DELETE"}, "api/me/sessions/{id}"},
		{"POST /api/login", []string{"POST"}, "api/login"},
		{"GET /{path...}", []string{"GET"}, "{*path}"},
		{"GET /", []string{"GET"}, "{*path}"},
		{"GET /{$}", []string{"GET"}, RootRoute},
		{"GET /static/", []string{"GET"}, "static/{*rest}"},
		{"GET /static/{file...}", []string{"GET"}, "static/{*file}"},
		{"GET /hospitals/{id}/charges", []string{"GET"}, "hospitals/{id}/charges"},
		{"GET  /api/health", []string{"GET"}, "api/health"},
		{"POST\t/api/logout", []string{"POST"}, "api/logout"},
	}
	for _, tt := range tests {
		methods, route, err := RouteFromPattern(tt.pattern)
		if err != nil {
			t.Errorf("RouteFromPattern(%q) error %v", tt.pattern, err)
			continue
		}
		if !reflect.DeepEqual(methods, tt.methods) || route != tt.route {
			t.Errorf("RouteFromPattern(%q) = %q, %q; want %q, %q", tt.pattern, methods, route, tt.methods, tt.route)
		}
	}
}

func TestRouteFromPattern_Rejects(t *testing.T) {
	bad := []string{
		"/api/login",                // no method
		"get /api/login",            // lower-case method
		"TRACE /api/debug",          // method we do not allow
		"GET example.com/api/login", // host name
		"GET api/login",             // no leading slash
		"GET /api//login",           // empty segment
		"GET /api/{$}",              // exact trailing slash has no host equivalent
		"GET /{rest...}/more",       // wildcard not last
		"GET /file-{name}",          // partial-segment wildcard
		"GET /a%2Fb",                // escape
		"GET /admin/users",          // reserved by the host
		"GET /Runtime/x",            // reserved by the host
		"GET /administration",       // the host checks the prefix, not the segment
		"GET /{a}/{a}",              // duplicate parameter
		"GET /a b",                  // space in path
		"GET /.well-known/../x",     // dot segment
	}
	for _, p := range bad {
		_, _, err := RouteFromPattern(p)
		if err == nil {
			t.Errorf("RouteFromPattern(%q) succeeded, want error", p)
			continue
		}
		wantInvalid(t, err)
	}
}

func TestParseTemplate_Rejects(t *testing.T) {
	bad := []string{
		"", " ", "/api", "api/", "api//x", "admin", "ADMIN/x", "runtime/webhooks",
		"{*rest}/x", "{id?}/x", "{a}{b}", "x{a}", "{}", "{1a}", "{a:unknown}", "{a:maxlength}",
		"{a:maxlength(x)}", "{a:length(5,1)}", "{**a}", "{*a?}", "a/./b", "a/../b", "a?b", "a/{a}/{A}",
	}
	for _, r := range bad {
		_, err := parseTemplate(r)
		wantCode(t, err, "invalid_route")
	}
}

func TestTemplateMatch(t *testing.T) {
	tests := []struct {
		route string
		path  string
		want  bool
	}{
		{"api/me/sessions/{id}", "/api/me/sessions/abc", true},
		{"api/me/sessions/{id}", "/API/Me/Sessions/abc", true},  // literals ignore case
		{"api/me/sessions/{id}", "/api/me/sessions/abc/", true}, // trailing slash ignored
		{"api/me/sessions/{id}", "/api/me/sessions", false},
		{"api/me/sessions/{id}", "/api/me/sessions/a/b", false},
		{"api/me/sessions/{id}", "/api/me/sessions//", false},
		{"{*path}", "/", true},
		{"{*path}", "/anything/at/all", true},
		{"static/{*rest}", "/static", true},
		{"static/{*rest}", "/static/css/site.css", true},
		{"static/{*rest}", "/statics/x", false},
		{RootRoute, "/", true},
		{RootRoute, "/x", false},
		{RootRoute, "/index.html", false},
		{"items/{id:int}", "/items/42", true},
		{"items/{id:int}", "/items/x", false},
		{"items/{id:int}", "/items/99999999999", false},
		{"items/{id:guid}", "/items/0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"items/{id:guid}", "/items/0f8fad5b", false},
		{"items/{name:alpha:minlength(2)}", "/items/ab", true},
		{"items/{name:alpha:minlength(2)}", "/items/a", false},
		{"items/{name:length(2,3)}", "/items/abcd", false},
		{"items/{page?}", "/items", true},
		{"items/{page?}", "/items/2", true},
	}
	for _, tt := range tests {
		tp, err := parseTemplate(tt.route)
		if err != nil {
			t.Fatalf("parseTemplate(%q): %v", tt.route, err)
		}
		if got := tp.match(tt.path); got != tt.want {
			t.Errorf("route %q match %q = %v, want %v", tt.route, tt.path, got, tt.want)
		}
	}
}

func TestRouter_FollowsHostPrecedenceAndMethods(t *testing.T) {
	fns := []Function{
		{Name: "CatchAll", Methods: []string{"GET"}, Route: "{*path}"},
		{Name: "Root", Methods: []string{"GET"}, Route: RootRoute},
		{Name: "SessionByID", Methods: []string{"GET", "DELETE"}, Route: "api/me/sessions/{id}"},
		{Name: "SessionsCurrent", Methods: []string{"GET"}, Route: "api/me/sessions/current"},
		{Name: "Login", Methods: []string{"POST"}, Route: "api/login"},
		{Name: "Cleanup", Schedule: "0 0 * * * *"},
	}
	r, err := NewRouter(fns)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, want string // want "" means 404
	}{
		{"GET", "/", "Root"},
		{"GET", "/api/me/sessions/current", "SessionsCurrent"},
		{"GET", "/api/me/sessions/abc", "SessionByID"},
		{"DELETE", "/api/me/sessions/current", "SessionByID"}, // method mismatch moves on
		{"POST", "/api/login", "Login"},
		{"GET", "/api/login", "CatchAll"},
		{"POST", "/api/me/sessions/abc", ""},
		{"PUT", "/", ""},
		{"GET", "/admin/host/status", ""}, // the host's own
		{"POST", "/Cleanup", ""},
	}
	for _, tt := range tests {
		f, ok := r.Match(tt.method, tt.path)
		if got := map[bool]string{true: f.Name, false: ""}[ok]; got != tt.want {
			t.Errorf("Match(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
