package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRefusesAnythingButLoopback(t *testing.T) {
	for _, u := range []string{"http://example.com", "http://10.0.0.1:7071", "https://127.0.0.1:7071", "http://0.0.0.0:7071", "127.0.0.1:7071", ""} {
		var stderr bytes.Buffer
		if code := run([]string{"-url", u, "-duration", "1s"}, &bytes.Buffer{}, &stderr); code != 2 {
			t.Errorf("run -url %q = %d, want 2 (refused)", u, code)
		}
	}
	for _, u := range []string{"http://127.0.0.1:7071", "http://localhost:7071", "http://[::1]:7071"} {
		if _, err := parseOptions([]string{"-url", u}, &bytes.Buffer{}); err != nil {
			t.Errorf("parseOptions -url %q: %v", u, err)
		}
	}
}

func TestBoundsAreEnforced(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "11m"}, {"-duration", "0s"}, {"-concurrency", "0"}, {"-concurrency", "257"},
		{"-max-requests", "0"}, {"-max-requests", "5000001"}, {"-mix", "compare=0"}, {"-mix", "admin=5"}, {"-mix", "me=1,me=2"},
	} {
		if _, err := parseOptions(append([]string{"-url", "http://127.0.0.1:1"}, args...), &bytes.Buffer{}); err == nil {
			t.Errorf("parseOptions %v accepted", args)
		}
	}
}

// fakeHandler answers loadgen's routes the way the handler does; every
// failEvery-th comparison is a 503 when failEvery > 0.
func fakeHandler(failEvery int64) http.Handler {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/register", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "__Host-session", Value: "c", Secure: true, Path: "/"})
		w.Write([]byte(`{"csrfToken":"x"}`))
	})
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("__Host-session"); err != nil || c.Value != "c" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("GET /api/prices/compare", func(w http.ResponseWriter, r *http.Request) {
		if failEvery > 0 && n.Add(1)%failEvery == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"code":"storage_unavailable","message":"x"}}`))
		}
	})
	return mux
}

func TestReportsThroughputAndNoUnexpectedAnswers(t *testing.T) {
	srv := httptest.NewServer(fakeHandler(0))
	defer srv.Close()
	var out bytes.Buffer
	code := run([]string{"-url", srv.URL, "-duration", "300ms", "-concurrency", "4", "-accounts", "2"}, &out, &bytes.Buffer{})
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, &out)
	}
	for _, want := range []string{"compare", "me", "login", "register", "p99 ms", "unexpected answers: none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, &out)
		}
	}
}

func TestReportsEveryUnexpectedAnswer(t *testing.T) {
	srv := httptest.NewServer(fakeHandler(3))
	defer srv.Close()
	var out bytes.Buffer
	code := run([]string{"-url", srv.URL, "-duration", "300ms", "-concurrency", "2", "-mix", "compare=1", "-max-requests", "60"}, &out, &bytes.Buffer{})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, &out)
	}
	if !strings.Contains(out.String(), "compare: 503 storage_unavailable") {
		t.Errorf("report does not list the 503s:\n%s", &out)
	}
}
