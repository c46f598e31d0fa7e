package funchost

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const samplePayload = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},
	"Metadata":{"sys":{"MethodName":"CleanupSessions","UtcNow":"2026-11-27T10:00:00Z","RandGuid":"6c1b3d5e-0000-4000-8000-000000000000"}}}`

func postInvoke(h http.Handler, method, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/CleanupSessions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeInvokeResponse(t *testing.T, rec *httptest.ResponseRecorder) InvokeResponse {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var resp InvokeResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response %q is not an InvokeResponse: %v", rec.Body, err)
	}
	return resp
}

func TestTimerHandler_RunsFunctionWithPayload(t *testing.T) {
	var got InvokeRequest
	h := TimerHandler(func(ctx context.Context, req InvokeRequest) ([]string, error) {
		got = req
		return []string{"removed 3 expired sessions"}, nil
	})
	rec := postInvoke(h, http.MethodPost, samplePayload)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
	}
	resp := decodeInvokeResponse(t, rec)
	if len(resp.Logs) != 1 || resp.Logs[0] != "removed 3 expired sessions" {
		t.Errorf("Logs = %q", resp.Logs)
	}
	if !strings.Contains(rec.Body.String(), `"Outputs":{}`) {
		t.Errorf("Outputs should be an empty object: %s", rec.Body)
	}
	var info TimerInfo
	if err := json.Unmarshal(got.Data[TimerBindingName], &info); err != nil {
		t.Fatalf("Data.timer: %v", err)
	}
	if info.IsPastDue || info.Schedule["AdjustForDST"] != true {
		t.Errorf("timer info = %+v", info)
	}
	var sys struct{ MethodName string }
	if err := json.Unmarshal(got.Metadata["sys"], &sys); err != nil || sys.MethodName != "CleanupSessions" {
		t.Errorf("Metadata.sys = %s (%v)", got.Metadata["sys"], err)
	}
}

func TestTimerHandler_PassesRequestContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := TimerHandler(func(ctx context.Context, req InvokeRequest) ([]string, error) {
		return nil, ctx.Err()
	})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/CleanupSessions", strings.NewReader(samplePayload))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500 from the cancelled context", rec.Code)
	}
}

func TestTimerHandler_RejectsNonPOST(t *testing.T) {
	called := false
	h := TimerHandler(func(context.Context, InvokeRequest) ([]string, error) { called = true; return nil, nil })
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		rec := postInvoke(h, m, samplePayload)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != http.MethodPost {
			t.Errorf("%s: status %d Allow %q", m, rec.Code, rec.Header().Get("Allow"))
		}
		wantErrorBody(t, rec, "method_not_allowed")
	}
	if called {
		t.Error("function ran for a non-POST request")
	}
}

func TestTimerHandler_RejectsMalformedPayload(t *testing.T) {
	called := false
	h := TimerHandler(func(context.Context, InvokeRequest) ([]string, error) { called = true; return nil, nil })
	for _, body := range []string{"", "null", "[]", `"x"`, "{", `{"Data":"x"}`, `{"Data":{}} {}`, "garbage"} {
		rec := postInvoke(h, http.MethodPost, body)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("body %q: status %d, want 400", body, rec.Code)
		}
		wantErrorBody(t, rec, "malformed_invocation")
	}
	if called {
		t.Error("function ran for a malformed payload")
	}
}

func TestTimerHandler_RejectsOversizedPayload(t *testing.T) {
	h := TimerHandler(func(context.Context, InvokeRequest) ([]string, error) { return nil, nil })
	body := `{"Data":{"timer":"` + strings.Repeat("x", maxInvokeBody) + `"}}`
	rec := postInvoke(h, http.MethodPost, body)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
	wantErrorBody(t, rec, "body_too_large")
}

func TestTimerHandler_FunctionErrorIs500WithLogs(t *testing.T) {
	h := TimerHandler(func(context.Context, InvokeRequest) ([]string, error) {
		return []string{"started"}, errors.New("delete expired sessions: table unavailable")
	})
	rec := postInvoke(h, http.MethodPost, samplePayload)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	resp := decodeInvokeResponse(t, rec)
	want := []string{"started", "timer function failed: delete expired sessions: table unavailable"}
	if strings.Join(resp.Logs, "|") != strings.Join(want, "|") {
		t.Errorf("Logs = %q, want %q", resp.Logs, want)
	}
}

func TestTimerHandler_PanicIs500WithoutItsValue(t *testing.T) {
	h := TimerHandler(func(context.Context, InvokeRequest) ([]string, error) {
		panic("secret-looking panic value")
	})
	rec := postInvoke(h, http.MethodPost, samplePayload)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "secret-looking") {
		t.Errorf("panic value leaked into the response: %s", rec.Body)
	}
	decodeInvokeResponse(t, rec)
}

func wantErrorBody(t *testing.T, rec *httptest.ResponseRecorder, code string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("error body = %+v, want code %q and a message", body.Error, code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}
