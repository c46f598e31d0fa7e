package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/funchost"
	"hospitalpriceline/functions/funchost/funchosttest"
	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/handlerproc"
	"hospitalpriceline/functions/web"

	"hospitalpriceline/functions/internal/modroot"
)

func TestMain(m *testing.M) { azurite.RunTests(m) }

// repoRoot is the module root, where host.json and the docs are.
func repoRoot(t *testing.T) string { return modroot.ForTest(t) }

// stage writes the function app into a temp dir through the real
// subcommand, with this test binary standing in for the handler binary.
func stage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"stage-app", "-host-json", filepath.Join(repoRoot(t), "host.json"), "-binary", self, dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("stage-app exit %d: %s", code, errb.String())
	}
	return dir
}

// The staged app meets the custom-handler contract, and its functions are
// exactly the Go route table's.
func TestStagedAppMeetsCustomHandlerContract(t *testing.T) {
	dir := stage(t)
	got, err := funchost.CheckApp(dir)
	if err != nil {
		t.Fatalf("staged app breaks the contract: %v", err)
	}
	want := (&web.Server{}).Functions()
	key := func(f funchost.Function) string {
		m := slices.Clone(f.Methods)
		slices.Sort(m)
		return f.Name + " " + strings.Join(m, ",") + " " + f.Route + " " + f.Schedule
	}
	var g, w []string
	for _, f := range got {
		g = append(g, key(f))
	}
	for _, f := range want {
		w = append(w, key(f))
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("staged functions differ from the route table:\n got %q\nwant %q", g, w)
	}
	host, _ := os.ReadFile(filepath.Join(dir, "host.json"))
	repoHost, _ := os.ReadFile(filepath.Join(repoRoot(t), "host.json"))
	if !bytes.Equal(host, repoHost) {
		t.Fatal("staged host.json differs from the repository's")
	}
	var h struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
			EnableProxyingHTTPRequest bool `json:"enableProxyingHttpRequest"`
		} `json:"customHandler"`
		Extensions struct {
			HTTP struct {
				RoutePrefix *string `json:"routePrefix"`
			} `json:"http"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(host, &h); err != nil {
		t.Fatal(err)
	}
	if h.CustomHandler.Description.DefaultExecutablePath != "handler" || !h.CustomHandler.EnableProxyingHTTPRequest ||
		h.Extensions.HTTP.RoutePrefix == nil || *h.Extensions.HTTP.RoutePrefix != "" {
		t.Fatalf("host.json: %+v", h)
	}
}

func freePort(t *testing.T) int { return handlerproc.FreePort(t) }

// The whole handler, started from settings as production starts it, serves
// through a simulated Functions host: forwarded HTTP requests and the
// timer's invocation payload; SIGTERM (context end) stops it gracefully.
func TestServeThroughFunctionsHost(t *testing.T) {
	az := azurite.Shared(t)
	port := freePort(t)
	settings := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT":       strconv.Itoa(port),
		"FUNCTIONS_WORKER_RUNTIME":           "custom",
		"PRICELINE_PUBLIC_URL":               "http://localhost:7071",
		"PRICELINE_TABLES_CONNECTION_STRING": az.ConnectionString(),
		"PRICELINE_DEV_SIGNING_KEY":          "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, func(k string) string { return settings[k] }, logger, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("handler did not start")
	}

	host := funchosttest.NewHost(t, stage(t), "http://"+addr)
	client := &http.Client{Timeout: 10 * time.Second}
	// The handler listens before the tables are ensured: health is 503
	// "starting" until they are, then 200.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(host.URL() + "/api/health")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"starting"`) || time.Now().After(deadline) {
			t.Fatalf("health through the host: %d %s", resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	reg := `{"email":"host@example.com","password":"purple-Tiger-42-bicycle","name":"Host Test"}`
	resp, err := client.Post(host.URL()+"/api/register", "application/json", strings.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register through the host: %d", resp.StatusCode)
	}
	inv, err := host.InvokeTimer(context.Background(), web.CleanupFunction)
	if err != nil {
		t.Fatalf("timer invocation: %v", err)
	}
	if len(inv.Logs) == 0 {
		t.Fatalf("timer invocation returned no logs: %+v", inv)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("graceful shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("handler did not stop on SIGTERM")
	}
}

// A missing setting stops startup with a message naming it.
func TestServeRefusesBadSettings(t *testing.T) {
	err := serve(context.Background(), func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "PRICELINE_PUBLIC_URL") {
		t.Fatalf("got %v", err)
	}
}
