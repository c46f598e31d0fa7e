package funchost

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// Function is one Azure Function as the host sees it. The web package's
// route table produces these; nothing else lists functions.
type Function struct {
	Name     string   // unique, folder-safe: letters, digits, '_' and '-', starting with a letter, at most 128 chars, not "host"
	Methods  []string // HTTP: upper-case methods, e.g. {"GET"}; empty for timers
	Route    string   // HTTP: Functions route template without leading slash, e.g. "api/me/sessions/{id}"; "" for timers
	Schedule string   // timer: six-field NCRONTAB, e.g. "0 */5 * * * *"; "" for HTTP
}

// IsTimer reports whether f is a timer function rather than an HTTP one.
func (f Function) IsTimer() bool { return f.Schedule != "" }

// Binding names we generate. The host does not care what they are, but
// CheckApp insists on them so that a hand-edited function.json shows up as
// drift, and the test host knows the timer's Data key.
const (
	HTTPTriggerBindingName = "req"
	HTTPOutputBindingName  = "res"
	TimerBindingName       = "timer"
)

// maxFunctionNameLen follows the host's ^[a-z][a-z0-9_-]{0,127}$.
const maxFunctionNameLen = 128

// allowedMethods are the HTTP methods a function may accept. TRACE and
// CONNECT are left out on purpose: nothing here needs them and TRACE only
// helps cross-site tracing.
var allowedMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// ValidateName checks a function name against the host's rule. The name is
// also the folder name and, for timers, the path the host POSTs to.
func ValidateName(name string) error {
	bad := func(why string) error {
		return invalid("invalid_function_name", "Function name %q %s.", name, why)
	}
	if name == "" {
		return invalid("invalid_function_name", "A function needs a name.")
	}
	if len(name) > maxFunctionNameLen {
		return bad(fmt.Sprintf("is longer than %d characters", maxFunctionNameLen))
	}
	if !isASCIILetter(name[0]) {
		return bad("must start with a letter")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isASCIILetter(c) && !isDigit(c) && c != '_' && c != '-' {
			return bad("may contain only letters, digits, '_' and '-'")
		}
	}
	if strings.EqualFold(name, "host") {
		return bad(`is reserved by the Functions host`)
	}
	return nil
}

// validateMethods checks an HTTP function's method list.
func validateMethods(name string, methods []string) error {
	if len(methods) == 0 {
		// An empty list means "every method" to the host; we want each
		// function to say what it accepts.
		return invalid("invalid_method", "HTTP function %q must list its methods.", name)
	}
	seen := map[string]bool{}
	for _, m := range methods {
		if !slices.Contains(allowedMethods, m) {
			return invalid("invalid_method", "HTTP function %q has method %q; use one of %s in upper case.",
				name, m, strings.Join(allowedMethods, ", "))
		}
		if seen[m] {
			return invalid("invalid_method", "HTTP function %q lists method %s twice.", name, m)
		}
		seen[m] = true
	}
	return nil
}

// Validate checks f on its own: its name, and either its methods and route
// or its schedule. Checks across functions (duplicates, route conflicts)
// are done by Stage and CheckApp.
func (f Function) Validate() error {
	if err := ValidateName(f.Name); err != nil {
		return err
	}
	if f.IsTimer() {
		if len(f.Methods) != 0 || f.Route != "" {
			return invalid("invalid_function", "Timer function %q must not have methods or a route.", f.Name)
		}
		if err := ValidateSchedule(f.Schedule); err != nil {
			return about(fmt.Sprintf("Timer function %q", f.Name), err)
		}
		return nil
	}
	if err := validateMethods(f.Name, f.Methods); err != nil {
		return err
	}
	if _, err := parseTemplate(f.Route); err != nil {
		return about(fmt.Sprintf("HTTP function %q", f.Name), err)
	}
	return nil
}

// binding is one entry of function.json's bindings array, limited to the
// properties this app uses.
type binding struct {
	Type       string   `json:"type"`
	Direction  string   `json:"direction"`
	Name       string   `json:"name"`
	AuthLevel  string   `json:"authLevel,omitempty"`
	Methods    []string `json:"methods,omitempty"`
	Route      string   `json:"route,omitempty"`
	Schedule   string   `json:"schedule,omitempty"`
	RunOnStart *bool    `json:"runOnStartup,omitempty"`
}

// functionJSON is the shape of function.json.
type functionJSON struct {
	Bindings []binding `json:"bindings"`
	Disabled *bool     `json:"disabled,omitempty"`
}

// FunctionJSON returns the function.json for f. An HTTP function gets an
// anonymous httpTrigger and an http output and nothing else, which is the
// exact shape the host forwards unchanged; a timer gets only a
// timerTrigger. Authorisation is the handler's job, so authLevel is always
// anonymous: function keys would be a second, weaker login.
func FunctionJSON(f Function) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var doc functionJSON
	if f.IsTimer() {
		doc.Bindings = []binding{{
			Type: "timerTrigger", Direction: "in", Name: TimerBindingName, Schedule: f.Schedule,
		}}
	} else {
		doc.Bindings = []binding{
			{
				Type: "httpTrigger", Direction: "in", Name: HTTPTriggerBindingName, AuthLevel: "anonymous",
				Methods: slices.Clone(f.Methods), Route: f.Route,
			},
			{Type: "http", Direction: "out", Name: HTTPOutputBindingName},
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode function.json for %s: %w", f.Name, err)
	}
	return append(b, '\n'), nil
}

// invalid builds the KindInvalid error every contract violation becomes.
func invalid(code, format string, args ...any) *priceline.Error {
	return priceline.Errorf(priceline.KindInvalid, code, format, args...)
}

// about prefixes the message of a *priceline.Error with the thing it is
// about, so that the message alone says which function is wrong.
func about(subject string, err error) error {
	var e *priceline.Error
	if errors.As(err, &e) {
		c := *e
		c.Message = subject + ": " + e.Message
		return &c
	}
	return fmt.Errorf("%s: %w", subject, err)
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
