package funchost

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RootRoute is the route template that matches only the site root "/".
// An empty route will not do: the host replaces it with the function name.
// An optional parameter that may not hold any characters matches the empty
// path and nothing else, and with routePrefix "" that empty path is "/".
const RootRoute = "{root:maxlength(0)?}"

// segment is one '/'-separated part of a route template. We support whole
// segments only: a literal, or one parameter filling the segment. ASP.NET's
// complex segments ("{a}.{b}") are not needed and not accepted.
type segment struct {
	literal     string // set for literal segments
	param       string // parameter name, for parameter segments
	optional    bool   // {name?}
	catchAll    bool   // {*name}
	constraints []constraint
}

// constraint is one inline route constraint, such as int or maxlength(0).
type constraint struct {
	name string
	args []int
}

// template is a parsed route template.
type template struct {
	text     string
	segments []segment
}

// literalChars are the characters allowed in literal segments: RFC 3986
// unreserved characters. Anything else would need escaping somewhere
// between the route table, function.json and the browser.
func isLiteralChar(c byte) bool {
	return isASCIILetter(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// parseTemplate parses and checks a route template as the host would see
// it in function.json.
func parseTemplate(route string) (*template, error) {
	bad := func(format string, args ...any) error {
		return invalid("invalid_route", "Route %q: "+format, append([]any{route}, args...)...)
	}
	if strings.TrimSpace(route) == "" {
		return nil, bad("an empty route means the function name to the host; use %q for the site root.", RootRoute)
	}
	if !utf8.ValidString(route) {
		return nil, bad("is not valid UTF-8.")
	}
	if strings.HasPrefix(route, "/") || strings.HasSuffix(route, "/") {
		return nil, bad("must not start or end with '/'.")
	}
	lower := strings.ToLower(route)
	if strings.HasPrefix(lower, "admin") || strings.HasPrefix(lower, "runtime") {
		return nil, bad("routes starting with \"admin\" or \"runtime\" are reserved by the Functions host.")
	}
	t := &template{text: route}
	seen := map[string]bool{}
	parts := strings.Split(route, "/")
	for i, p := range parts {
		last := i == len(parts)-1
		if p == "" {
			return nil, bad("has an empty segment.")
		}
		if !strings.HasPrefix(p, "{") {
			if p == "." || p == ".." {
				return nil, bad("has a dot segment.")
			}
			for j := 0; j < len(p); j++ {
				if !isLiteralChar(p[j]) {
					return nil, bad("segment %q may contain only letters, digits, '-', '.', '_' and '~'.", p)
				}
			}
			t.segments = append(t.segments, segment{literal: p})
			continue
		}
		s, err := parseParam(p)
		if err != nil {
			return nil, bad("segment %q: %s.", p, err.Error())
		}
		if (s.optional || s.catchAll) && !last {
			return nil, bad("only the last segment may be optional or a catch-all.")
		}
		key := strings.ToLower(s.param)
		if seen[key] {
			return nil, bad("parameter %q appears twice.", s.param)
		}
		seen[key] = true
		t.segments = append(t.segments, s)
	}
	return t, nil
}

// parseParam parses "{name}", "{name?}", "{*name}" and "{name:c1:c2(3)?}".
func parseParam(p string) (segment, error) {
	if !strings.HasSuffix(p, "}") || strings.Count(p, "{") != 1 || strings.Count(p, "}") != 1 {
		return segment{}, fieldError("a parameter must fill the whole segment, as in {id}")
	}
	body := p[1 : len(p)-1]
	var s segment
	if strings.HasPrefix(body, "**") {
		return segment{}, fieldError("use {*name} for a catch-all")
	}
	if rest, ok := strings.CutPrefix(body, "*"); ok {
		s.catchAll = true
		body = rest
	}
	if rest, ok := strings.CutSuffix(body, "?"); ok {
		if s.catchAll {
			return segment{}, fieldError("a catch-all is already optional")
		}
		s.optional = true
		body = rest
	}
	name, cons, _ := strings.Cut(body, ":")
	if !isParamName(name) {
		return segment{}, fieldError("parameter names are letters, digits and '_', starting with a letter or '_'")
	}
	s.param = name
	if cons != "" {
		for c := range strings.SplitSeq(cons, ":") {
			pc, err := parseConstraint(c)
			if err != nil {
				return segment{}, err
			}
			s.constraints = append(s.constraints, pc)
		}
	}
	return s, nil
}

// constraintArity lists the inline constraints we support, with how many
// integer arguments each takes. They are ASP.NET's built-in ones; the
// simulator in funchosttest evaluates them the same way.
var constraintArity = map[string][]int{
	"int":       {0},
	"alpha":     {0},
	"guid":      {0},
	"minlength": {1},
	"maxlength": {1},
	"length":    {1, 2},
}

func parseConstraint(c string) (constraint, error) {
	name, args, hasArgs := strings.Cut(c, "(")
	arity, ok := constraintArity[name]
	if !ok {
		return constraint{}, fieldError(fmt.Sprintf("unsupported constraint %q; use int, alpha, guid, minlength, maxlength or length", c))
	}
	out := constraint{name: name}
	if hasArgs {
		inner, ok := strings.CutSuffix(args, ")")
		if !ok {
			return constraint{}, fieldError(fmt.Sprintf("constraint %q is missing ')'", c))
		}
		for a := range strings.SplitSeq(inner, ",") {
			n, err := parseNumber(a)
			if err != nil {
				return constraint{}, fieldError(fmt.Sprintf("constraint %q needs whole-number arguments", c))
			}
			out.args = append(out.args, n)
		}
	}
	if !slices.Contains(arity, len(out.args)) {
		return constraint{}, fieldError(fmt.Sprintf("constraint %q has the wrong number of arguments", c))
	}
	if name == "length" && len(out.args) == 2 && out.args[0] > out.args[1] {
		return constraint{}, fieldError(fmt.Sprintf("constraint %q has its bounds reversed", c))
	}
	return out, nil
}

func isParamName(s string) bool {
	if s == "" || !(isASCIILetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isASCIILetter(s[i]) && !isDigit(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

// matches reports whether value satisfies c, as ASP.NET's constraint of the
// same name would. Lengths count UTF-16 code units there; for the ASCII
// paths this app serves that is the byte count.
func (c constraint) matches(value string) bool {
	n := utf8.RuneCountInString(value)
	switch c.name {
	case "int":
		_, err := strconv.ParseInt(value, 10, 32)
		return err == nil
	case "alpha":
		if value == "" {
			return false
		}
		for i := 0; i < len(value); i++ {
			if !isASCIILetter(value[i]) {
				return false
			}
		}
		return true
	case "guid":
		return isGUID(value)
	case "minlength":
		return n >= c.args[0]
	case "maxlength":
		return n <= c.args[0]
	case "length":
		if len(c.args) == 1 {
			return n == c.args[0]
		}
		return n >= c.args[0] && n <= c.args[1]
	}
	return false
}

// isGUID accepts the 8-4-4-4-12 hex form, optionally in braces.
func isGUID(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			c := s[i]
			if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// match reports whether the request path (decoded, starting with '/')
// fits t, the way ASP.NET routing matches it: literals compare
// case-insensitively, a trailing slash is ignored, a parameter takes one
// non-empty segment, a catch-all takes whatever remains (even nothing).
func (t *template) match(path string) bool {
	rest := strings.TrimPrefix(path, "/")
	var parts []string
	if rest != "" {
		parts = strings.Split(strings.TrimSuffix(rest, "/"), "/")
	}
	for i, s := range t.segments {
		if s.catchAll {
			value := strings.Join(parts[min(i, len(parts)):], "/")
			return value == "" || s.constraintsMatch(value)
		}
		if i >= len(parts) {
			return s.optional && i == len(parts)
		}
		p := parts[i]
		switch {
		case s.literal != "":
			if !strings.EqualFold(s.literal, p) {
				return false
			}
		case p == "" || !s.constraintsMatch(p):
			return false
		}
	}
	return len(parts) == len(t.segments)
}

// constraintsMatch reports whether value satisfies every constraint of s.
// Constraints of an optional parameter are only checked when a value is
// there, which is what makes RootRoute match the empty path.
func (s segment) constraintsMatch(value string) bool {
	for _, c := range s.constraints {
		if !c.matches(value) {
			return false
		}
	}
	return true
}

// compareTemplates orders templates the way the host's route builder sorts
// them before first-match routing: at the first segment where they differ
// in kind, a literal comes before a parameter; between parameters, more
// constraints come first; between literals, case-insensitive text order;
// and a template that is a prefix of a longer one comes after it.
func compareTemplates(x, y *template) int {
	for i, xs := range x.segments {
		if i >= len(y.segments) {
			return -1
		}
		ys := y.segments[i]
		xParam, yParam := xs.literal == "", ys.literal == ""
		switch {
		case !xParam && yParam:
			return -1
		case xParam && !yParam:
			return 1
		case xParam:
			if c := cmp.Compare(len(ys.constraints), len(xs.constraints)); c != 0 {
				return c
			}
		default:
			if c := strings.Compare(strings.ToLower(xs.literal), strings.ToLower(ys.literal)); c != 0 {
				return c
			}
		}
	}
	if len(y.segments) > len(x.segments) {
		return 1
	}
	return 0
}

// routesConflict reports whether the host would refuse a and b together:
// the same route text, ignoring case and surrounding slashes, with a
// method in common.
func routesConflict(a, b Function) bool {
	if !strings.EqualFold(strings.Trim(a.Route, "/"), strings.Trim(b.Route, "/")) {
		return false
	}
	for _, m := range a.Methods {
		if slices.Contains(b.Methods, m) {
			return true
		}
	}
	return false
}

// Router matches requests to HTTP functions the way the Functions host
// does. The host only decides whether a request reaches the handler (and
// which function's name it is logged under); with forwarding, the handler's
// own mux then routes it again.
type Router struct {
	routes []routerEntry
}

type routerEntry struct {
	fn Function
	t  *template
}

// NewRouter builds a Router over the HTTP functions in fns; timers are
// skipped. It fails on a function whose route the host would reject.
func NewRouter(fns []Function) (*Router, error) {
	r := &Router{}
	for _, f := range fns {
		if f.IsTimer() {
			continue
		}
		t, err := parseTemplate(f.Route)
		if err != nil {
			return nil, about(fmt.Sprintf("HTTP function %q", f.Name), err)
		}
		r.routes = append(r.routes, routerEntry{fn: f, t: t})
	}
	slices.SortStableFunc(r.routes, func(a, b routerEntry) int {
		if c := compareTemplates(a.t, b.t); c != 0 {
			return c
		}
		// The host's sort is unstable for equal routes; any fixed order
		// will do as long as it is deterministic.
		return strings.Compare(a.fn.Name, b.fn.Name)
	})
	return r, nil
}

// Match returns the function that would receive a request with this method
// and decoded path, or false when the host would answer 404 itself.
// Requests under /admin and /runtime belong to the host and never match.
func (r *Router) Match(method, path string) (Function, bool) {
	first := strings.ToLower(strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0])
	if first == "admin" || first == "runtime" {
		return Function{}, false
	}
	for _, e := range r.routes {
		if e.t.match(path) && slices.ContainsFunc(e.fn.Methods, func(m string) bool { return strings.EqualFold(m, method) }) {
			return e.fn, true
		}
	}
	return Function{}, false
}

// RouteFromPattern turns a Go 1.22 ServeMux pattern into the methods and
// route template of the function that lets the host forward those
// requests: "GET /api/me/sessions/{id}" gives ["GET"] and
// "api/me/sessions/{id}"; "GET /{path...}" and "GET /" (which in Go
// matches every path) give the catch-all "{*path}"; "GET /static/" gives
// "static/{*rest}"; "GET /{$}" (the root only) gives RootRoute.
//
// The pattern must name its method: the host needs an explicit list, and
// so does a reviewer. Note that Go lets "GET" patterns serve HEAD too; the
// host will not forward HEAD unless a function lists it. Host names in
// patterns and "{$}" anywhere but the root have no host equivalent and are
// rejected.
func RouteFromPattern(pattern string) (methods []string, route string, err error) {
	bad := func(format string, args ...any) error {
		return invalid("invalid_pattern", "Pattern %q: "+format, append([]any{pattern}, args...)...)
	}
	trimmed := strings.TrimSpace(pattern)
	sep := strings.IndexAny(trimmed, " \t")
	if sep <= 0 {
		return nil, "", bad("name the method, as in \"GET /path\".")
	}
	method, path := trimmed[:sep], strings.TrimLeft(trimmed[sep:], " \t")
	if !slices.Contains(allowedMethods, method) {
		return nil, "", bad("method %q is not one of %s.", method, strings.Join(allowedMethods, ", "))
	}
	if !strings.HasPrefix(path, "/") {
		return nil, "", bad("the path must start with '/'; host names are not supported.")
	}
	switch path {
	case "/":
		return []string{method}, "{*path}", nil
	case "/{$}":
		return []string{method}, RootRoute, nil
	}
	parts := strings.Split(path[1:], "/")
	out := make([]string, 0, len(parts)+1)
	for i, p := range parts {
		last := i == len(parts)-1
		switch {
		case p == "" && last:
			// A trailing slash makes a Go subtree pattern.
			out = append(out, "{*rest}")
		case p == "":
			return nil, "", bad("has an empty segment.")
		case p == "{$}":
			return nil, "", bad("{$} is supported only as \"/{$}\", the site root.")
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "...}"):
			if !last {
				return nil, "", bad("a {name...} wildcard must be last.")
			}
			out = append(out, "{*"+strings.TrimSuffix(p[1:], "...}")+"}")
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			out = append(out, p)
		case strings.ContainsAny(p, "{}%"):
			return nil, "", bad("segment %q mixes text and a wildcard or has an escape.", p)
		default:
			out = append(out, p)
		}
	}
	route = strings.Join(out, "/")
	if _, err := parseTemplate(route); err != nil {
		return nil, "", about(fmt.Sprintf("Pattern %q", pattern), err)
	}
	return []string{method}, route, nil
}
