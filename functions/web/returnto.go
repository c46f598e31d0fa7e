package web

import (
	"net/url"
	"strings"
)

// safeReturnTo keeps a post-sign-in destination only when it is a
// same-origin relative path (ASVS V3.7.2, no open redirects). Anything that a
// browser could read as another origin — "//evil", "/\evil", "https://evil",
// "javascript:", their percent-encoded forms, or control characters — becomes
// "/".
func safeReturnTo(s string) string {
	if s == "" || len(s) > 2048 {
		return "/"
	}
	// Decode repeatedly so that %2F%2F and %252F%252F are judged as // too.
	decoded := s
	for range 3 {
		d, err := url.PathUnescape(decoded)
		if err != nil {
			return "/"
		}
		if d == decoded {
			break
		}
		decoded = d
	}
	for _, v := range []string{s, decoded} {
		if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\") {
			return "/"
		}
		for _, r := range v {
			if r < 0x20 || r == 0x7f || r == '\\' {
				return "/"
			}
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return s
}
