package funchost

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// wantCode fails t unless err is a *priceline.Error of KindInvalid with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *priceline.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *priceline.Error with code %q", err, err, code)
	}
	if e.Kind != priceline.KindInvalid || e.Code != code {
		t.Fatalf("error = %v, want kind %q code %q", err, priceline.KindInvalid, code)
	}
	if e.Message == "" {
		t.Fatalf("error %v has no message", err)
	}
}

// wantInvalid fails t unless err is a *priceline.Error of KindInvalid with
// a code and a message.
func wantInvalid(t *testing.T, err error) {
	t.Helper()
	var e *priceline.Error
	if !errors.As(err, &e) || e.Kind != priceline.KindInvalid || e.Code == "" || e.Message == "" {
		t.Fatalf("error = %v (%T), want a *priceline.Error of kind %q", err, err, priceline.KindInvalid)
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return v
}

func TestFunctionJSON_HTTPHasOnlyAnonymousTriggerAndHTTPOutput(t *testing.T) {
	got, err := FunctionJSON(Function{Name: "SessionsDelete", Methods: []string{"DELETE"}, Route: "api/me/sessions/{id}"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"bindings":[
		{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["DELETE"],"route":"api/me/sessions/{id}"},
		{"type":"http","direction":"out","name":"res"}]}`
	if g, w := decodeJSON(t, got), decodeJSON(t, []byte(want)); !reflect.DeepEqual(g, w) {
		t.Errorf("function.json mismatch\ngot  %s\nwant %s", got, want)
	}
}

func TestFunctionJSON_TimerHasOnlyTimerTrigger(t *testing.T) {
	got, err := FunctionJSON(Function{Name: "CleanupSessions", Schedule: "0 */5 * * * *"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 */5 * * * *"}]}`
	if g, w := decodeJSON(t, got), decodeJSON(t, []byte(want)); !reflect.DeepEqual(g, w) {
		t.Errorf("function.json mismatch\ngot  %s\nwant %s", got, want)
	}
}

func TestFunctionJSON_RejectsInvalidFunctions(t *testing.T) {
	tests := []struct {
		name string
		f    Function
		code string
	}{
		{"bad name", Function{Name: "1st", Methods: []string{"GET"}, Route: "a"}, "invalid_function_name"},
		{"no methods", Function{Name: "A", Route: "a"}, "invalid_method"},
		{"lower-case method", Function{Name: "A", Methods: []string{"get"}, Route: "a"}, "invalid_method"},
		{"TRACE", Function{Name: "A", Methods: []string{"TRACE"}, Route: "a"}, "invalid_method"},
		{"duplicate method", Function{Name: "A", Methods: []string{"GET", "GET"}, Route: "a"}, "invalid_method"},
		{"empty route", Function{Name: "A", Methods: []string{"GET"}}, "invalid_route"},
		{"timer with route", Function{Name: "T", Schedule: "0 0 * * * *", Route: "t"}, "invalid_function"},
		{"timer with methods", Function{Name: "T", Schedule: "0 0 * * * *", Methods: []string{"POST"}}, "invalid_function"},
		{"bad schedule", Function{Name: "T", Schedule: "0 0 * * *"}, "invalid_schedule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FunctionJSON(tt.f)
			wantCode(t, err, tt.code)
			if !strings.Contains(err.Error(), tt.f.Name) {
				t.Errorf("error %q does not name the function %q", err, tt.f.Name)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	ok := []string{"a", "Login", "sessions-delete", "api_me_2", "A" + strings.Repeat("b", 127)}
	for _, n := range ok {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", n, err)
		}
	}
	bad := []string{"", "1a", "_a", "-a", "a.b", "a b", "a/b", "é", "host", "HOST", "A" + strings.Repeat("b", 128)}
	for _, n := range bad {
		wantCode(t, ValidateName(n), "invalid_function_name")
	}
}

func TestIsTimer(t *testing.T) {
	if (Function{Name: "a", Methods: []string{"GET"}, Route: "a"}).IsTimer() {
		t.Error("HTTP function reported as timer")
	}
	if !(Function{Name: "a", Schedule: "0 0 * * * *"}).IsTimer() {
		t.Error("timer function not reported as timer")
	}
}
