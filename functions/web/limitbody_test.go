package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The Functions host proxies requests with enableProxyingHttpRequest, which
// streams a chunked body on as chunked (see funchost/doc.go), so the handler
// must read such a body like any other and bound it the same way.
func TestChunkedBodyReachesTheHandlerAndIsBounded(t *testing.T) {
	s := &Server{}
	var mu sync.Mutex
	var seen []string // Transfer-Encoding of each request as the server saw it
	echo := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, strings.Join(r.TransferEncoding, ","))
		mu.Unlock()
		in, err := readInput(r, false, []string{"email"}, nil)
		if err != nil {
			s.respond(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, in)
	}
	srv := httptest.NewServer(s.limitBody(http.HandlerFunc(echo)))
	defer srv.Close()

	post := func(body string) (*http.Response, []byte) {
		t.Helper()
		// io.MultiReader hides the length, so the client sends the body
		// with Transfer-Encoding: chunked and no Content-Length.
		req, err := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	resp, b := post(`{"email":"chunked@example.org"}`)
	mu.Lock()
	got := append([]string(nil), seen...)
	mu.Unlock()
	if len(got) != 1 || got[0] != "chunked" {
		t.Fatalf("the test request did not arrive chunked: %q", got)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "chunked@example.org") {
		t.Fatalf("chunked body: %d %s, want 200 echoing the field", resp.StatusCode, b)
	}

	resp, b = post(`{"email":"` + strings.Repeat("x", maxBodyBytes) + `"}`)
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("oversized chunked body: %d %s is not a JSON error", resp.StatusCode, b)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || e.Error.Code != "body_too_large" {
		t.Errorf("oversized chunked body: %d %s, want 413 body_too_large", resp.StatusCode, b)
	}
}
