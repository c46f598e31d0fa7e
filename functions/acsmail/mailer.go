package acsmail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"hospitalpriceline/functions/priceline"
)

// APIVersion is the generally available version of the Email data-plane API
// this package speaks (Microsoft Learn, "Email - Send", REST API reference).
const APIVersion = "2023-03-31"

// Scope is the Entra ID scope of Communication Services data-plane tokens.
const Scope = "https://communication.azure.com/.default"

// MessageIDHeader is the custom header that carries our Message-ID. ACS
// writes its own RFC 5322 Message-ID, so ours travels beside it, where a
// support request can find it.
const MessageIDHeader = "X-Priceline-Message-ID"

// Options configure a Mailer.
type Options struct {
	Endpoint   string                 // https://NAME.communication.azure.com
	Sender     string                 // verified sender address
	Credential azcore.TokenCredential // the app's credential, as for Tables and Key Vault
	// ClientOptions configure the pipeline (transport, retries). When
	// Retry is zero, a fail-fast setting is used: the outbox, not the
	// request, waits out an outage.
	ClientOptions policy.ClientOptions
	// PollInterval is the wait between status reads when ACS names none;
	// 1 s when 0.
	PollInterval time.Duration
	// PollTimeout bounds how long Send follows an accepted message's
	// operation; 10 s when 0. A message still running then counts as
	// accepted.
	PollTimeout time.Duration
}

// Mailer is a priceline.Mailer backed by ACS Email.
type Mailer struct {
	endpoint     string
	sender       string
	pl           runtime.Pipeline
	pollInterval time.Duration
	pollTimeout  time.Duration
}

var _ priceline.Mailer = (*Mailer)(nil)

// failFastRetry gives a blip one quick retry and hands anything longer,
// including a 429 whose Retry-After exceeds a second, back to the caller
// with its Retry-After.
var failFastRetry = policy.RetryOptions{
	MaxRetries:    1,
	TryTimeout:    10 * time.Second,
	RetryDelay:    200 * time.Millisecond,
	MaxRetryDelay: time.Second,
}

// New checks the options and builds the pipeline; it makes no request.
func New(opt Options) (*Mailer, error) {
	u, err := url.Parse(opt.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("acs mail: endpoint %q must be an https URL such as https://NAME.communication.azure.com", opt.Endpoint)
	}
	if err := priceline.ValidateEmail(priceline.NormalizeEmail(opt.Sender)); err != nil {
		return nil, fmt.Errorf("acs mail: sender %q is not an email address", opt.Sender)
	}
	if opt.Credential == nil {
		return nil, errors.New("acs mail: a credential is required")
	}
	co := opt.ClientOptions
	if r := co.Retry; r.MaxRetries == 0 && r.TryTimeout == 0 && r.RetryDelay == 0 && r.MaxRetryDelay == 0 && r.StatusCodes == nil && r.ShouldRetry == nil {
		co.Retry = failFastRetry
	}
	m := &Mailer{
		endpoint:     "https://" + u.Host,
		sender:       opt.Sender,
		pollInterval: opt.PollInterval,
		pollTimeout:  opt.PollTimeout,
	}
	if m.pollInterval <= 0 {
		m.pollInterval = time.Second
	}
	if m.pollTimeout <= 0 {
		m.pollTimeout = 10 * time.Second
	}
	bearer := runtime.NewBearerTokenPolicy(opt.Credential, []string{Scope}, nil)
	m.pl = runtime.NewPipeline("acsmail", "v1.0.0", runtime.PipelineOptions{
		PerRetry: []policy.Policy{bearer},
		// Operation IDs are derived from Message-IDs, not secrets, and
		// help match logs with the ACS portal; bodies are never logged.
		AllowedHeaders: []string{"Operation-Id", "Operation-Location", "Retry-After", "repeatability-result"},
	}, &co)
	return m, nil
}

// sendRequest is the "Email - Send" body (EmailMessage).
type sendRequest struct {
	SenderAddress string            `json:"senderAddress"`
	Content       content           `json:"content"`
	Recipients    recipients        `json:"recipients"`
	Headers       map[string]string `json:"headers,omitempty"`
	// Tracking would rewrite the links, which carry single-use tokens.
	UserEngagementTrackingDisabled bool `json:"userEngagementTrackingDisabled"`
}

type content struct {
	Subject   string `json:"subject"`
	PlainText string `json:"plainText"`
}

type recipients struct {
	To []address `json:"to"`
}

type address struct {
	Address string `json:"address"`
}

// operationStatus is the body of a 202 and of a status read.
type operationStatus struct {
	ID     string `json:"id"`
	Status string `json:"status"` // NotStarted, Running, Succeeded, Failed, Canceled
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// OperationID is the Operation-Id (a UUID) that every attempt to send the
// message with this Message-ID carries: the SHA-256 of the Message-ID laid
// out as an RFC 9562 version 8 (custom) UUID.
func OperationID(messageID string) string {
	sum := sha256.Sum256([]byte("acsmail operation\x00" + messageID))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Send queues m at ACS and follows the operation for a bounded time.
func (m *Mailer) Send(ctx context.Context, msg priceline.Message) error {
	if err := priceline.ValidMessage(msg); err != nil {
		return err
	}
	created := msg.Created
	if created.IsZero() {
		created = time.Now()
	}
	opID := OperationID(msg.MessageID)
	req, err := runtime.NewRequest(ctx, http.MethodPost, m.endpoint+"/emails:send?api-version="+APIVersion)
	if err != nil {
		return fmt.Errorf("acs mail: build request: %w", err)
	}
	h := req.Raw().Header
	h.Set("Operation-Id", opID)
	// The repeatability headers (OASIS "Repeatable Requests") make the
	// service answer a repeat with the first result instead of acting
	// again; the first-sent time stays that of the first attempt.
	h.Set("repeatability-request-id", opID)
	h.Set("repeatability-first-sent", created.UTC().Format(http.TimeFormat))
	body := sendRequest{
		SenderAddress:                  m.sender,
		Content:                        content{Subject: msg.Subject, PlainText: msg.Text},
		Recipients:                     recipients{To: []address{{Address: msg.To}}},
		Headers:                        map[string]string{MessageIDHeader: "<" + msg.MessageID + ">"},
		UserEngagementTrackingDisabled: true,
	}
	if err := runtime.MarshalAsJSON(req, body); err != nil {
		return fmt.Errorf("acs mail: encode request: %w", err)
	}
	resp, err := m.pl.Do(req)
	if err != nil {
		return transportError(ctx, "send", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return statusError("send", resp)
	}
	var st operationStatus
	if err := runtime.UnmarshalAsJSON(resp, &st); err != nil {
		// Accepted is accepted: without a readable status there is
		// nothing to follow, and sending again could duplicate.
		return nil
	}
	return m.follow(ctx, resp, st)
}

// follow polls the operation until it ends or the poll budget is spent.
func (m *Mailer) follow(ctx context.Context, resp *http.Response, st operationStatus) error {
	loc := resp.Header.Get("Operation-Location")
	if loc == "" && st.ID != "" {
		loc = m.endpoint + "/emails/operations/" + url.PathEscape(st.ID) + "?api-version=" + APIVersion
	}
	if lu, err := url.Parse(loc); err != nil || "https://"+lu.Host != m.endpoint {
		// Never send the bearer token to a host other than the endpoint.
		return nil
	}
	deadline := time.Now().Add(m.pollTimeout)
	wait := retryAfter(resp.Header, m.pollInterval)
	for {
		if done, err := finished(st); done {
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			return nil // still running: ACS has it, and will deliver or report it
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		req, err := runtime.NewRequest(ctx, http.MethodGet, loc)
		if err != nil {
			return nil
		}
		r, err := m.pl.Do(req)
		if err != nil {
			return nil
		}
		ok := r.StatusCode == http.StatusOK && runtime.UnmarshalAsJSON(r, &st) == nil
		wait = retryAfter(r.Header, m.pollInterval)
		r.Body.Close()
		if !ok {
			return nil
		}
	}
}

// finished reports whether an operation has ended and, if it failed, the
// error: a message ACS gave up on will not go better the next time.
func finished(st operationStatus) (bool, error) {
	switch st.Status {
	case "Succeeded":
		return true, nil
	case "Failed", "Canceled":
		code := "unknown"
		if st.Error != nil && st.Error.Code != "" {
			code = st.Error.Code
		}
		return true, priceline.Wrap(fmt.Errorf("acs mail: operation %s %s: %s", st.ID, strings.ToLower(st.Status), code),
			priceline.KindInvalid, "mail_failed", "The email service could not deliver the message.")
	}
	return false, nil
}

func transportError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", err, ctx.Err())
	}
	return priceline.Unavailable(fmt.Errorf("acs mail: %s: %w", what, err), "mail_unavailable",
		"The email service cannot be reached; the message will be sent later.", 0)
}

// statusError maps a refusal to an error kind: worth retrying (429, 5xx,
// and 401/403, which a role assignment still propagating also causes) or
// not (any other 4xx: the message itself is wrong).
func statusError(what string, resp *http.Response) error {
	code := serviceErrorCode(resp)
	cause := fmt.Errorf("acs mail: %s: status %d, code %s", what, resp.StatusCode, code)
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return priceline.Unavailable(cause, "mail_throttled", "The email service is busy; the message will be sent later.",
			retryAfter(resp.Header, 0))
	case s >= 500, s == http.StatusRequestTimeout, s == http.StatusUnauthorized, s == http.StatusForbidden:
		return priceline.Unavailable(cause, "mail_unavailable", "The email service cannot take the message now; it will be sent later.",
			retryAfter(resp.Header, 0))
	default:
		return priceline.Wrap(cause, priceline.KindInvalid, "mail_rejected", "The email service refused the message.")
	}
}

// serviceErrorCode reads the error code of an ACS error body,
// {"error":{"code","message"}}; the message may quote the recipient, so
// only the code is kept.
func serviceErrorCode(resp *http.Response) string {
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &body); err != nil || body.Error.Code == "" {
		return "unknown"
	}
	return body.Error.Code
}

// retryAfter reads Retry-After (seconds or an HTTP date), or def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return def
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return 0
	}
	return def
}
