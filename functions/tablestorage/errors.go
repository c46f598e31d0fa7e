package tablestorage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// retryAfterUnavailable is what clients are told to wait when storage is
// unreachable: long enough for a blip to pass, short enough to feel live.
const retryAfterUnavailable = 2 * time.Second

// translate turns an aztables/azcore error into a *priceline.Error. Messages
// never reveal storage internals; the cause is kept in Err for the logs,
// with entity keys redacted (see redactKeys).
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var pe *priceline.Error
	if errors.As(err, &pe) {
		return err
	}
	wrapped := fmt.Errorf("table storage: %s: %w", op, redactKeys(err))
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch {
		case re.StatusCode == http.StatusNotFound:
			return priceline.Wrap(wrapped, priceline.KindNotFound, "not_found", "The record was not found.")
		case re.StatusCode == http.StatusConflict || re.StatusCode == http.StatusPreconditionFailed:
			return priceline.Wrap(wrapped, priceline.KindConflict, "conflict", "The record was changed by another request. Please try again.")
		case re.StatusCode == http.StatusRequestTimeout || re.StatusCode == http.StatusTooManyRequests || re.StatusCode >= 500:
			return unavailable(wrapped)
		}
		return priceline.Wrap(wrapped, priceline.KindInternal, "internal", "Something went wrong on our side.")
	}
	if isTransport(err) {
		return unavailable(wrapped)
	}
	return priceline.Wrap(wrapped, priceline.KindInternal, "internal", "Something went wrong on our side.")
}

// unavailable is the outage answer: a storage error that waiting may cure.
func unavailable(err error) error {
	return priceline.Unavailable(redactKeys(err), "storage_unavailable",
		"The service is temporarily unavailable. Please try again shortly.", retryAfterUnavailable)
}

// redactedError is a storage error whose text names no entity key. Entity
// keys here can be sensitive: a session's row key is the
// SHA-256 of its session ID, which the session store looks sessions up by,
// and partition keys are user IDs. The SDK puts them in its error text (the
// request URL of an azcore.ResponseError, the URL and $filter of a
// transport error), and that text reaches the logs through Err. The cause
// stays reachable through Unwrap, so errors.As to *azcore.ResponseError and
// the Kind/Code mapping work as before; only Error() changes.
type redactedError struct{ err error }

// redactKeys wraps err so that its text shows the operation, status and
// error code but no key values; nil and an already redacted error are
// returned as they are.
func redactKeys(err error) error {
	if _, done := err.(*redactedError); done || err == nil {
		return err
	}
	return &redactedError{err: err}
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	// azcore's own text is a multi-line dump ending with the response body;
	// the one line that matters replaces it wherever it was wrapped.
	var re *azcore.ResponseError
	if errors.As(e.err, &re) {
		msg = strings.Replace(msg, re.Error(), responseSummary(re), 1)
	}
	return redactKeyText(msg)
}

// Unwrap exposes the SDK error to errors.Is and errors.As.
func (e *redactedError) Unwrap() error { return e.err }

// responseSummary is a one-line account of a failed storage request: method,
// URL without query, status, the service's error code and the request ID
// that Azure support asks for. The body is left out: it adds nothing a log
// reader needs and is not ours to vouch for.
func responseSummary(re *azcore.ResponseError) string {
	var b strings.Builder
	var requestID string
	if resp := re.RawResponse; resp != nil {
		if req := resp.Request; req != nil && req.URL != nil {
			fmt.Fprintf(&b, "%s %s://%s%s: ", req.Method, req.URL.Scheme, req.URL.Host, req.URL.EscapedPath())
		}
		requestID = resp.Header.Get("x-ms-request-id")
	}
	fmt.Fprintf(&b, "status %d", re.StatusCode)
	if re.ErrorCode != "" {
		fmt.Fprintf(&b, ", error code %s", re.ErrorCode)
	}
	if requestID != "" {
		fmt.Fprintf(&b, ", request id %s", requestID)
	}
	return b.String()
}

// keyRedactions find entity key values in error text, in each form the SDK
// and net/http write them: quoted in a path (PartitionKey='k', a quote
// inside k doubled), the same percent-encoded (PartitionKey=%27k%27),
// a $filter query value, a listing's continuation (NextPartitionKey=…,
// NextRowKey=…), and a filter expression written out (PartitionKey eq 'k').
var keyRedactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)(PartitionKey|RowKey)(=|%3D)'(?:''|[^'])*'`), `$1='[redacted]'`},
	{regexp.MustCompile(`(?i)(PartitionKey|RowKey)(=|%3D)%27(?:%27%27|[^%]|%(?:[013-9a-f][0-9a-f]|2[0-689a-f]))*%27`), `$1='[redacted]'`},
	{regexp.MustCompile(`(?i)(\$filter|%24filter)=[^&\s"]*`), `$1=[redacted]`},
	// Continuation tokens of a listing name the next entity's keys.
	{regexp.MustCompile(`(?i)(Next(?:Partition|Row)Key)=[^&\s"]*`), `$1=[redacted]`},
	{regexp.MustCompile(`(?i)(PartitionKey|RowKey)(\s+(?:eq|ne|gt|ge|lt|le)\s+)'(?:''|[^'])*'`), `$1$2'[redacted]'`},
}

// redactKeyText replaces every entity key value in msg with a placeholder.
func redactKeyText(msg string) string {
	for _, r := range keyRedactions {
		msg = r.re.ReplaceAllString(msg, r.with)
	}
	return msg
}

// isTransport reports failures to reach the service at all: refused or reset
// connections, DNS, timeouts, and a caller that gave up.
func isTransport(err error) bool {
	var ne net.Error
	var dnsErr *net.DNSError
	return errors.As(err, &ne) || errors.As(err, &dnsErr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isStatus(err error, status int) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == status
}

func hasErrorCode(err error, code aztables.TableErrorCode) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.ErrorCode == string(code)
}

func isConflictStatus(err error) bool {
	return isStatus(err, http.StatusConflict) || isStatus(err, http.StatusPreconditionFailed)
}
