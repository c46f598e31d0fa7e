package docscheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// The docs that state a link's lifetime state the constant's, written as
// the mails write it (priceline.LifetimeText), so the reference cannot
// drift from the code (auth's TestMailsStateTheTokenLifetimes holds the
// mails themselves).
func TestDocsStateTheTokenLifetimes(t *testing.T) {
	span := regexp.MustCompile(`\b\d+\s+(?:second|minute|hour|day|week)s?\b`)
	dir := root(t)
	for _, c := range []struct {
		doc, near string // near: a pattern whose one group is the stated lifetime
		lifetime  time.Duration
	}{
		{"api.md", "verification link \\(`[^`]*`, valid ([^)]*)\\)", priceline.VerifyTokenLifetime},
		{"api.md", "gets a link\\s+\\(`PUBLIC_URL/verify-email[^`]*`, valid ([^)]*)\\)", priceline.AccountTokenLifetime},
		{"api.md", "`PUBLIC_URL/reset-password[^`]*`[^.]*single use, valid ([^,]*),", priceline.AccountTokenLifetime},
		{"security.md", "reset links: [^|]*single use, ([^,]*), a new request", priceline.AccountTokenLifetime},
		{"mail.md", "a reset link is useless\\s+after ([^)]*)\\)", priceline.AccountTokenLifetime},
	} {
		doc, err := os.ReadFile(filepath.Join(dir, "docs", c.doc))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(c.near).FindAllStringSubmatch(string(doc), -1)
		if len(m) != 1 {
			t.Errorf("docs/%s: %d passages match %q, want 1", c.doc, len(m), c.near)
			continue
		}
		want := priceline.LifetimeText(c.lifetime)
		spans := span.FindAllString(m[0][1], -1)
		if len(spans) == 0 {
			t.Errorf("docs/%s states no lifetime in %q, want %q", c.doc, m[0][1], want)
		}
		for _, got := range spans {
			if got = strings.Join(strings.Fields(got), " "); got != want {
				t.Errorf("docs/%s states %q, want %q (the token's lifetime)", c.doc, got, want)
			}
		}
	}
}
