package priceline

import (
	"net/url"
)

// maxReturnTo bounds the stored return path; anything longer is not a link
// a user followed.
const maxReturnTo = 1024

// SafeReturnTo returns s if it is a same-origin relative path, and "/"
// otherwise (ASVS V3.7.2, no open redirects). It is the one implementation:
// the sign-in forms, the cloud sign-in flow in package auth and the b2c
// adapter, which stores the path across the provider round trip, must all
// judge a return path alike, so it lives in the domain that each of them
// imports. Browsers are lenient in ways that turn innocent-looking paths
// into other origins: "//evil" and "/\evil" are host-relative, tabs and
// newlines are deleted before parsing, and a server or proxy may decode
// "%2F" or "%5C" once more. So s must start with exactly one "/", contain no
// backslash, control, space or non-ASCII byte, and keep those properties
// after every round of percent-decoding.
func SafeReturnTo(s string) string {
	if safeReturnTo(s) {
		return s
	}
	return "/"
}

func safeReturnTo(s string) bool {
	if len(s) == 0 || len(s) > maxReturnTo {
		return false
	}
	cur := s
	for round := 0; ; round++ {
		if !safePathShape(cur, round == 0) {
			return false
		}
		dec, err := url.PathUnescape(cur)
		if err != nil {
			return false
		}
		if dec == cur {
			break
		}
		if round == 3 {
			// Encoding nested this deep is an attack, not a link.
			return false
		}
		cur = dec
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

// safePathShape checks one decoding of the path. The raw form must be plain
// printable ASCII; decoded forms may contain spaces and UTF-8 (a search for
// "St%20Mary%27s" is a fair return path) but no control characters.
func safePathShape(s string, raw bool) bool {
	if len(s) == 0 || s[0] != '/' {
		return false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b < 0x20 || b == 0x7f || b == '\\':
			return false
		case raw && (b == ' ' || b >= 0x80):
			return false
		}
	}
	return true
}
