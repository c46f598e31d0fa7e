package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// InvokeRequest is the JSON body the host POSTs to /<FunctionName> for a
// function that is not forwarded, here a timer. Data holds the trigger and
// input bindings by binding name (a timer's is TimerBindingName: an object
// with Schedule, ScheduleStatus and IsPastDue); Metadata holds trigger
// metadata such as "sys" (MethodName, UtcNow, RandGuid).
type InvokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// InvokeResponse is the JSON body the handler answers an InvokeRequest
// with. Outputs are keyed by output binding name, Logs become invocation
// log lines, and ReturnValue feeds a "$return" binding.
type InvokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// TimerInfo is the value of a timer trigger's Data entry.
type TimerInfo struct {
	Schedule       map[string]any  `json:"Schedule"`
	ScheduleStatus *ScheduleStatus `json:"ScheduleStatus"`
	IsPastDue      bool            `json:"IsPastDue"`
}

// ScheduleStatus is the timer's record of its last and next runs, as
// ISO 8601 strings; the host leaves it null when monitoring is off.
type ScheduleStatus struct {
	Last        string `json:"Last"`
	Next        string `json:"Next"`
	LastUpdated string `json:"LastUpdated"`
}

// maxInvokeBody bounds an invocation body; a timer's is a few hundred bytes.
const maxInvokeBody = 1 << 20

// TimerHandler answers the host's POST /<FunctionName> for a timer trigger.
// It decodes the invocation payload, runs fn with the request's context
// (cancelled when the host gives up), and answers 200 with an
// InvokeResponse carrying fn's logs. A method other than POST gets 405, a
// body that is not a JSON object 400 and an oversized one 413, each with a
// JSON error body. An error or panic from fn gets 500 with Logs describing
// it; because the host discards the body of a failed invocation, the
// failure is also logged with slog.Default.
//
// Register it at "POST /<FunctionName>" on the handler's mux.
func TimerHandler(fn func(ctx context.Context, req InvokeRequest) (logs []string, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeInvokeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Timer functions are invoked with POST.")
			return
		}
		req, status, code, msg := decodeInvokeRequest(w, r)
		if status != 0 {
			writeInvokeError(w, status, code, msg)
			return
		}
		logs, err := runTimer(r.Context(), fn, req)
		if err != nil {
			slog.Default().ErrorContext(r.Context(), "timer function failed", "path", r.URL.Path, "err", err)
			writeJSONBody(w, http.StatusInternalServerError, InvokeResponse{
				Outputs: map[string]any{},
				Logs:    append(logs, "timer function failed: "+err.Error()),
			})
			return
		}
		if logs == nil {
			logs = []string{}
		}
		writeJSONBody(w, http.StatusOK, InvokeResponse{Outputs: map[string]any{}, Logs: logs})
	})
}

// errPanic stands in for a panic's value, which may hold anything and so
// goes only to the handler's own log.
var errPanic = errors.New("the function panicked")

// runTimer calls fn, turning a panic into an error so that the host gets a
// proper 500 instead of a dropped connection.
func runTimer(ctx context.Context, fn func(context.Context, InvokeRequest) ([]string, error), req InvokeRequest) (logs []string, err error) {
	defer func() {
		if v := recover(); v != nil {
			slog.Default().ErrorContext(ctx, "timer function panicked", "panic", v)
			err = errPanic
		}
	}()
	return fn(ctx, req)
}

// decodeInvokeRequest reads the payload; a non-zero status means the
// request is refused with that status, code and message.
func decodeInvokeRequest(w http.ResponseWriter, r *http.Request) (req InvokeRequest, status int, code, msg string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInvokeBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, "body_too_large", "The invocation payload is larger than 1 MiB."
		}
		return req, http.StatusBadRequest, "malformed_invocation", "The invocation payload could not be read."
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return req, http.StatusBadRequest, "malformed_invocation", "The invocation payload must be a JSON object."
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&req); err != nil {
		return req, http.StatusBadRequest, "malformed_invocation", "The invocation payload is not valid JSON with Data and Metadata objects."
	}
	if dec.More() {
		return req, http.StatusBadRequest, "malformed_invocation", "The invocation payload has data after the JSON object."
	}
	return req, 0, "", ""
}

// writeInvokeError writes the same error shape as the web package's API.
func writeInvokeError(w http.ResponseWriter, status int, code, message string) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, message
	writeJSONBody(w, status, body)
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a function's own log values are dynamic here, and strings
		// always encode; this is a programming error.
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
