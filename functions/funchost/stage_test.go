package funchost

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// repoHostJSON is the host.json the app ships with.
func repoHostJSON(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "host.json"))
	if err != nil {
		t.Fatalf("read the repository's host.json: %v", err)
	}
	return b
}

// fakeBinary writes a small file to stand in for the handler.
func fakeBinary(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "built-handler")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sampleFunctions is a route table like the web package's.
func sampleFunctions() []Function {
	return []Function{
		{Name: "Home", Methods: []string{"GET"}, Route: RootRoute},
		{Name: "Static", Methods: []string{"GET", "HEAD"}, Route: "static/{*rest}"},
		{Name: "Login", Methods: []string{"POST"}, Route: "api/login"},
		{Name: "SessionsList", Methods: []string{"GET"}, Route: "api/me/sessions"},
		{Name: "SessionsDelete", Methods: []string{"DELETE"}, Route: "api/me/sessions/{id}"},
		{Name: "CleanupSessions", Schedule: "0 */5 * * * *"},
	}
}

// stageSample stages sampleFunctions into a new temp dir and returns it.
func stageSample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	if err := Stage(dir, repoHostJSON(t), fakeBinary(t), sampleFunctions()); err != nil {
		t.Fatalf("Stage: %v", err)
	}
	return dir
}

func TestStage_CheckAppRoundTrip(t *testing.T) {
	dir := stageSample(t)
	got, err := CheckApp(dir)
	if err != nil {
		t.Fatalf("CheckApp: %v", err)
	}
	want := sampleFunctions()
	byName := map[string]Function{}
	for _, f := range got {
		byName[f.Name] = f
	}
	if len(got) != len(want) {
		t.Fatalf("CheckApp found %d functions, want %d: %+v", len(got), len(want), got)
	}
	for _, w := range want {
		if g := byName[w.Name]; !reflect.DeepEqual(g, w) {
			t.Errorf("function %s: got %+v, want %+v", w.Name, g, w)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Name >= got[i].Name {
			t.Errorf("CheckApp result not sorted by name: %q before %q", got[i-1].Name, got[i].Name)
		}
	}

	st, err := os.Stat(filepath.Join(dir, HandlerFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Errorf("handler mode = %v, want 0755", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "host.json")); !bytes.Equal(b, repoHostJSON(t)) {
		t.Error("staged host.json differs from the one given")
	}
}

func TestStage_RemovesStaleFunctionFoldersOnly(t *testing.T) {
	dir := stageSample(t)
	keep := filepath.Join(dir, "local.settings.json")
	if err := os.WriteFile(keep, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	fewer := sampleFunctions()[:2]
	if err := Stage(dir, repoHostJSON(t), fakeBinary(t), fewer); err != nil {
		t.Fatalf("second Stage: %v", err)
	}
	got, err := CheckApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("after restaging 2 functions CheckApp found %+v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "Login")); !os.IsNotExist(err) {
		t.Errorf("stale function folder Login still there (err %v)", err)
	}
	for _, p := range []string{keep, filepath.Join(dir, "notes")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Stage removed %s, which is not a function folder: %v", p, err)
		}
	}
}

func TestStage_ValidatesBeforeWriting(t *testing.T) {
	tests := []struct {
		name string
		fns  []Function
		code string
	}{
		{"duplicate names", []Function{
			{Name: "Login", Methods: []string{"POST"}, Route: "api/login"},
			{Name: "login", Methods: []string{"GET"}, Route: "login"},
		}, "duplicate_function_name"},
		{"bad name", []Function{{Name: "log in", Methods: []string{"POST"}, Route: "api/login"}}, "invalid_function_name"},
		{"bad schedule", []Function{{Name: "Cleanup", Schedule: "*/5 * * * *"}}, "invalid_schedule"},
		{"route conflict", []Function{
			{Name: "A", Methods: []string{"GET", "POST"}, Route: "api/x"},
			{Name: "B", Methods: []string{"POST"}, Route: "API/x"},
		}, "route_conflict"},
		{"timer reachable from outside", []Function{
			{Name: "Anything", Methods: []string{"POST"}, Route: "{name}"},
			{Name: "Cleanup", Schedule: "0 0 * * * *"},
		}, "timer_exposed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "app")
			err := Stage(dir, repoHostJSON(t), fakeBinary(t), tt.fns)
			wantCode(t, err, tt.code)
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("Stage wrote %s despite the error", dir)
			}
		})
	}
}

func TestStage_RejectsHostJSONNamingAnotherExecutable(t *testing.T) {
	h := strings.Replace(string(repoHostJSON(t)), `"defaultExecutablePath": "handler"`, `"defaultExecutablePath": "server"`, 1)
	err := Stage(filepath.Join(t.TempDir(), "app"), []byte(h), fakeBinary(t), sampleFunctions())
	wantCode(t, err, "invalid_host_json")
}

func TestStage_MissingBinary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	if err := Stage(dir, repoHostJSON(t), filepath.Join(t.TempDir(), "nope"), sampleFunctions()); err == nil {
		t.Fatal("Stage with a missing binary succeeded")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Stage wrote %s despite the error", dir)
	}
}

// writeJSONFile writes v, or a raw string, as a JSON file.
func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// editHostJSON rewrites dir/host.json through edit.
func editHostJSON(t *testing.T, dir string, edit func(h map[string]any)) {
	t.Helper()
	var h map[string]any
	if err := json.Unmarshal(repoHostJSON(t), &h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	writeJSONFile(t, filepath.Join(dir, "host.json"), h)
}

func httpBindings(extra ...string) string {
	return `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["GET"],"route":"extra"},
		{"type":"http","direction":"out","name":"res"}` + strings.Join(extra, "") + `]}`
}

func TestCheckApp_RejectsBrokenApps(t *testing.T) {
	section := func(h map[string]any, key string) map[string]any { return h[key].(map[string]any) }
	tests := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		code   string
	}{
		{"two functions with the same name", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "Login", "function.json"))
			writeJSONFile(t, filepath.Join(dir, "LOGIN", "function.json"), strings.Replace(string(b), "api/login", "api/login2", 1))
		}, "duplicate_function_name"},
		{"bad folder name", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "1extra", "function.json"), httpBindings())
		}, "invalid_function_name"},
		{"reserved folder name", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "host", "function.json"), httpBindings())
		}, "invalid_function_name"},
		{"two http outputs", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), httpBindings(`,{"type":"http","direction":"out","name":"res2"}`))
		}, "invalid_binding"},
		{"missing http out", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"),
				`{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["GET"],"route":"extra"}]}`)
		}, "invalid_binding"},
		{"extra queue output stops forwarding", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"),
				httpBindings(`,{"type":"queue","direction":"out","name":"msg"}`))
		}, "invalid_binding"},
		{"authLevel function", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), strings.Replace(httpBindings(), "anonymous", "function", 1))
		}, "invalid_binding"},
		{"authLevel missing", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), strings.Replace(httpBindings(), `"authLevel":"anonymous",`, "", 1))
		}, "invalid_binding"},
		{"lower-case method", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), strings.Replace(httpBindings(), `"GET"`, `"get"`, 1))
		}, "invalid_method"},
		{"route reserved by the host", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), strings.Replace(httpBindings(), `"extra"`, `"admin/x"`, 1))
		}, "invalid_route"},
		{"unknown property", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), strings.Replace(httpBindings(), `"route"`, `"dataType":"string","route"`, 1))
		}, "invalid_function_json"},
		{"disabled function", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), strings.Replace(httpBindings(), `{"bindings"`, `{"disabled":true,"bindings"`, 1))
		}, "invalid_function_json"},
		{"route conflict", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"),
				strings.Replace(strings.Replace(httpBindings(), `"extra"`, `"api/login"`, 1), `"GET"`, `"POST"`, 1))
		}, "route_conflict"},
		{"HTTP route exposes the timer", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"),
				strings.Replace(strings.Replace(httpBindings(), `"extra"`, `"{*anything}"`, 1), `"GET"`, `"POST"`, 1))
		}, "timer_exposed"},
		{"bad schedule", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "CleanupSessions", "function.json"),
				`{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 */5 * * *"}]}`)
		}, "invalid_schedule"},
		{"timer runOnStartup", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "CleanupSessions", "function.json"),
				`{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 */5 * * * *","runOnStartup":true}]}`)
		}, "invalid_binding"},
		{"timer with an extra binding", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "CleanupSessions", "function.json"),
				`{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 */5 * * * *"},{"type":"http","direction":"out","name":"res"}]}`)
		}, "invalid_binding"},
		{"queue-triggered function", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"),
				`{"bindings":[{"type":"queueTrigger","direction":"in","name":"msg"}]}`)
		}, "invalid_function_json"},
		{"function.json not JSON", func(t *testing.T, dir string) {
			writeJSONFile(t, filepath.Join(dir, "Extra", "function.json"), `{"bindings":[`)
		}, "invalid_function_json"},
		{"host.json without proxying", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { delete(section(h, "customHandler"), "enableProxyingHttpRequest") })
		}, "invalid_host_json"},
		{"host.json with proxying false", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { section(h, "customHandler")["enableProxyingHttpRequest"] = false })
		}, "invalid_host_json"},
		{"host.json with the legacy forwarding as well", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { section(h, "customHandler")["enableForwardingHttpRequest"] = true })
		}, "invalid_host_json"},
		{"host.json with only the legacy forwarding", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) {
				delete(section(h, "customHandler"), "enableProxyingHttpRequest")
				section(h, "customHandler")["enableForwardingHttpRequest"] = true
			})
		}, "invalid_host_json"},
		{"host.json without route prefix", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { delete(h, "extensions") })
		}, "invalid_host_json"},
		{"host.json with api prefix", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { section(section(h, "extensions"), "http")["routePrefix"] = "api" })
		}, "invalid_host_json"},
		{"host.json version 1", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { h["version"] = "1.0" })
		}, "invalid_host_json"},
		{"host.json bundle v3", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) { section(h, "extensionBundle")["version"] = "[3.*, 4.0.0)" })
		}, "invalid_host_json"},
		{"host.json executable outside the app", func(t *testing.T, dir string) {
			editHostJSON(t, dir, func(h map[string]any) {
				section(section(h, "customHandler"), "description")["defaultExecutablePath"] = "../handler"
			})
		}, "invalid_host_json"},
		{"handler missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, HandlerFile)); err != nil {
				t.Fatal(err)
			}
		}, "invalid_executable"},
		{"handler not executable", func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, HandlerFile), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "invalid_executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stageSample(t)
			tt.break_(t, dir)
			_, err := CheckApp(dir)
			wantCode(t, err, tt.code)
		})
	}
}

func TestCheckApp_IgnoresFoldersWithoutFunctionJSON(t *testing.T) {
	dir := stageSample(t)
	if err := os.Mkdir(filepath.Join(dir, "1 not a function"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckApp(dir); err != nil {
		t.Errorf("CheckApp: %v", err)
	}
}
