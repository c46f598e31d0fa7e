package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/handlerproc"
)

func TestMain(m *testing.M) { azurite.RunTests(m, handlerproc.RemoveBinary) }

// publicURL is what the handler is told its origin is.
const publicURL = handlerproc.PublicURL

// startInstance runs the handler binary against the storage account conn
// and waits until it answers /api/health with 200. env adds settings.
func startInstance(t testing.TB, name, conn string, env ...string) *handlerproc.Proc {
	t.Helper()
	return handlerproc.Start(t, handlerproc.Options{Name: name, Conn: conn, Env: env})
}

// untilTestDeadline returns a context that ends a little before the test
// binary's -timeout would, so that a wait with no meaningful bound of its
// own fails as this test, naming what it waited for, instead of as a panic
// of the whole binary. Without a deadline it ends with the test.
func untilTestDeadline(t *testing.T) context.Context {
	t.Helper()
	deadline, ok := t.Deadline()
	if !ok {
		return t.Context()
	}
	// Keep a tenth of what is left, at most a minute, for reporting and
	// cleanup (stopping processes, printing their logs).
	margin := min(time.Until(deadline)/10, time.Minute)
	ctx, cancel := context.WithDeadline(t.Context(), deadline.Add(-margin))
	t.Cleanup(cancel)
	return ctx
}

// session is what a signed-in API client holds: the cookie value and the
// CSRF token for state-changing requests.
type session struct {
	cookie string
	csrf   string
}

// reply is an answer with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

// errorCode returns the "error.code" of a JSON error body, or "".
func (r *reply) errorCode() string {
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code
}

func (r *reply) String() string {
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body))
}

// api is a JSON client for one instance.
type api struct {
	base   string
	client *http.Client
}

func newAPI(base string) *api {
	return &api{base: base, client: &http.Client{Timeout: 20 * time.Second}}
}

// do sends one request. body, when not nil, is sent as JSON.
func (a *api) do(method, path string, body any, s *session) (*reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s != nil {
		// The cookie is Secure (__Host-), so a cookie jar would not send it
		// over plain loopback HTTP; set it by hand as the Functions front
		// end's TLS termination effectively does.
		req.AddCookie(&http.Cookie{Name: "__Host-session", Value: s.cookie})
		if method != http.MethodGet {
			req.Header.Set("X-CSRF-Token", s.csrf)
		}
	}
	start := time.Now()
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b, took: time.Since(start)}, nil
}

// must sends a request and fails the test on a transport error.
func (a *api) must(t testing.TB, method, path string, body any, s *session) *reply {
	t.Helper()
	r, err := a.do(method, path, body, s)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

const testPassword = "purple-Tiger-42-bicycle"

// uniqueEmail returns an email no other test of this run uses.
func uniqueEmail(t testing.TB, tag string) string {
	return fmt.Sprintf("%s-%d@example.com", tag, time.Now().UnixNano())
}

func (a *api) register(t testing.TB, email, password string) {
	t.Helper()
	r := a.must(t, "POST", "/api/register", map[string]string{"email": email, "password": password, "name": "E2E Tester"}, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("register %s: %s", email, r)
	}
}

// login signs in and returns the session; it fails the test unless 200.
func (a *api) login(t testing.TB, email, password string) *session {
	t.Helper()
	r := a.must(t, "POST", "/api/login", map[string]string{"email": email, "password": password}, nil)
	if r.status != http.StatusOK {
		t.Fatalf("login %s: %s", email, r)
	}
	return sessionFrom(t, r)
}

// sessionFrom reads the session cookie and CSRF token from a sign-in reply.
func sessionFrom(t testing.TB, r *reply) *session {
	t.Helper()
	var body struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.CSRFToken == "" {
		t.Fatalf("sign-in reply has no csrfToken: %s", r)
	}
	resp := http.Response{Header: r.header}
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-session" && c.Value != "" {
			return &session{cookie: c.Value, csrf: body.CSRFToken}
		}
	}
	t.Fatalf("sign-in reply sets no session cookie: %v", r.header.Values("Set-Cookie"))
	return nil
}

// mentionsInternals reports whether a response body leaks storage or
// runtime details that only logs may hold.
func mentionsInternals(body []byte) bool {
	s := strings.ToLower(string(body))
	for _, w := range []string{"127.0.0.1", "dial tcp", "connection refused", "goroutine", "panic", "aztables", "azcore", "devstoreaccount1", "table storage"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// verifyByMail follows the verification link the instance wrote to its dev
// mail folder dir for email.
func (a *api) verifyByMail(t testing.TB, dir, email string) {
	t.Helper()
	link := regexp.MustCompile(`verify-email\?token=([0-9a-z]+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*-verify_email-*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !strings.Contains(string(b), "\r\nTo: "+email+"\r\n") {
				continue
			}
			if m := link.FindSubmatch(b); m != nil {
				if r := a.must(t, "POST", "/api/email/verify", map[string]string{"token": string(m[1])}, nil); r.status != http.StatusOK {
					t.Fatalf("verify %s: %s", email, r)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verification message to %s in %s", email, dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
