package hibp

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// rangeAPI is a protocol double of the Pwned Passwords range API: it knows
// a set of breached passwords (by full SHA-1), answers GET /range/{prefix}
// with every known suffix under the prefix plus padding lines of count 0,
// and records what it was sent.
type rangeAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	breached map[string]int // upper-case SHA-1 hex → count
	requests []*http.Request
	delay    time.Duration
	status   int
}

func newRangeAPI(t *testing.T, breached ...string) *rangeAPI {
	a := &rangeAPI{breached: map[string]int{}}
	for i, pw := range breached {
		a.breached[sha1Hex(pw)] = 1000 + i
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

var prefixPath = regexp.MustCompile(`^/range/([0-9A-F]{5})$`)

func (a *rangeAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests = append(a.requests, r.Clone(context.Background()))
	delay, status := a.delay, a.status
	a.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		http.Error(w, "failing on purpose", status)
		return
	}
	m := prefixPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodGet || m == nil {
		http.Error(w, "The hash prefix was not in a valid format", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	a.mu.Lock()
	defer a.mu.Unlock()
	for full, n := range a.breached {
		if strings.HasPrefix(full, m[1]) {
			fmt.Fprintf(w, "%s:%d\r\n", full[5:], n)
		}
	}
	if r.Header.Get("Add-Padding") == "true" {
		for i := range 5 {
			fmt.Fprintf(w, "%035X:0\r\n", i+1)
		}
	}
}

func (a *rangeAPI) client(logs *bytes.Buffer, timeout time.Duration) *Client {
	return New(Options{BaseURL: a.srv.URL, HTTPClient: a.srv.Client(), Timeout: timeout, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
}

const breachedPassword = "correct horse battery staple"

func TestASVS_V6_2_12_BreachedPasswordIsRefused(t *testing.T) {
	api := newRangeAPI(t, breachedPassword)
	var logs bytes.Buffer
	err := api.client(&logs, 0).CheckBreached(context.Background(), breachedPassword)
	if priceline.ErrorKind(err) != priceline.KindInvalid || priceline.ErrorCode(err) != "password_breached" {
		t.Fatalf("err = %v, want invalid/password_breached", err)
	}
}

func TestASVS_V6_2_12_UnbreachedPasswordIsAccepted(t *testing.T) {
	api := newRangeAPI(t, breachedPassword)
	var logs bytes.Buffer
	c := api.client(&logs, 0)
	if err := c.CheckBreached(context.Background(), "violet kettle under the stairs"); err != nil {
		t.Fatalf("err = %v", err)
	}
	// A padding line whose suffix matches is a decoy, not a breach.
	full := sha1Hex("a padded decoy password")
	api.mu.Lock()
	api.breached[full] = 0
	api.mu.Unlock()
	if err := c.CheckBreached(context.Background(), "a padded decoy password"); err != nil {
		t.Errorf("a count of 0 refused the password: %v", err)
	}
	if logs.Len() != 0 {
		t.Errorf("a successful check logged: %s", logs.String())
	}
}

func TestASVS_V6_2_12_OnlyFiveHexCharactersOfTheHashLeave(t *testing.T) {
	api := newRangeAPI(t)
	var logs bytes.Buffer
	pw := "a password only this test knows"
	if err := api.client(&logs, 0).CheckBreached(context.Background(), pw); err != nil {
		t.Fatal(err)
	}
	full := sha1Hex(pw)
	if len(api.requests) != 1 {
		t.Fatalf("%d requests", len(api.requests))
	}
	r := api.requests[0]
	if r.URL.Path != "/range/"+full[:5] || r.URL.RawQuery != "" || r.ContentLength > 0 {
		t.Errorf("request %s %s?%s (%d body bytes), want GET /range/%s and nothing else", r.Method, r.URL.Path, r.URL.RawQuery, r.ContentLength, full[:5])
	}
	if r.Header.Get("Add-Padding") != "true" {
		t.Error("no Add-Padding: true header")
	}
	var sent strings.Builder
	fmt.Fprint(&sent, r.URL.String())
	for k, v := range r.Header {
		fmt.Fprint(&sent, k, v)
	}
	for i := 6; i+6 <= len(full); i++ {
		if strings.Contains(strings.ToUpper(sent.String()), full[i:i+6]) {
			t.Fatalf("the request carries hash characters beyond the prefix")
		}
	}
	if strings.Contains(sent.String(), pw) {
		t.Fatal("the request carries the password")
	}
}

func TestASVS_V6_2_12_SlowOrFailingServiceIsSkippedNotBlocking(t *testing.T) {
	api := newRangeAPI(t, breachedPassword)
	api.delay = 5 * time.Second
	var logs bytes.Buffer
	c := api.client(&logs, 100*time.Millisecond)
	start := time.Now()
	if err := c.CheckBreached(context.Background(), breachedPassword); err != nil {
		t.Fatalf("a slow service blocked the password: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the check took %s", took)
	}
	if !strings.Contains(logs.String(), `"reason":"timeout"`) {
		t.Errorf("no skip line: %s", logs.String())
	}
	api.mu.Lock()
	api.delay, api.status = 0, http.StatusServiceUnavailable
	api.mu.Unlock()
	if err := c.CheckBreached(context.Background(), breachedPassword); err != nil {
		t.Fatalf("a failing service blocked the password: %v", err)
	}
	if !strings.Contains(logs.String(), `"reason":"unavailable"`) {
		t.Errorf("no skip line for a 503: %s", logs.String())
	}
	full := sha1Hex(breachedPassword)
	if strings.Contains(logs.String(), full[:5]) || strings.Contains(logs.String(), breachedPassword) {
		t.Errorf("the log carries the password or its hash prefix: %s", logs.String())
	}
}

func TestDefaultTimeoutIsOneAndAHalfSeconds(t *testing.T) {
	if c := New(Options{}); c.timeout != 1500*time.Millisecond || c.base != DefaultBaseURL {
		t.Errorf("defaults %s %s", c.timeout, c.base)
	}
}
