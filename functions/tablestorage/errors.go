package tablestorage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
// never reveal storage internals; the cause is kept in Err for the logs.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var pe *priceline.Error
	if errors.As(err, &pe) {
		return err
	}
	wrapped := fmt.Errorf("table storage: %s: %w", op, err)
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

func unavailable(err error) error {
	return &priceline.Error{
		Kind:       priceline.KindUnavailable,
		Code:       "storage_unavailable",
		Message:    "The service is temporarily unavailable. Please try again shortly.",
		RetryAfter: retryAfterUnavailable,
		Err:        err,
	}
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
