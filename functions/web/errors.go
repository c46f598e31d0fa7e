package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"hospitalpriceline/functions/priceline"
)

// statusByKind is the one table from domain error kinds to HTTP statuses.
var statusByKind = map[string]int{
	priceline.KindInvalid:         http.StatusBadRequest,
	priceline.KindUnauthorized:    http.StatusUnauthorized,
	priceline.KindForbidden:       http.StatusForbidden,
	priceline.KindNotFound:        http.StatusNotFound,
	priceline.KindConflict:        http.StatusConflict,
	priceline.KindTooLarge:        http.StatusRequestEntityTooLarge,
	priceline.KindUnsupported:     http.StatusUnsupportedMediaType,
	priceline.KindTooManyRequests: http.StatusTooManyRequests,
	priceline.KindUnavailable:     http.StatusServiceUnavailable,
	priceline.KindInternal:        http.StatusInternalServerError,
}

// statusOf returns the HTTP status for err.
func statusOf(err error) int {
	if s, ok := statusByKind[priceline.ErrorKind(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// publicError returns the code and message that may be shown for err.
// Internal errors never reveal their cause.
func publicError(err error) (code, message string) {
	var e *priceline.Error
	if errors.As(err, &e) && e.Kind != priceline.KindInternal {
		return e.Code, e.Message
	}
	return "internal", "Something went wrong on our side. Please try again."
}

// retryAfter returns the Retry-After seconds for err, or 0.
func retryAfter(err error) int {
	var e *priceline.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return int(math.Ceil(e.RetryAfter.Seconds()))
	}
	if k := priceline.ErrorKind(err); k == priceline.KindUnavailable || k == priceline.KindTooManyRequests {
		return 1
	}
	return 0
}

// setRetryAfter sets Retry-After for errors that carry one (throttled,
// unavailable), whatever the response's format.
func setRetryAfter(w http.ResponseWriter, err error) {
	if ra := retryAfter(err); ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
	}
}

// writePublicJSON answers 200 with v, cacheable by browsers and shared
// caches for priceCacheSeconds: the public price data changes only when a
// file is imported.
func writePublicJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Cache-Control", "public, max-age="+priceCacheSeconds)
	writeJSON(w, http.StatusOK, v)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The status line is gone; nothing useful can be sent now.
		slog.Default().Debug("write json", "err", err)
	}
}

// invalid builds a KindInvalid error.
func invalid(code, format string, args ...any) error {
	return priceline.Errorf(priceline.KindInvalid, code, format, args...)
}

// notFound is the error for unknown routes.
func notFound(what string) error {
	return priceline.Errorf(priceline.KindNotFound, "not_found", "%s", fmt.Sprintf("%s was not found.", what))
}
