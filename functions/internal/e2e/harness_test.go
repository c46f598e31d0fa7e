package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/syncbuf"
)

func TestMain(m *testing.M) {
	code := m.Run()
	azurite.StopShared()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// devSigningKey is a local-only development key (32 bytes, base64); both
// instances of a test share it, as every instance shares the vault in Azure.
const devSigningKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// publicURL is what the handler is told its origin is.
const publicURL = "http://localhost:7071"

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// handlerBinary compiles cmd/handler once per test binary. It is built
// without -race so that timings resemble production; the tests themselves
// still run under -race.
func handlerBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		// E2E_HANDLER_BINARY runs a prebuilt binary instead, for measuring
		// a build with changes not yet in the tree.
		if p := os.Getenv("E2E_HANDLER_BINARY"); p != "" {
			built.path = p
			return
		}
		dir, err := os.MkdirTemp("", "priceline-e2e")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.path = filepath.Join(dir, "handler")
		out, err := exec.Command("go", "build", "-o", built.path, "hospitalpriceline/functions/cmd/handler").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build cmd/handler: %v: %s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// instance is one running handler process: one Functions instance.
type instance struct {
	name string
	cmd  *exec.Cmd
	url  string
	log  *syncbuf.Buffer
	done chan struct{}
}

// startInstance runs the handler binary against the storage account conn
// and waits until it answers /api/health with 200. env adds settings.
func startInstance(t testing.TB, name, conn string, env ...string) *instance {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(handlerBinary(t))
	cmd.Env = append(os.Environ(),
		"FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port),
		"PRICELINE_PUBLIC_URL="+publicURL,
		"PRICELINE_TABLES_CONNECTION_STRING="+conn,
		"PRICELINE_DEV_SIGNING_KEY="+devSigningKey,
	)
	cmd.Env = append(cmd.Env, env...)
	in := &instance{name: name, cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = in.log, in.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, in.log.String())
		}
	})
	in.waitHealthy(t, 30*time.Second)
	return in
}

func (in *instance) stop() {
	select {
	case <-in.done:
		return
	default:
	}
	_ = in.cmd.Process.Signal(os.Interrupt)
	select {
	case <-in.done:
	case <-time.After(15 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.done
	}
}

// waitHealthy polls /api/health until it answers 200.
func (in *instance) waitHealthy(t testing.TB, within time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-in.done:
			t.Fatalf("%s exited during start:\n%s", in.name, in.log.String())
		default:
		}
		resp, err := client.Get(in.url + "/api/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not become healthy within %s", in.name, within)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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
