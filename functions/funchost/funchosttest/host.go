// Package funchosttest is a small stand-in for the Azure Functions host, for
// tests. It reads a staged function app with funchost.CheckApp and plays the
// host's part in front of a running handler: HTTP requests whose method and
// path match a function's route are proxied, as with
// enableProxyingHttpRequest; everything else gets the host's 404; and
// InvokeTimer POSTs a timer's invocation payload to /<FunctionName>.
//
// It does not start the handler binary: tests run the handler in-process
// (an httptest.Server) and pass its URL, so a test exercises the same mux
// the binary serves while the app folder proves what the host would route.
//
// Like the real host's proxy it passes the query string and the body on as
// they came (a chunked body stays chunked), keeps Host and cookies, adds the
// X-Azure-Functions-* headers and does not follow redirects. Unlike it, there are no function keys, CORS handling or
// /admin API, and no platform front end: behind the real host RemoteAddr
// is the host's loopback address and the client is only known from the
// X-Forwarded-* headers the front end adds, which a test must set itself.
package funchosttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/funchost"
)

// HostVersion is what the simulator reports in X-Azure-Functions-HostVersion
// and User-Agent, so a log line shows it came from a test.
const HostVersion = "4.0.0-funchosttest"

// Header names the real host adds to every request it sends the handler.
const (
	InvocationIDHeader = "X-Azure-Functions-InvocationId"
	HostVersionHeader  = "X-Azure-Functions-HostVersion"
)

// maxInvokeResponse bounds what InvokeTimer reads back from the handler.
const maxInvokeResponse = 1 << 20

// Host is a running simulator of the Functions host for one staged app.
type Host struct {
	handler *url.URL
	fns     []funchost.Function
	router  *funchost.Router
	client  *http.Client
	srv     *httptest.Server
}

// NewHost checks the app staged in appDir and starts a simulator on
// 127.0.0.1 that forwards to handlerURL. It fails t if the app breaks the
// custom-handler contract, and stops when t's test ends.
func NewHost(t testing.TB, appDir string, handlerURL string) *Host {
	t.Helper()
	fns, err := funchost.CheckApp(appDir)
	if err != nil {
		t.Fatalf("funchosttest: %v", err)
	}
	router, err := funchost.NewRouter(fns)
	if err != nil {
		t.Fatalf("funchosttest: %v", err)
	}
	u, err := url.Parse(handlerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("funchosttest: handler URL %q is not an absolute http URL", handlerURL)
	}
	h := &Host{
		handler: u,
		fns:     fns,
		router:  router,
		client: &http.Client{
			// The host forwards with redirects off and no cookie handling,
			// so the browser sees the handler's 3xx and Set-Cookie.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			// No Proxy: loopback only, whatever the environment says.
			Transport: &http.Transport{DisableCompression: true},
			Timeout:   30 * time.Second,
		},
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.forward))
	t.Cleanup(func() {
		h.srv.Close()
		h.client.CloseIdleConnections()
	})
	return h
}

// URL returns the simulator's base URL, where a browser or client in the
// test sends its requests, as it would to the function app.
func (h *Host) URL() string { return h.srv.URL }

// Functions returns the functions CheckApp found in the app.
func (h *Host) Functions() []funchost.Function { return append([]funchost.Function(nil), h.fns...) }

// hopByHop are the connection-level headers a proxy does not pass on.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// forward plays the host's part for an incoming HTTP request.
func (h *Host) forward(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.router.Match(r.Method, r.URL.Path); !ok {
		// The real host answers an unrouted request itself, with no body.
		w.WriteHeader(http.StatusNotFound)
		return
	}
	target := *h.handler
	target.Path = r.URL.Path
	target.RawPath = r.URL.RawPath
	target.RawQuery = r.URL.RawQuery
	// The proxy streams the body whatever its framing; ContentLength -1
	// (chunked) stays chunked on the way to the handler.
	var body io.Reader
	if r.ContentLength != 0 {
		body = r.Body
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), body)
	if err != nil {
		http.Error(w, "funchosttest: build forwarded request: "+err.Error(), http.StatusInternalServerError)
		return
	}
	out.Header = r.Header.Clone()
	for _, k := range hopByHop {
		out.Header.Del(k)
	}
	if body == nil {
		out.Header.Del("Content-Type")
		out.Header.Del("Content-Length")
	} else {
		out.ContentLength = r.ContentLength
	}
	out.Host = r.Host
	addHostHeaders(out.Header, r.Header.Get("User-Agent"))

	resp, err := h.client.Do(out)
	if err != nil {
		// The host fails the invocation and answers 500.
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, k := range hopByHop {
		w.Header().Del(k)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// addHostHeaders adds what the host adds to every request it sends: an
// invocation ID, its version, and itself appended to the User-Agent.
func addHostHeaders(hd http.Header, userAgent string) {
	hd.Set(InvocationIDHeader, newInvocationID())
	hd.Set(HostVersionHeader, HostVersion)
	ua := "Azure-Functions-Host/" + HostVersion
	if userAgent != "" {
		ua = userAgent + " " + ua
	}
	hd.Set("User-Agent", ua)
}

// newInvocationID returns a random UUID-shaped ID, as the host's are.
func newInvocationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// InvokeTimer runs a timer function the way the host does when its
// schedule fires: POST /<Name> with the invocation payload. It returns the
// handler's InvokeResponse; a non-2xx answer is an error (the host fails
// the invocation), returned together with the decoded response when the
// body is one, so a test can read its Logs.
func (h *Host) InvokeTimer(ctx context.Context, name string) (*funchost.InvokeResponse, error) {
	fn, ok := h.timer(name)
	if !ok {
		return nil, fmt.Errorf("funchosttest: no timer function %q in the app", name)
	}
	now := time.Now().UTC()
	payload := map[string]any{
		"Data": map[string]any{
			funchost.TimerBindingName: funchost.TimerInfo{
				Schedule: map[string]any{"AdjustForDST": true},
				ScheduleStatus: &funchost.ScheduleStatus{
					Last:        now.Add(-time.Minute).Format(time.RFC3339),
					Next:        now.Add(time.Minute).Format(time.RFC3339),
					LastUpdated: now.Format(time.RFC3339),
				},
			},
		},
		"Metadata": map[string]any{
			"sys": map[string]any{
				"MethodName": fn.Name,
				"UtcNow":     now.Format(time.RFC3339Nano),
				"RandGuid":   newInvocationID(),
			},
		},
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("funchosttest: encode invocation of %s: %w", fn.Name, err)
	}
	target := *h.handler
	target.Path = "/" + fn.Name
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("funchosttest: invoke %s: %w", fn.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	addHostHeaders(req.Header, "")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("funchosttest: invoke %s: %w", fn.Name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxInvokeResponse))
	if err != nil {
		return nil, fmt.Errorf("funchosttest: invoke %s: read response: %w", fn.Name, err)
	}
	var out funchost.InvokeResponse
	decodeErr := json.Unmarshal(raw, &out)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := fmt.Errorf("funchosttest: invoke %s: handler answered %d", fn.Name, resp.StatusCode)
		if decodeErr != nil {
			return nil, err
		}
		return &out, err
	}
	if decodeErr != nil {
		return nil, fmt.Errorf("funchosttest: invoke %s: response is not an InvokeResponse: %w", fn.Name, decodeErr)
	}
	return &out, nil
}

// timer finds a timer function by name, ignoring case as the host does.
func (h *Host) timer(name string) (funchost.Function, bool) {
	for _, f := range h.fns {
		if strings.EqualFold(f.Name, name) && f.IsTimer() {
			return f, true
		}
	}
	return funchost.Function{}, false
}
