package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
)

// These benchmarks run the real binary against Azurite, as `make bench`
// does; results and commands are in docs/benchmarks.md.

var built struct {
	once sync.Once
	path string
	err  error
}

// buildHandler compiles the handler once per benchmark run.
func buildHandler(b *testing.B) string {
	b.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "priceline-bench")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "handler")
		cmd := exec.Command("go", "build", "-o", built.path, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if built.err != nil {
		b.Fatal(built.err)
	}
	return built.path
}

// handlerProc is a running handler binary.
type handlerProc struct {
	cmd *exec.Cmd
	url string
}

func startHandler(b *testing.B, bin, conn string) *handlerProc {
	b.Helper()
	port := freePortB(b)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port),
		"PRICELINE_PUBLIC_URL=http://localhost:7071",
		"PRICELINE_TABLES_CONNECTION_STRING="+conn,
		"PRICELINE_DEV_SIGNING_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return &handlerProc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

func (h *handlerProc) stop() {
	_ = h.cmd.Process.Signal(os.Interrupt)
	_ = h.cmd.Wait()
}

// waitHealthy polls /api/health until it answers 200.
func (h *handlerProc) waitHealthy(b *testing.B) {
	b.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(h.url + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	b.Fatal("handler did not become healthy")
}

func freePortB(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// BenchmarkColdStart measures exec to the first 200 on /api/health.
func BenchmarkColdStart(b *testing.B) {
	az := azurite.Shared(b)
	bin := buildHandler(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h := startHandler(b, bin, az.ConnectionString())
		h.waitHealthy(b)
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-healthy")
		b.StopTimer()
		h.stop()
		b.StartTimer()
	}
}

func post(client *http.Client, url, body string) (int, error) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkLogin measures sequential password logins with the production
// argon2id parameters and reports p50 and p99.
func BenchmarkLogin(b *testing.B) {
	az := azurite.Shared(b)
	h := startHandler(b, buildHandler(b), az.ConnectionString())
	defer h.stop()
	h.waitHealthy(b)
	client := &http.Client{Timeout: 10 * time.Second}
	email := fmt.Sprintf("bench%d@example.com", time.Now().UnixNano())
	body := `{"email":"` + email + `","password":"purple-Tiger-42-bicycle","name":"Bench"}`
	if code, err := post(client, h.url+"/api/register", body); err != nil || code != http.StatusCreated {
		b.Fatalf("register: %d %v", code, err)
	}
	login := `{"email":"` + email + `","password":"purple-Tiger-42-bicycle"}`
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		code, err := post(client, h.url+"/api/login", login)
		lat = append(lat, time.Since(start))
		if err != nil || code != http.StatusOK {
			b.Fatalf("login: %d %v", code, err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkLoginFloodPeakRSS fires 500 concurrent logins at one instance, as
// a credential-stuffing burst would (every attempt a different email; one of
// them real), and reports the handler's peak resident memory (VmHWM) and how
// the requests were answered: the hash cap turns excess into quick 503s
// with Retry-After, not memory.
func BenchmarkLoginFloodPeakRSS(b *testing.B) {
	az := azurite.Shared(b)
	for i := 0; i < b.N; i++ {
		h := startHandler(b, buildHandler(b), az.ConnectionString())
		h.waitHealthy(b)
		client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 500, MaxConnsPerHost: 0}}
		run := time.Now().UnixNano()
		real := fmt.Sprintf("flood%d-0@example.com", run)
		if code, err := post(client, h.url+"/api/register", `{"email":"`+real+`","password":"purple-Tiger-42-bicycle","name":"Flood"}`); err != nil || code != http.StatusCreated {
			b.Fatalf("register: %d %v", code, err)
		}
		var mu sync.Mutex
		codes := map[int]int{}
		var errs []string
		var wg sync.WaitGroup
		for n := range 500 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := fmt.Sprintf("flood%d-%d@example.com", run, n)
				code, err := post(client, h.url+"/api/login", `{"email":"`+email+`","password":"purple-Tiger-42-bicycle"}`)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err.Error())
					return
				}
				codes[code]++
			}()
		}
		wg.Wait()
		rss, err := peakRSS(h.cmd.Process.Pid)
		h.stop()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
		b.ReportMetric(float64(codes[200]+codes[401]), "answered")
		b.ReportMetric(float64(codes[503]), "busy-503")
		if len(errs) > 0 || codes[200]+codes[401]+codes[503] != 500 {
			b.Fatalf("unexpected answers: %v; transport errors: %v", codes, errs)
		}
	}
}

// peakRSS reads VmHWM (KiB) from /proc.
func peakRSS(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
