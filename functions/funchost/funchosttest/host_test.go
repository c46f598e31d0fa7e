package funchosttest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hospitalpriceline/functions/funchost"
)

// seen records the requests that reached the handler.
type seen struct {
	mu   sync.Mutex
	reqs []seenRequest
}

type seenRequest struct {
	method, path, rawQuery, body, host string
	header                             http.Header
}

func (s *seen) last(t *testing.T) seenRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("no request reached the handler")
	}
	return s.reqs[len(s.reqs)-1]
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// startApp stages a small app and starts a handler for it, as the web
// package and cmd/handler would, with the simulator in front.
func startApp(t *testing.T) (*Host, *seen) {
	t.Helper()
	fns := []funchost.Function{
		{Name: "Home", Methods: []string{"GET"}, Route: funchost.RootRoute},
		{Name: "Login", Methods: []string{"POST"}, Route: "api/login"},
		{Name: "SessionsDelete", Methods: []string{"DELETE"}, Route: "api/me/sessions/{id}"},
		{Name: "Redirect", Methods: []string{"GET"}, Route: "go"},
		{Name: "CleanupSessions", Schedule: "0 */5 * * * *"},
		{Name: "FailingJob", Schedule: "0 0 3 * * *"},
	}
	hostJSON, err := os.ReadFile(filepath.Join("..", "..", "..", "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "handler-build")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	appDir := filepath.Join(t.TempDir(), "app")
	if err := funchost.Stage(appDir, hostJSON, bin, fns); err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=abc; Path=/; HttpOnly; Secure")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "logged in")
	})
	mux.HandleFunc("DELETE /api/me/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.Handle("POST /CleanupSessions", funchost.TimerHandler(func(ctx context.Context, req funchost.InvokeRequest) ([]string, error) {
		if _, ok := req.Data[funchost.TimerBindingName]; !ok {
			return nil, errors.New("no timer data")
		}
		return []string{"removed 2 expired sessions"}, nil
	}))
	mux.Handle("POST /FailingJob", funchost.TimerHandler(func(ctx context.Context, req funchost.InvokeRequest) ([]string, error) {
		return []string{"starting"}, errors.New("storage unavailable")
	}))
	s := &seen{}
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Host, r.Header.Clone()})
		s.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(handler.Close)
	return NewHost(t, appDir, handler.URL), s
}

// noRedirects is a client that shows 3xx responses as they are.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestHost_ForwardsMatchingRequestsUnchanged(t *testing.T) {
	h, s := startApp(t)
	resp := do(t, http.MethodPost, h.URL()+"/api/login?next=%2Fme%2Fsessions&x=1", `{"email":"a@example.com"}`,
		map[string]string{"Content-Type": "application/json", "User-Agent": "test-browser/1.0", "Cookie": "csrf=1", "X-Forwarded-For": "203.0.113.7"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "logged in" {
		t.Errorf("body = %q", b)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "session=abc") {
		t.Errorf("Set-Cookie not passed back: %q", c)
	}
	got := s.last(t)
	if got.method != http.MethodPost || got.path != "/api/login" || got.rawQuery != "next=%2Fme%2Fsessions&x=1" {
		t.Errorf("forwarded %s %s?%s", got.method, got.path, got.rawQuery)
	}
	if got.body != `{"email":"a@example.com"}` {
		t.Errorf("forwarded body %q", got.body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "Cookie": "csrf=1", "X-Forwarded-For": "203.0.113.7"} {
		if v := got.header.Get(k); v != want {
			t.Errorf("forwarded %s = %q, want %q", k, v, want)
		}
	}
	if got.header.Get(InvocationIDHeader) == "" || got.header.Get(HostVersionHeader) != HostVersion {
		t.Errorf("host headers missing: %v", got.header)
	}
	if ua := got.header.Get("User-Agent"); !strings.HasPrefix(ua, "test-browser/1.0 ") || !strings.Contains(ua, "Azure-Functions-Host/") {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestHost_ForwardsRootAndParameterRoutes(t *testing.T) {
	h, s := startApp(t)
	resp := do(t, http.MethodGet, h.URL()+"/", "", nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(b) != "home" {
		t.Errorf("GET / = %d %q", resp.StatusCode, b)
	}
	resp = do(t, http.MethodDelete, h.URL()+"/api/me/sessions/abc123", "", nil)
	if resp.StatusCode != http.StatusNoContent || s.last(t).path != "/api/me/sessions/abc123" {
		t.Errorf("DELETE session = %d, handler saw %q", resp.StatusCode, s.last(t).path)
	}
	// The host matches routes ignoring case but forwards the path as sent;
	// the handler's own mux then decides.
	resp = do(t, http.MethodPost, h.URL()+"/API/Login", "", nil)
	if s.last(t).path != "/API/Login" {
		t.Errorf("handler saw %q, want the path as sent", s.last(t).path)
	}
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Go's mux is case-sensitive; status = %d", resp.StatusCode)
	}
}

func TestHost_UnmatchedRequestsGet404WithoutReachingHandler(t *testing.T) {
	h, s := startApp(t)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/login"},          // route exists, method does not
		{http.MethodGet, "/nowhere"},            // no route
		{http.MethodGet, "/index.html"},         // the root route is the root only
		{http.MethodPost, "/CleanupSessions"},   // a timer is not reachable from outside
		{http.MethodGet, "/admin/host/status"},  // the host's own API
		{http.MethodDelete, "/api/me/sessions"}, // {id} needs a segment
	} {
		resp := do(t, r.method, h.URL()+r.path, "", nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", r.method, r.path, resp.StatusCode)
		}
	}
	if n := s.count(); n != 0 {
		t.Errorf("%d requests reached the handler, want 0", n)
	}
}

func TestHost_PassesRedirectsThrough(t *testing.T) {
	h, _ := startApp(t)
	resp := do(t, http.MethodGet, h.URL()+"/go", "", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("GET /go = %d Location %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestHost_InvokeTimer(t *testing.T) {
	h, s := startApp(t)
	resp, err := h.InvokeTimer(context.Background(), "cleanupsessions")
	if err != nil {
		t.Fatalf("InvokeTimer: %v", err)
	}
	if len(resp.Logs) != 1 || resp.Logs[0] != "removed 2 expired sessions" {
		t.Errorf("Logs = %q", resp.Logs)
	}
	got := s.last(t)
	if got.method != http.MethodPost || got.path != "/CleanupSessions" {
		t.Errorf("invocation sent to %s %s, want POST /CleanupSessions", got.method, got.path)
	}
	if got.header.Get("Content-Type") != "application/json" || got.header.Get(InvocationIDHeader) == "" {
		t.Errorf("invocation headers %v", got.header)
	}
	if !strings.Contains(got.body, `"Data":{"timer":{`) || !strings.Contains(got.body, `"MethodName":"CleanupSessions"`) {
		t.Errorf("invocation payload %s", got.body)
	}
}

func TestHost_InvokeTimerFailureReturnsErrorAndLogs(t *testing.T) {
	h, _ := startApp(t)
	resp, err := h.InvokeTimer(context.Background(), "FailingJob")
	if err == nil {
		t.Fatal("InvokeTimer of a failing job succeeded")
	}
	if resp == nil || len(resp.Logs) != 2 || !strings.Contains(resp.Logs[1], "storage unavailable") {
		t.Errorf("response = %+v", resp)
	}
}

func TestHost_InvokeTimerRefusesUnknownAndHTTPFunctions(t *testing.T) {
	h, s := startApp(t)
	for _, name := range []string{"Nope", "Login"} {
		if _, err := h.InvokeTimer(context.Background(), name); err == nil {
			t.Errorf("InvokeTimer(%q) succeeded", name)
		}
	}
	if s.count() != 0 {
		t.Error("a refused invocation reached the handler")
	}
}

func TestHost_Functions(t *testing.T) {
	h, _ := startApp(t)
	if n := len(h.Functions()); n != 6 {
		t.Errorf("Functions() has %d entries, want 6", n)
	}
}

func TestHost_PassesTheQueryOnUnchanged(t *testing.T) {
	h, s := startApp(t)
	do(t, http.MethodGet, h.URL()+"/?a=1&a=2&q=hello+world&e=%C3%A9", "", nil)
	if got, want := s.last(t).rawQuery, "a=1&a=2&q=hello+world&e=%C3%A9"; got != want {
		t.Errorf("proxied query %q, want %q", got, want)
	}
}

func TestHost_ProxiesAChunkedBody(t *testing.T) {
	h, s := startApp(t)
	// An io.Reader of unknown length makes the client send it chunked.
	req, err := http.NewRequest(http.MethodPost, h.URL()+"/api/login", io.MultiReader(strings.NewReader(`{"a":1}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := s.last(t)
	if got.body != `{"a":1}` || got.header.Get("Content-Type") != "application/json" {
		t.Errorf("chunked body proxied as %q with Content-Type %q; the proxy passes both on", got.body, got.header.Get("Content-Type"))
	}
}
