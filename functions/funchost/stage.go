package funchost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// HandlerFile is the file name Stage gives the handler binary, and so the
// defaultExecutablePath host.json must name.
const HandlerFile = "handler"

// extensionBundleID is the only bundle a custom handler can get its
// bindings from.
const extensionBundleID = "Microsoft.Azure.Functions.ExtensionBundle"

// hostJSON is the part of host.json that the custom-handler contract rests
// on. Other settings (logging, functionTimeout, ...) are left alone.
type hostJSON struct {
	Version         *string `json:"version"`
	ExtensionBundle *struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"extensionBundle"`
	CustomHandler *struct {
		Description *struct {
			DefaultExecutablePath string `json:"defaultExecutablePath"`
			WorkingDirectory      string `json:"workingDirectory"`
		} `json:"description"`
		EnableForwardingHTTPRequest *bool `json:"enableForwardingHttpRequest"`
		EnableProxyingHTTPRequest   *bool `json:"enableProxyingHttpRequest"`
	} `json:"customHandler"`
	Extensions *struct {
		HTTP *struct {
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
	} `json:"extensions"`
}

// checkHostJSON checks the settings the handler depends on and returns the
// executable path host.json names.
func checkHostJSON(data []byte) (executable string, err error) {
	bad := func(format string, args ...any) (string, error) {
		return "", invalid("invalid_host_json", "host.json: "+format, args...)
	}
	var h hostJSON
	if err := json.Unmarshal(data, &h); err != nil {
		return bad("is not valid JSON: %v.", err)
	}
	if h.Version == nil || *h.Version != "2.0" {
		return bad(`"version" must be "2.0".`)
	}
	if h.ExtensionBundle == nil || h.ExtensionBundle.ID != extensionBundleID {
		return bad(`"extensionBundle.id" must be %q.`, extensionBundleID)
	}
	if !isBundleV4Range(h.ExtensionBundle.Version) {
		return bad(`"extensionBundle.version" must be the v4 range "[4.*, 5.0.0)", not %q.`, h.ExtensionBundle.Version)
	}
	ch := h.CustomHandler
	if ch == nil || ch.Description == nil || ch.Description.DefaultExecutablePath == "" {
		return bad(`"customHandler.description.defaultExecutablePath" must name the handler binary.`)
	}
	if ch.EnableProxyingHTTPRequest == nil || !*ch.EnableProxyingHTTPRequest {
		// Without it every HTTP request arrives as a JSON invocation
		// payload that the web package does not speak (see doc.go for why
		// proxying and not the legacy forwarding).
		return bad(`"customHandler.enableProxyingHttpRequest" must be true.`)
	}
	if ch.EnableForwardingHTTPRequest != nil && *ch.EnableForwardingHTTPRequest {
		// The legacy setting drops chunked bodies; leaving it set next to
		// proxying would only make host.json say two things.
		return bad(`"customHandler.enableForwardingHttpRequest" must not be set: use enableProxyingHttpRequest.`)
	}
	if h.Extensions == nil || h.Extensions.HTTP == nil || h.Extensions.HTTP.RoutePrefix == nil || *h.Extensions.HTTP.RoutePrefix != "" {
		// Left out, the prefix is "api" and every route would move.
		return bad(`"extensions.http.routePrefix" must be "".`)
	}
	exe := ch.Description.DefaultExecutablePath
	if filepath.IsAbs(exe) || !filepath.IsLocal(exe) {
		return bad(`"customHandler.description.defaultExecutablePath" must be a path inside the app folder, not %q.`, exe)
	}
	return exe, nil
}

// isBundleV4Range accepts "[4.*, 5.0.0)" and other spellings of a range
// that starts at major version 4 and stops before 5.
func isBundleV4Range(v string) bool {
	v = strings.ReplaceAll(v, " ", "")
	lo, hi, ok := strings.Cut(v, ",")
	return ok && (strings.HasPrefix(lo, "[4.") || lo == "[4") && (hi == "5.0.0)" || hi == "5.0)" || hi == "5)")
}

// Stage writes a function app into dir: host.json (hostJSON verbatim), the
// handler binary copied to dir/handler with mode 0755, and
// dir/<Name>/function.json for each function. Function folders left from a
// previous run are removed; other files in dir are left alone. Everything
// is validated first, so a bad function list writes nothing. The staged
// app is then checked with CheckApp.
func Stage(dir string, hostJSON []byte, binary string, fns []Function) error {
	exe, err := checkHostJSON(hostJSON)
	if err != nil {
		return err
	}
	if exe != HandlerFile {
		return invalid("invalid_host_json", `host.json: "customHandler.description.defaultExecutablePath" must be %q, the name Stage gives the binary.`, HandlerFile)
	}
	if err := validateFunctions(fns); err != nil {
		return err
	}
	docs := make(map[string][]byte, len(fns))
	for _, f := range fns {
		b, err := FunctionJSON(f)
		if err != nil {
			return err
		}
		docs[f.Name] = b
	}
	if st, err := os.Stat(binary); err != nil {
		return fmt.Errorf("stage function app: handler binary: %w", err)
	} else if !st.Mode().IsRegular() {
		return fmt.Errorf("stage function app: handler binary %s is not a regular file", binary)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("stage function app: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "host.json"), bytes.NewReader(hostJSON), 0o644); err != nil {
		return err
	}
	if err := copyBinary(binary, filepath.Join(dir, HandlerFile)); err != nil {
		return err
	}
	if err := removeStaleFunctions(dir, docs); err != nil {
		return err
	}
	for name, b := range docs {
		fdir := filepath.Join(dir, name)
		if err := os.MkdirAll(fdir, 0o755); err != nil {
			return fmt.Errorf("stage function %s: %w", name, err)
		}
		if err := writeFileAtomic(filepath.Join(fdir, "function.json"), bytes.NewReader(b), 0o644); err != nil {
			return err
		}
	}
	if _, err := CheckApp(dir); err != nil {
		return fmt.Errorf("staged app in %s fails the contract: %w", dir, err)
	}
	return nil
}

// removeStaleFunctions deletes function folders (folders holding a
// function.json) whose names are not in keep, so a function removed from
// the route table stops being served.
func removeStaleFunctions(dir string, keep map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("stage function app: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, ok := keep[e.Name()]; ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "function.json")); err != nil {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("remove stale function %s: %w", e.Name(), err)
		}
	}
	return nil
}

// copyBinary copies the handler into place by rename, so a running copy
// of the old binary is never overwritten in place.
func copyBinary(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("stage function app: handler binary: %w", err)
	}
	defer in.Close()
	return writeFileAtomic(dst, in, 0o755)
}

// writeFileAtomic writes r to a temporary file beside path and renames it
// over path, so a reader never sees half a file.
func writeFileAtomic(path string, r io.Reader, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // a no-op once renamed
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// validateFunctions checks each function and the rules across them.
func validateFunctions(fns []Function) error {
	byName := map[string]string{}
	for _, f := range fns {
		if err := f.Validate(); err != nil {
			return err
		}
		// Folder names collide on case-insensitive file systems, and the
		// host looks functions up ignoring case.
		key := strings.ToLower(f.Name)
		if prev, ok := byName[key]; ok {
			return invalid("duplicate_function_name", "Functions %q and %q have the same name.", prev, f.Name)
		}
		byName[key] = f.Name
	}
	for i, a := range fns {
		for _, b := range fns[i+1:] {
			if !a.IsTimer() && !b.IsTimer() && routesConflict(a, b) {
				return invalid("route_conflict", "HTTP functions %q and %q both serve %s on route %q; the host refuses that.",
					a.Name, b.Name, commonMethod(a, b), a.Route)
			}
		}
	}
	router, err := NewRouter(fns)
	if err != nil {
		return err
	}
	for _, f := range fns {
		if !f.IsTimer() {
			continue
		}
		// With forwarding, an outside request that the host routes to an
		// HTTP function reaches the handler unchanged. If that could be
		// "POST /<timer name>", anyone could run the timer.
		if g, ok := router.Match("POST", "/"+f.Name); ok {
			return invalid("timer_exposed", "HTTP function %q (route %q) would forward outside requests for POST /%s to timer function %q; narrow its route or methods.",
				g.Name, g.Route, f.Name, f.Name)
		}
	}
	return nil
}

func commonMethod(a, b Function) string {
	for _, m := range a.Methods {
		if slices.Contains(b.Methods, m) {
			return m
		}
	}
	return ""
}

// CheckApp checks a staged function app against the custom-handler
// contract and returns the functions it defines, sorted by name. host.json
// must have version 2.0, the v4 extension bundle, forwarding on, route
// prefix "" and an executable handler inside dir. Every folder with a
// function.json must be a valid, unique function name; an HTTP function
// must have exactly an anonymous httpTrigger "req" and an http output
// "res" (the shape the host forwards unchanged) with upper-case methods
// and a valid route; a timer exactly one timerTrigger "timer" with a valid
// schedule. Routes must not conflict and no HTTP route may expose a timer's
// invocation path.
func CheckApp(dir string) ([]Function, error) {
	data, err := os.ReadFile(filepath.Join(dir, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("check function app: %w", err)
	}
	exe, err := checkHostJSON(data)
	if err != nil {
		return nil, err
	}
	if err := checkExecutable(filepath.Join(dir, exe)); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("check function app: %w", err)
	}
	var fns []Function
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "function.json"))
		if errors.Is(err, fs.ErrNotExist) {
			continue // the host ignores folders without function.json
		}
		if err != nil {
			return nil, fmt.Errorf("check function %s: %w", e.Name(), err)
		}
		f, err := parseFunctionJSON(e.Name(), data)
		if err != nil {
			return nil, err
		}
		fns = append(fns, f)
	}
	if err := validateFunctions(fns); err != nil {
		return nil, err
	}
	slices.SortFunc(fns, func(a, b Function) int { return strings.Compare(a.Name, b.Name) })
	return fns, nil
}

// checkExecutable checks that the handler exists and can be run.
func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return invalid("invalid_executable", "The handler %s named by host.json does not exist.", filepath.Base(path))
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return invalid("invalid_executable", "The handler %s named by host.json is not an executable file.", filepath.Base(path))
	}
	return nil
}

// parseFunctionJSON reads one function.json back into a Function, insisting
// on exactly the shapes FunctionJSON writes.
func parseFunctionJSON(name string, data []byte) (Function, error) {
	if err := ValidateName(name); err != nil {
		return Function{}, err
	}
	bad := func(format string, args ...any) (Function, error) {
		return Function{}, invalid("invalid_function_json", "%s/function.json: "+format, append([]any{name}, args...)...)
	}
	var doc functionJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return bad("cannot be read: %v.", err)
	}
	if dec.More() {
		return bad("has data after the JSON object.")
	}
	if doc.Disabled != nil && *doc.Disabled {
		return bad("is disabled; remove the function from the route table instead.")
	}
	for _, b := range doc.Bindings {
		if !isBindingName(b.Name) {
			return bad("binding name %q is not valid.", b.Name)
		}
	}
	if len(doc.Bindings) == 0 {
		return bad("has no bindings.")
	}
	trigger := doc.Bindings[0]
	switch {
	case strings.EqualFold(trigger.Type, "timerTrigger"):
		return parseTimerBindings(name, doc.Bindings)
	case strings.EqualFold(trigger.Type, "httpTrigger"), strings.EqualFold(trigger.Type, "http"):
		return parseHTTPBindings(name, doc.Bindings)
	default:
		return bad("binding type %q is not used by this app; functions are HTTP or timer.", trigger.Type)
	}
}

func parseTimerBindings(name string, bs []binding) (Function, error) {
	bad := func(format string, args ...any) (Function, error) {
		return Function{}, invalid("invalid_binding", "%s/function.json: "+format, append([]any{name}, args...)...)
	}
	if len(bs) != 1 {
		return bad("a timer function has exactly one binding, the timerTrigger.")
	}
	b := bs[0]
	if b.Direction != "in" || b.Name != TimerBindingName {
		return bad(`the timerTrigger must be direction "in" named %q.`, TimerBindingName)
	}
	if b.AuthLevel != "" || len(b.Methods) != 0 || b.Route != "" {
		return bad("a timerTrigger takes no authLevel, methods or route.")
	}
	if b.RunOnStart != nil && *b.RunOnStart {
		// The docs warn against it: it fires on every scale-out and restart.
		return bad("runOnStartup must not be true.")
	}
	f := Function{Name: name, Schedule: b.Schedule}
	if err := ValidateSchedule(b.Schedule); err != nil {
		return Function{}, about(fmt.Sprintf("%s/function.json", name), err)
	}
	return f, nil
}

func parseHTTPBindings(name string, bs []binding) (Function, error) {
	bad := func(format string, args ...any) (Function, error) {
		return Function{}, invalid("invalid_binding", "%s/function.json: "+format, append([]any{name}, args...)...)
	}
	var in, out []binding
	for _, b := range bs {
		switch {
		case b.Direction == "in" && strings.EqualFold(b.Type, "httpTrigger"):
			in = append(in, b)
		case b.Direction == "out" && strings.EqualFold(b.Type, "http"):
			out = append(out, b)
		default:
			return bad("binding %q (%s, %s) would stop the host forwarding requests unchanged; an HTTP function has only an httpTrigger in and an http out.",
				b.Name, b.Type, b.Direction)
		}
	}
	if len(in) != 1 || len(out) != 1 {
		return bad("an HTTP function needs exactly one httpTrigger in and one http out, not %d and %d.", len(in), len(out))
	}
	trig, res := in[0], out[0]
	if trig.Name != HTTPTriggerBindingName || res.Name != HTTPOutputBindingName {
		return bad("the bindings must be named %q and %q.", HTTPTriggerBindingName, HTTPOutputBindingName)
	}
	if trig.AuthLevel != "anonymous" {
		// Function keys would be a second login in front of ours, and
		// leaving authLevel out means "function" to the host.
		return bad(`authLevel must be "anonymous", not %q.`, trig.AuthLevel)
	}
	if trig.Schedule != "" || trig.RunOnStart != nil || res.AuthLevel != "" || len(res.Methods) != 0 || res.Route != "" || res.Schedule != "" {
		return bad("has properties that do not belong on HTTP bindings.")
	}
	f := Function{Name: name, Methods: trig.Methods, Route: trig.Route}
	if err := f.Validate(); err != nil {
		return Function{}, err
	}
	return f, nil
}

// isBindingName follows the host's ^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$.
func isBindingName(s string) bool {
	if s == "$return" {
		return true
	}
	if s == "" || len(s) > 128 || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isASCIILetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}
