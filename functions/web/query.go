package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits of query parameters, in characters.
const (
	maxQueryLen    = 200
	maxCodeLen     = 64
	maxCodeTypeLen = 20
	maxNameLen     = 200
	maxCursorLen   = 100
	maxSortLen     = 20
)

// queryParams reads a query string strictly: only the named parameters, each
// at most once, valid UTF-8 without control characters, within its length.
// Anything else is a 400 before any storage is touched.
func queryParams(r *http.Request, limits map[string]int) (map[string]string, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid("invalid_query", "The query string is malformed.")
	}
	out := map[string]string{}
	for k, vs := range vals {
		max, ok := limits[k]
		if !ok {
			return nil, invalid("unknown_parameter", "The parameter %q is not supported here.", clipName(k))
		}
		if len(vs) != 1 {
			return nil, invalid("invalid_query", "The parameter %q may be given only once.", k)
		}
		v := strings.TrimSpace(vs[0])
		if !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return unicode.IsControl(c) }) {
			return nil, invalid("invalid_query", "The parameter %q contains characters that are not allowed.", k)
		}
		if utf8.RuneCountInString(v) > max {
			return nil, invalid("invalid_query", "The parameter %q is longer than %d characters.", k, max)
		}
		if v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// clipName keeps an unknown parameter's name short and printable in the
// message that echoes it.
func clipName(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

// parseLimit reads the limit parameter as a whole number from 1 to max; 0
// when it is absent, which the price service takes as its default.
func parseLimit(q map[string]string, max int) (int, error) {
	v, ok := q["limit"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, invalid("invalid_limit", "limit must be a whole number from 1 to %d.", max)
	}
	return n, nil
}

// keepTyped returns what a visitor typed, for the form shown again with an
// error, when it is text worth showing; otherwise nothing.
func keepTyped(v string, max int) string {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max || strings.ContainsFunc(v, unicode.IsControl) {
		return ""
	}
	return v
}
