// Package azurite starts the Azurite Table Storage emulator for tests and for
// make run. It is test and development support: production never imports it.
//
// Azurite is installed from infra/local/azurite/package-lock.json by
// `make azurite` (which make test and make run call).
package azurite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/childproc"
	"hospitalpriceline/functions/internal/modroot"
)

// DevAccountName and DevAccountKey are Azurite's well-known public
// development credentials (documented by Microsoft; not a secret).
const (
	DevAccountName = "devstoreaccount1"
	DevAccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Server is a running Azurite table service.
type Server struct {
	Port    int
	DataDir string // "" when in memory
	cmd     *exec.Cmd
	done    chan struct{}
	mu      sync.Mutex
	stopped bool
}

// ConnectionString returns a connection string for this server.
func (s *Server) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;TableEndpoint=http://127.0.0.1:%d/%s;",
		DevAccountName, DevAccountKey, s.Port, DevAccountName)
}

// Binary finds azurite-table under infra/local/azurite/node_modules of the
// module root.
func Binary() (string, error) {
	root, err := modroot.Find()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "infra", "local", "azurite", "node_modules", ".bin", "azurite-table")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("azurite is not installed at %s: run `make azurite`", bin)
	}
	return bin, nil
}

// Options tune Start.
type Options struct {
	Port    int    // 0 picks a free port
	DataDir string // "" keeps data in memory
}

// Start launches Azurite's table service and waits until it accepts
// connections. Stop it with Stop.
func Start(ctx context.Context, opt Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	port := opt.Port
	if port == 0 {
		if port, err = childproc.FreePort(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(bin, Args(port, opt.DataDir)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start azurite: %w", err)
	}
	s := &Server{Port: port, DataDir: opt.DataDir, cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	var tail []string
	var tailMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			tailMu.Lock()
			if len(tail) < 20 {
				tail = append(tail, line)
			}
			tailMu.Unlock()
			if strings.Contains(line, "successfully") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case <-ready:
	case <-s.done:
		tailMu.Lock()
		defer tailMu.Unlock()
		return nil, fmt.Errorf("azurite exited during start: %s", strings.Join(tail, "\n"))
	case <-timeout.C:
		s.Stop()
		return nil, errors.New("azurite did not start within 30s")
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	return s, nil
}

// Stop ends the emulator and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	// Azurite ignores SIGINT once clients have connected, so an in-memory
	// emulator is killed at once. One that persists to disk gets SIGTERM and
	// a moment to exit, but note that Azurite saves its on-disk state every
	// few seconds and does not flush on stop: the last seconds of writes may
	// be lost (the outage test in internal/e2e allows for it).
	if s.DataDir == "" {
		_ = s.cmd.Process.Kill()
		<-s.done
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Unavailable fails the test when CI=true and skips it loudly otherwise.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("Azurite is required in CI: %v", err)
	}
	t.Skipf("SKIPPING: Azurite unavailable (%v). Run `make azurite`; with CI=true this fails.", err)
}

var shared struct {
	once sync.Once
	s    *Server
	err  error
}

// Shared returns one in-memory Azurite per test binary, started on first use.
// Packages that use it call StopShared from TestMain after m.Run so that the
// emulator does not outlive the tests. Tests isolate themselves with their
// own table names.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.s, shared.err = Start(context.Background(), Options{}) })
	if shared.err != nil {
		Unavailable(t, shared.err)
	}
	return shared.s
}

// StopShared stops the emulator that Shared started, if any.
func StopShared() {
	if shared.s != nil {
		shared.s.Stop()
	}
}

// RunTests is the TestMain of every package that uses Shared: it runs the
// tests, then stops the shared emulator (and runs after, if given) so that
// nothing outlives the test binary.
func RunTests(m *testing.M, after ...func()) {
	code := m.Run()
	StopShared()
	for _, f := range after {
		f()
	}
	os.Exit(code)
}

// Args is the azurite-table command line for a table service on 127.0.0.1
// at port, in memory when dataDir is "". --disableTelemetry keeps local
// runs and tests from sending usage data off the machine (Azurite 3.32 and
// later collect it by default; `azurite-table --help` lists the flag).
func Args(port int, dataDir string) []string {
	args := []string{"--tableHost", "127.0.0.1", "--tablePort", fmt.Sprint(port),
		"--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry"}
	if dataDir == "" {
		return append(args, "--inMemoryPersistence")
	}
	return append(args, "--location", dataDir)
}
