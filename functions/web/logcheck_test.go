package web

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// logCapture keeps every log line an env writes, so that the whole web test
// suite's logs can be checked for what must never be logged (ASVS 5.0
// V16.2.5, docs/security-log.md).
type logCapture struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

var (
	// An email address, as any log line might carry one.
	emailInLog = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+`)
	// 64 or more hex characters in a row: a session ID or key, a CSRF
	// token, or the secret of a link. Logged IDs are shorter on purpose
	// (session key prefixes 8, account keys 32, user IDs 32).
	longHexInLog = regexp.MustCompile(`[0-9a-f]{64,}`)
	// A JWT, as the session cookie is.
	jwtInLog = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`)
)

// secretsInTests are the passwords the web tests type.
var secretsInTests = []string{goodPassword, "quiet lantern gravel pond", "wrong-password-entirely", "a brand new passphrase 77"}

// checkNoSecrets fails t if any captured line holds an email address, a
// password the tests use, a session ID, a CSRF token, a link's token or a
// session cookie.
func (c *logCapture) checkNoSecrets(t *testing.T) {
	t.Helper()
	for _, p := range c.secretLines() {
		t.Error(p)
	}
}

// secretLines describes each captured line that holds a secret.
func (c *logCapture) secretLines() []string {
	var out []string
	for i, line := range strings.Split(c.String(), "\n") {
		bad := ""
		switch {
		case emailInLog.MatchString(line):
			bad = "an email address"
		case longHexInLog.MatchString(line):
			bad = "a session ID, token or key"
		case jwtInLog.MatchString(line):
			bad = "a session cookie"
		}
		for _, pw := range secretsInTests {
			if strings.Contains(line, pw) {
				bad = "a password"
			}
		}
		if bad != "" {
			out = append(out, fmt.Sprintf("log line %d holds %s: %.200s", i+1, bad, line))
		}
	}
	return out
}

// The check above runs at the end of every test that uses newEnv, which is
// the whole suite's logs; this test proves it catches what it looks for.
func TestASVS_V16_2_5_LogCheckCatchesSecrets(t *testing.T) {
	for _, line := range []string{
		`{"msg":"x","to":"ada@example.org"}`,
		`{"msg":"x","session":"` + strings.Repeat("ab", 32) + `"}`,
		`{"msg":"x","cookie":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"}`,
		`{"msg":"x","pw":"` + goodPassword + `"}`,
	} {
		c := &logCapture{}
		c.b.WriteString(line)
		if len(c.secretLines()) != 1 {
			t.Errorf("not caught: %s", line)
		}
	}
}

// mailTo returns the text of the newest message of kind in the env's dev
// mail folder sent to addr, waiting for background delivery.
func (e *testEnv) mailTo(addr, kind string) string {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.web.Auth.WaitMail()
		files, _ := filepath.Glob(filepath.Join(e.mailDir, "*-"+kind+"-*.eml"))
		var newest string
		var newestTime time.Time
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !strings.Contains(string(b), "\r\nTo: "+addr+"\r\n") {
				continue
			}
			if st, err := os.Stat(f); err == nil && !st.ModTime().Before(newestTime) {
				newest, newestTime = string(b), st.ModTime()
			}
		}
		if newest != "" {
			return newest
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s message to %s in %s", kind, addr, e.mailDir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var linkToken = regexp.MustCompile(`\?token=([0-9a-z]+)`)

// linkFrom returns the token of the link in the newest message of kind to addr.
func (e *testEnv) linkFrom(addr, kind string) string {
	e.t.Helper()
	m := linkToken.FindStringSubmatch(e.mailTo(addr, kind))
	if m == nil {
		e.t.Fatalf("no link in the %s message to %s", kind, addr)
	}
	return m[1]
}
