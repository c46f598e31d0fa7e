package priceline

import (
	"net/url"
	"strings"
	"testing"
)

// TestASVS_V3_7_2_SafeReturnToBlocksOpenRedirects checks that the post-sign-in
// return path can only point into this site: every form browsers or
// proxies would turn into another origin becomes "/".
func TestASVS_V3_7_2_SafeReturnToBlocksOpenRedirects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// kept
		{"/", "/"},
		{"/ok/path?x=1", "/ok/path?x=1"},
		{"/hospitals/42#charges", "/hospitals/42#charges"},
		{"/search?q=St%20Mary%27s", "/search?q=St%20Mary%27s"},
		{"/search?next=/account", "/search?next=/account"},
		{"/a//b", "/a//b"},
		// other origins
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{`/\evil.example`, "/"},
		{`\\evil.example`, "/"},
		{`\/evil.example`, "/"},
		{"https://evil.example/", "/"},
		{"HTTPS://evil.example", "/"},
		{"http:evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"JaVaScRiPt:alert(1)", "/"},
		{"data:text/html,<script>alert(1)</script>", "/"},
		{"evil.example", "/"},
		{"", "/"},
		// percent-encoded forms
		{"%2F%2Fevil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"/%2f/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5cevil.example", "/"},
		{"/%252F/evil.example", "/"},
		{"/%25252F/evil.example", "/"},
		{"/%09/evil.example", "/"},
		{"/%0d%0aSet-Cookie:x=1", "/"},
		{"/%zz", "/"},
		// control characters and whitespace that browsers strip or split on
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r\n/evil.example", "/"},
		{"\t//evil.example", "/"},
		{" /ok", "/"},
		{"/ok\x00", "/"},
		{"/ok\x7f", "/"},
		{"/ok path", "/"},
		{"/caf\u00e9", "/"},
		{"/\uff0f/evil.example", "/"},
		{"/" + strings.Repeat("a", maxReturnTo), "/"},
	} {
		if got := SafeReturnTo(tc.in); got != tc.want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSafeReturnTo checks, independently of how SafeReturnTo decides, that
// whatever it returns stays on this origin however a browser reads it.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"/", "/ok/path?x=1", "//evil", `/\evil`, "https://evil", "javascript:alert(1)", "%2F%2Fevil", "/%2F/evil", "/%5Cevil", `\\evil`, "/\t/evil", "/%252F/evil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://priceline.example/start")
	browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/")
	f.Fuzz(func(t *testing.T, in string) {
		out := SafeReturnTo(in)
		if out != "/" && out != in {
			t.Fatalf("SafeReturnTo(%q) = %q: neither the input nor /", in, out)
		}
		if again := SafeReturnTo(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
		// Read it the way a lenient browser would, once per decoding round.
		v := out
		for range 4 {
			b := browser.Replace(strings.TrimLeft(v, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
			if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") {
				t.Fatalf("SafeReturnTo(%q) = %q, which reads as %q", in, out, b)
			}
			ref, err := url.Parse(b)
			if err != nil {
				t.Fatalf("SafeReturnTo(%q) = %q does not parse: %v", in, out, err)
			}
			if r := base.ResolveReference(ref); r.Scheme != "https" || r.Host != "priceline.example" {
				t.Fatalf("SafeReturnTo(%q) = %q resolves to %s", in, out, r)
			}
			dec, err := url.PathUnescape(v)
			if err != nil || dec == v {
				break
			}
			v = dec
		}
	})
}
