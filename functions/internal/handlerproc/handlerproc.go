// Package handlerproc builds the handler binary once per test binary and runs
// it as a separate process, as the Functions host does: one harness for the
// end-to-end tests and the benchmarks that measure the real binary. It is
// test support: production never imports it.
package handlerproc

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/childproc"
	"hospitalpriceline/functions/internal/syncbuf"
)

// DevSigningKey is a local-only development key (32 bytes, base64); every
// instance a test starts shares it, as every instance shares the vault in
// Azure.
const DevSigningKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// PublicURL is the origin the handler is told it serves.
const PublicURL = "http://localhost:7071"

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary compiles cmd/handler once per test binary and returns its path. It
// is built without -race so that timings resemble production; the tests
// themselves still run under -race. E2E_HANDLER_BINARY runs a prebuilt binary
// instead, for measuring a build with changes not yet in the tree.
func Binary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		if p := os.Getenv("E2E_HANDLER_BINARY"); p != "" {
			built.path = p
			return
		}
		dir, err := os.MkdirTemp("", "priceline-handler")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.path = filepath.Join(dir, "handler")
		out, err := exec.Command("go", "build", "-o", built.path, "hospitalpriceline/functions/cmd/handler").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build cmd/handler: %v: %s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// RemoveBinary deletes what Binary built; TestMain calls it after m.Run.
func RemoveBinary() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

// Options say how to start one handler process.
type Options struct {
	Name string   // shown in failures, e.g. "instance A"
	Conn string   // Table Storage connection string (Azurite)
	Env  []string // more settings, KEY=VALUE, after the defaults
	// Quiet discards the process's output instead of keeping it for a
	// failing test's log (benchmarks: the log would only cost memory).
	Quiet bool
	// NoWait returns as soon as the process started, before /api/health
	// answers 200.
	NoWait bool
}

// Proc is one running handler process: one Functions instance.
type Proc struct {
	Name string
	URL  string
	Log  *syncbuf.Buffer
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs the handler binary with the local defaults (port, public URL,
// dev signing key, the given storage) and, unless opt.NoWait, waits until
// /api/health answers 200. The process is stopped when the test ends, and
// its log is printed if the test failed.
func Start(t testing.TB, opt Options) *Proc {
	t.Helper()
	port := FreePort(t)
	cmd := exec.Command(Binary(t))
	cmd.Env = append(os.Environ(),
		"FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port),
		"PRICELINE_PUBLIC_URL="+PublicURL,
		"PRICELINE_DEV_SIGNING_KEY="+DevSigningKey,
	)
	if opt.Conn != "" {
		cmd.Env = append(cmd.Env, "PRICELINE_TABLES_CONNECTION_STRING="+opt.Conn)
	}
	cmd.Env = append(cmd.Env, opt.Env...)
	p := &Proc{Name: opt.Name, cmd: cmd, URL: fmt.Sprintf("http://127.0.0.1:%d", port), Log: &syncbuf.Buffer{}, done: make(chan struct{})}
	if p.Name == "" {
		p.Name = "handler"
	}
	if opt.Quiet {
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	} else {
		cmd.Stdout, cmd.Stderr = p.Log, p.Log
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.Name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() && !opt.Quiet {
			t.Logf("%s log:\n%s", p.Name, p.Log.String())
		}
	})
	if !opt.NoWait {
		p.WaitHealthy(t, 30*time.Second)
	}
	return p
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Stop interrupts the process and waits for it, killing it after 15 s.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	childproc.Stop(p.cmd, p.done, 15*time.Second)
}

// WaitHealthy polls /api/health until it answers 200, failing the test if
// the process exits or within passes first.
func (p *Proc) WaitHealthy(t testing.TB, within time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited during start:\n%s", p.Name, p.Log.String())
		default:
		}
		resp, err := client.Get(p.URL + "/api/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		// A short poll: the cold-start benchmark measures this wait.
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%s did not become healthy within %s", p.Name, within)
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := childproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// Pid is the process ID, for reading its resource use.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }
