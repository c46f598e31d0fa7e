package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/syncbuf"
	"hospitalpriceline/functions/priceline"
)

// Every way an error can be shown goes through respond: the table says, for
// each wrapper and request, whether the answer is JSON, the error page or
// the form again, and with which status.
func TestRespondChoosesOneShapePerError(t *testing.T) {
	bad := invalid("missing_query", "Type something.")
	busy := &priceline.Error{Kind: priceline.KindTooManyRequests, Code: "too_many_attempts", Message: "Wait.", RetryAfter: 3 * time.Second}
	forbidden := priceline.Errorf(priceline.KindForbidden, "csrf_failed", "Reload.")
	internal := errors.New("table exploded")
	form := func() *pageData {
		return &pageData{Title: "Sign in", Form: map[string]string{"email": "a@example.org"}}
	}

	cases := []struct {
		name       string
		err        error
		path       string
		accept     string
		formPost   bool
		wantStatus int
		wantShape  string // json, page, form
		wantText   string
	}{
		{"api error is JSON", bad, "/api/prices", "", false, 400, "json", `"missing_query"`},
		{"api error is JSON even for a browser", bad, "/api/prices", "text/html", false, 400, "json", `"missing_query"`},
		{"page request from a browser gets a page", bad, "/search", "text/html", false, 400, "page", "Type something."},
		{"form post gets a page", bad, "/login", "", true, 400, "page", "Type something."},
		{"asPage is a page whatever the request", asPage(bad), "/compare", "application/json", false, 400, "page", "Type something."},
		{"asBrowserPage with HTML accepted", asBrowserPage(bad), "/api/auth/b2c/callback", "text/html", false, 400, "page", "Type something."},
		{"asBrowserPage for a script", asBrowserPage(bad), "/api/auth/b2c/callback", "", false, 400, "json", `"missing_query"`},
		{"asForm shows the form again", asForm(bad, "login.html", form()), "/login", "", true, 400, "form", `value="a@example.org"`},
		{"asForm keeps the wait", asForm(busy, "login.html", form()), "/login", "", true, 429, "form", "Wait."},
		{"asForm sends forbidden to the error page", asForm(forbidden, "login.html", form()), "/login", "", true, 403, "page", "Reload."},
		{"internal errors show no cause", asForm(internal, "login.html", form()), "/login", "", true, 500, "page", "Something went wrong"},
		{"next step is added", withNextStep(bad, "Go back."), "/account/password", "", true, 400, "page", "Type something. Go back."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			s := &Server{Logger: slog.New(slog.NewJSONHandler(logs, nil))}
			r := httptest.NewRequest("GET", tc.path, nil)
			if tc.formPost {
				r = httptest.NewRequest("POST", tc.path, strings.NewReader("x=1"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			w := httptest.NewRecorder()
			s.respond(w, r, tc.err)
			body := w.Body.String()
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			ct := w.Header().Get("Content-Type")
			switch tc.wantShape {
			case "json":
				if !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type = %q, want JSON", ct)
				}
			case "page":
				if !strings.HasPrefix(ct, "text/html") || strings.Contains(body, `name="password"`) {
					t.Errorf("want the error page, got %q: %.200s", ct, body)
				}
			case "form":
				if !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, `name="password"`) {
					t.Errorf("want the form again, got %q: %.200s", ct, body)
				}
			}
			if !strings.Contains(body, tc.wantText) {
				t.Errorf("body lacks %q: %.300s", tc.wantText, body)
			}
			if strings.Contains(body, "table exploded") {
				t.Error("an internal cause reached the client")
			}
			if tc.wantStatus == 429 && w.Header().Get("Retry-After") != "3" {
				t.Errorf("Retry-After = %q, want 3", w.Header().Get("Retry-After"))
			}
			logged := strings.Count(logs.String(), `"request failed"`)
			if want := map[bool]int{true: 1, false: 0}[tc.wantStatus >= 500]; logged != want {
				t.Errorf("logged %d times, want %d: %s", logged, want, logs.String())
			}
		})
	}
}

// A nil error stays nil through every wrapper, so handlers can wrap their
// return value unconditionally.
func TestRespondWrappersKeepNil(t *testing.T) {
	for name, err := range map[string]error{
		"asPage": asPage(nil), "asBrowserPage": asBrowserPage(nil),
		"asForm": asForm(nil, "login.html", nil), "withNextStep": withNextStep(nil, "x"),
	} {
		if err != nil {
			t.Errorf("%s(nil) = %v, want nil", name, err)
		}
	}
}

// The wrappers keep the error's kind and code for everything that reads
// them (status, logging, tests).
func TestRespondWrappersKeepKindAndCode(t *testing.T) {
	err := asForm(asPage(invalid("bad", "Bad.")), "login.html", &pageData{})
	if priceline.ErrorCode(err) != "bad" || statusOf(err) != http.StatusBadRequest {
		t.Fatalf("code %q status %d, want bad 400", priceline.ErrorCode(err), statusOf(err))
	}
}
