package priceline

import (
	"errors"
	"fmt"
	"time"
)

// Error kinds. The HTTP layer maps each kind to exactly one status code.
const (
	KindInvalid         = "invalid"           // 400: the input is wrong
	KindUnauthorized    = "unauthorized"      // 401: not signed in, or bad credentials
	KindForbidden       = "forbidden"         // 403: signed in but not allowed (e.g. CSRF)
	KindNotFound        = "not_found"         // 404
	KindConflict        = "conflict"          // 409: already exists, or changed under us
	KindTooLarge        = "too_large"         // 413
	KindUnsupported     = "unsupported"       // 415
	KindTooManyRequests = "too_many_requests" // 429: throttled; RetryAfter is set
	KindUnavailable     = "unavailable"       // 503: a dependency is down or overloaded; RetryAfter is set
	KindInternal        = "internal"          // 500: a bug or an unexpected failure
)

// Error is the one error type that crosses package boundaries. Kind picks the
// status code; Code is the stable machine-readable reason the API returns
// (for example "email_taken"); Message is safe to show a user.
type Error struct {
	Kind       string
	Code       string
	Message    string
	RetryAfter time.Duration // set for KindTooManyRequests and KindUnavailable
	Err        error         // the underlying cause, never shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (%s): %s: %v", e.Code, e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s (%s): %s", e.Code, e.Kind, e.Message)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind and code.
func Errorf(kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error that keeps err as its cause.
func Wrap(err error, kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Err: err}
}

// Unavailable builds a KindUnavailable *Error: a dependency is down, busy
// or not ready yet, and the caller may try again after retryAfter. err, the
// cause, may be nil.
func Unavailable(err error, code, message string, retryAfter time.Duration) *Error {
	return &Error{Kind: KindUnavailable, Code: code, Message: message, RetryAfter: retryAfter, Err: err}
}

// ErrorKind returns the kind of err, KindInternal for any error that is not
// an *Error, and "" for nil.
func ErrorKind(err error) string {
	return errorField(err, func(e *Error) string { return e.Kind }, KindInternal)
}

// ErrorCode returns the code of err: "internal" for foreign errors, "" for nil.
func ErrorCode(err error) string {
	return errorField(err, func(e *Error) string { return e.Code }, "internal")
}

// errorField returns field of the *Error in err's chain, foreign when
// there is none, and "" for nil.
func errorField(err error, field func(*Error) string, foreign string) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return field(e)
	}
	return foreign
}

// IsNotFound reports whether err is an *Error of KindNotFound.
func IsNotFound(err error) bool { return ErrorKind(err) == KindNotFound }

// IsConflict reports whether err is an *Error of KindConflict.
func IsConflict(err error) bool { return ErrorKind(err) == KindConflict }
