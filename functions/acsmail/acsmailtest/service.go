// Package acsmailtest is a protocol double of the Azure Communication
// Services Email data plane ("Email - Send" and "Email - Get Send Result"),
// for every test that sends mail the Azure way.
//
// It speaks the wire protocol, not a Go interface, so tests run the real
// acsmail code with its real azcore pipeline and bearer-token policy, and
// it checks what ACS would check: the path, the api-version, the bearer
// token (and, with Options.Authorize, that the token was issued for the
// Communication Services audience), the Operation-Id and repeatability
// headers, and the shape of the JSON body. It answers 202 with an
// operation to poll, or 429 with Retry-After or a 5xx on demand, and it
// keeps what it accepted deduplicated by Operation-Id, as ACS does, so a
// test can prove that a retry is not sent twice.
//
// Pair it with keyvaulttest.ManagedIdentity, which issues tokens bound to
// the resource they were asked for (see Options.Authorize).
package acsmailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"hospitalpriceline/functions/internal/testtls"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Defaults that make the double look like a public-cloud resource.
const (
	DefaultHost = "priceline-test.unitedstates.communication.azure.com"
	// Resource is the audience a Communication Services token must carry:
	// what a managed-identity endpoint is asked for when the scope is
	// https://communication.azure.com/.default.
	Resource   = "https://communication.azure.com"
	APIVersion = "2023-03-31"
)

// Options configure a Service; the zero value accepts any bearer token and
// any sender.
type Options struct {
	Host string // DefaultHost when ""
	// Sender is the only senderAddress accepted (the verified sender of
	// the linked domain); "" accepts any.
	Sender string
	// Authorize decides whether a bearer token is good. Nil accepts any
	// non-empty token; keyvaulttest.ManagedIdentity.Valid with Resource
	// accepts only tokens issued for the Communication Services audience.
	Authorize func(token string) bool
	// RunningPolls is how many status reads answer Running before the
	// operation ends; 1 when 0, so polling is always exercised.
	RunningPolls int
}

// Sent is one message the double accepted.
type Sent struct {
	OperationID string
	From, To    string
	Subject     string
	Text        string
	HTML        string
	Headers     map[string]string
	FirstSent   time.Time // repeatability-first-sent
	Tracking    bool      // user engagement tracking left on
}

// Request is one request the double received.
type Request struct {
	Method, Path, APIVersion string
	OperationID              string
	Authorized               bool
	Status                   int // what the double answered
}

type failure struct {
	status     int
	retryAfter time.Duration
}

type operation struct {
	sent   Sent
	polls  int
	failed bool
}

// Service is the ACS Email double, served over TLS on 127.0.0.1 under a
// real-looking host name. Use HTTPClient or ClientOptions to reach it.
type Service struct {
	// Endpoint is the value for PRICELINE_MAIL_ENDPOINT.
	Endpoint string
	Host     string

	opt  Options
	srv  *httptest.Server
	pool *x509.CertPool

	mu         sync.Mutex
	ops        map[string]*operation // by Operation-Id
	order      []string
	requests   []Request
	failures   []failure
	undeliver  map[string]bool // recipients whose operation ends Failed
	duplicates int
}

// New starts an ACS Email double that is closed when the test ends.
func New(t testing.TB, opt Options) *Service {
	t.Helper()
	if opt.Host == "" {
		opt.Host = DefaultHost
	}
	if opt.RunningPolls <= 0 {
		opt.RunningPolls = 1
	}
	s := &Service{Endpoint: "https://" + opt.Host, Host: opt.Host, opt: opt, ops: map[string]*operation{}, undeliver: map[string]bool{}}
	cert, pool, err := testtls.SelfSigned(opt.Host)
	if err != nil {
		t.Fatalf("acsmailtest: make certificate: %v", err)
	}
	s.pool = pool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /emails:send", s.send)
	mux.HandleFunc("GET /emails/operations/{id}", s.status)
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// HTTPClient returns a client that reaches the double under its host name
// and trusts only its certificate; it refuses to dial anything else, so a
// test can never reach a real Communication Services resource.
func (s *Service) HTTPClient() *http.Client {
	return testtls.PinnedClient("acsmailtest", s.Host, s.srv.Listener.Addr().String(), s.pool)
}

// ClientOptions returns azcore options that reach the double and retry
// briefly, so tests of an unavailable service stay fast.
func (s *Service) ClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Transport: s.HTTPClient(),
		Retry:     policy.RetryOptions{MaxRetries: 1, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
	}
}

// FailNext makes the next n send requests answer status, with a
// Retry-After of retryAfter when it is positive (whole seconds).
func (s *Service) FailNext(n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, failure{status, retryAfter})
	}
}

// Undeliverable makes every later operation for address end Failed, as ACS
// reports a message it could not deliver.
func (s *Service) Undeliverable(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.undeliver[strings.ToLower(address)] = true
}

// Sent returns the accepted messages, once each, in the order accepted.
func (s *Service) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sent, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.ops[id].sent)
	}
	return out
}

// Duplicates returns how many sends repeated an accepted Operation-Id (and
// were answered with the first result instead of being sent again).
func (s *Service) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}

// Requests returns the requests seen so far.
func (s *Service) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// The EmailMessage schema of api-version 2023-03-31; unknown fields are refused.
type emailMessage struct {
	SenderAddress string `json:"senderAddress"`
	Content       *struct {
		Subject   string `json:"subject"`
		PlainText string `json:"plainText"`
		HTML      string `json:"html"`
	} `json:"content"`
	Recipients *struct {
		To  []emailAddress `json:"to"`
		CC  []emailAddress `json:"cc"`
		BCC []emailAddress `json:"bcc"`
	} `json:"recipients"`
	Headers                        map[string]string `json:"headers"`
	ReplyTo                        []emailAddress    `json:"replyTo"`
	Attachments                    []json.RawMessage `json:"attachments"`
	UserEngagementTrackingDisabled *bool             `json:"userEngagementTrackingDisabled"`
}

type emailAddress struct {
	Address     string `json:"address"`
	DisplayName string `json:"displayName"`
}

// authorize checks the bearer token and the api-version, which every
// operation needs, and records the request.
func (s *Service) authorize(w http.ResponseWriter, r *http.Request) (Request, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	req := Request{
		Method: r.Method, Path: r.URL.Path, APIVersion: r.URL.Query().Get("api-version"),
		OperationID: r.Header.Get("Operation-Id"),
		Authorized:  ok && token != "" && (s.opt.Authorize == nil || s.opt.Authorize(token)),
	}
	switch {
	case req.APIVersion != APIVersion:
		s.refuse(w, &req, http.StatusBadRequest, "InvalidApiVersion", "api-version must be "+APIVersion)
		return req, false
	case r.URL.Scheme == "" && r.TLS == nil:
		s.refuse(w, &req, http.StatusBadRequest, "HttpsRequired", "https only")
		return req, false
	case !req.Authorized:
		s.refuse(w, &req, http.StatusUnauthorized, "Unauthorized", "The bearer token is missing, invalid, or not for https://communication.azure.com.")
		return req, false
	}
	return req, true
}

func (s *Service) refuse(w http.ResponseWriter, req *Request, status int, code, msg string) {
	req.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, *req)
	s.mu.Unlock()
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (s *Service) send(w http.ResponseWriter, r *http.Request) {
	req, ok := s.authorize(w, r)
	if !ok {
		return
	}
	opID := req.OperationID
	firstSent, ferr := http.ParseTime(r.Header.Get("repeatability-first-sent"))
	switch {
	case !uuidRE.MatchString(opID):
		s.refuse(w, &req, http.StatusBadRequest, "InvalidOperationId", "Operation-Id must be a UUID.")
		return
	case r.Header.Get("repeatability-request-id") != "" && !uuidRE.MatchString(r.Header.Get("repeatability-request-id")):
		s.refuse(w, &req, http.StatusBadRequest, "InvalidRepeatabilityRequestId", "repeatability-request-id must be a UUID.")
		return
	case r.Header.Get("repeatability-request-id") != "" && ferr != nil:
		s.refuse(w, &req, http.StatusBadRequest, "InvalidRepeatabilityFirstSent", "repeatability-first-sent must be an IMF-fixdate.")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		s.refuse(w, &req, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "JSON only.")
		return
	}
	var msg emailMessage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 10<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		s.refuse(w, &req, http.StatusBadRequest, "InvalidRequest", "The body is not an EmailMessage: "+err.Error())
		return
	}
	if problem := s.check(&msg); problem != "" {
		s.refuse(w, &req, http.StatusBadRequest, "InvalidRequest", problem)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter/time.Second)))
		}
		req.Status = f.status
		s.requests = append(s.requests, req)
		writeJSON(w, f.status, map[string]any{"error": map[string]string{"code": http.StatusText(f.status), "message": "failing on purpose"}})
		return
	}
	op, seen := s.ops[opID]
	if seen {
		s.duplicates++
	} else {
		sent := Sent{
			OperationID: opID, From: msg.SenderAddress, To: msg.Recipients.To[0].Address,
			Subject: msg.Content.Subject, Text: msg.Content.PlainText, HTML: msg.Content.HTML,
			Headers: msg.Headers, FirstSent: firstSent,
			Tracking: msg.UserEngagementTrackingDisabled == nil || !*msg.UserEngagementTrackingDisabled,
		}
		op = &operation{sent: sent, failed: s.undeliver[strings.ToLower(sent.To)]}
		s.ops[opID] = op
		s.order = append(s.order, opID)
	}
	req.Status = http.StatusAccepted
	s.requests = append(s.requests, req)
	w.Header().Set("Operation-Location", s.Endpoint+"/emails/operations/"+opID+"?api-version="+APIVersion)
	w.Header().Set("Retry-After", "0")
	if seen {
		w.Header().Set("repeatability-result", "accepted")
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": opID, "status": "Running", "error": nil})
}

// check applies the schema's required fields and the sender rule.
func (s *Service) check(m *emailMessage) string {
	switch {
	case m.SenderAddress == "":
		return "senderAddress is required."
	case s.opt.Sender != "" && !strings.EqualFold(m.SenderAddress, s.opt.Sender):
		return "senderAddress is not a verified sender of a linked domain."
	case m.Content == nil || m.Content.Subject == "":
		return "content.subject is required."
	case m.Content.PlainText == "" && m.Content.HTML == "":
		return "content needs plainText or html."
	case m.Recipients == nil || len(m.Recipients.To)+len(m.Recipients.CC)+len(m.Recipients.BCC) == 0 || len(m.Recipients.To) == 0:
		return "recipients.to needs an address."
	}
	for _, a := range m.Recipients.To {
		if !strings.Contains(a.Address, "@") {
			return "recipients.to holds an address without @."
		}
	}
	return ""
}

func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	req, ok := s.authorize(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.ops[id]
	if op == nil {
		req.Status = http.StatusNotFound
		s.requests = append(s.requests, req)
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "NotFound", "message": "no such operation"}})
		return
	}
	op.polls++
	req.Status = http.StatusOK
	s.requests = append(s.requests, req)
	body := map[string]any{"id": id, "status": "Running", "error": nil}
	switch {
	case op.polls <= s.opt.RunningPolls:
		w.Header().Set("Retry-After", "0")
	case op.failed:
		body["status"] = "Failed"
		body["error"] = map[string]string{"code": "EmailDroppedAllRecipientsSuppressed", "message": "undeliverable"}
	default:
		body["status"] = "Succeeded"
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
