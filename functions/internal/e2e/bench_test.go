package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/handlerproc"
	"hospitalpriceline/functions/internal/syncbuf"
	"hospitalpriceline/functions/priceline"
)

// BenchmarkSessionCheck measures, in one run and on one Azurite, the limits
// of a session-checked GET /api/me (issue 7, "Session checks at the limit"):
//
//   - ceiling: a bare aztables client, 8 goroutines, point-reading the
//     session record the cookie names;
//   - handler, cache off: the real binary, every request reads the store;
//   - handler, PRICELINE_SESSION_CACHE_TTL=1s;
//   - baseline: Flask + Flask-Session (filesystem) under gunicorn with two
//     workers, doing the same check (skipped when the Debian packages
//     python3-flask, python3-flask-session and gunicorn are missing).
//
// Each is measured for E2E_BENCH_ROUND (default 5s) per round, three rounds
// interleaved after a one-second warm-up of each, and the median is
// reported. HTTP load is closed-loop at E2E_BENCH_CONCURRENCY clients
// (default 16) on the same machine. Run it alone, on an idle machine, with
// -v to see every round:
//
//	go test -run '^$' -bench SessionCheck -benchtime 1x -v ./functions/internal/e2e/
func BenchmarkSessionCheck(b *testing.B) {
	round := 5 * time.Second
	if v := os.Getenv("E2E_BENCH_ROUND"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("E2E_BENCH_ROUND: %v", err)
		}
		round = d
	}
	conc := 16
	if v := os.Getenv("E2E_BENCH_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("E2E_BENCH_CONCURRENCY %q", v)
		}
		conc = n
	}
	az := azurite.Shared(b)
	off := startInstance(b, "handler, cache off", az.ConnectionString())
	on := startInstance(b, "handler, cache 1s", az.ConnectionString(), "PRICELINE_SESSION_CACHE_TTL=1s")
	c := newAPI(off.URL)
	email := uniqueEmail(b, "bench")
	c.register(b, email, testPassword)
	r := c.must(b, "POST", "/api/login", map[string]string{"email": email, "password": testPassword}, nil)
	s := sessionFrom(b, r)
	userID, key := sessionRecordKey(b, r.body, s.cookie)
	handlerCookie := "__Host-session=" + s.cookie

	sessions := bareSessionsClient(b, az.ConnectionString())
	flask, flaskCookie, flaskMissing := startFlaskBaseline(b)

	type series struct {
		name string
		run  func() float64
		vals []float64
	}
	all := []*series{
		{name: "bare aztables point reads/s (8 goroutines)", run: func() float64 { return bareReads(b, sessions, userID, key, 8, round) }},
		{name: "handler GET /api/me req/s, cache off", run: func() float64 { return driveGET(b, off.URL+"/api/me", handlerCookie, conc, round) }},
		{name: "handler GET /api/me req/s, cache 1s", run: func() float64 { return driveGET(b, on.URL+"/api/me", handlerCookie, conc, round) }},
	}
	if flask != "" {
		all = append(all, &series{name: "Flask+Flask-Session+gunicorn(2) GET /api/me req/s", run: func() float64 { return driveGET(b, flask+"/api/me", flaskCookie, conc, round) }})
	}
	// Warm up every server (Azurite's JIT, connection pools, gunicorn's
	// workers) so that round 1 measures the same thing as rounds 2 and 3.
	for _, sr := range all {
		saved := round
		round = time.Second
		sr.run()
		round = saved
	}
	b.ResetTimer()
	for range b.N {
		for _, sr := range all {
			sr.vals = nil
		}
		for i := range 3 {
			for _, sr := range all {
				v := sr.run()
				sr.vals = append(sr.vals, v)
				b.Logf("round %d: %-52s %8.0f", i+1, sr.name, v)
			}
		}
	}
	b.StopTimer()
	med := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	ceiling, cacheOff, cacheOn := med(all[0].vals), med(all[1].vals), med(all[2].vals)
	b.ReportMetric(ceiling, "ceiling-reads/s")
	b.ReportMetric(cacheOff, "me-nocache-req/s")
	b.ReportMetric(cacheOn, "me-cache1s-req/s")
	b.ReportMetric(100*cacheOff/ceiling, "nocache-%-of-ceiling")
	b.Logf("medians: ceiling %.0f reads/s; cache off %.0f req/s = %.0f%% of ceiling (target >= 80%%); cache 1s %.0f req/s",
		ceiling, cacheOff, 100*cacheOff/ceiling, cacheOn)
	if flask != "" {
		base := med(all[3].vals)
		b.ReportMetric(base, "flask-req/s")
		b.ReportMetric(cacheOn/base, "cache1s-x-flask")
		b.Logf("Flask baseline %.0f req/s; cache 1s is %.1fx it (target >= 5x)", base, cacheOn/base)
	} else {
		b.Logf("Flask baseline SKIPPED: %s", flaskMissing)
	}
}

// sessionRecordKey finds the stored session a sign-in created: the user ID
// from the reply, and the key, the SHA-256 of the session ID inside the
// cookie's JWT payload.
func sessionRecordKey(t testing.TB, body []byte, cookie string) (string, string) {
	t.Helper()
	var reply struct {
		User struct{ ID string } `json:"user"`
	}
	if err := json.Unmarshal(body, &reply); err != nil || reply.User.ID == "" {
		t.Fatalf("login reply without a user ID: %s", body)
	}
	parts := strings.Split(cookie, ".")
	if len(parts) != 3 {
		t.Fatalf("cookie is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.SID == "" {
		t.Fatalf("cookie payload without sid")
	}
	return reply.User.ID, priceline.SessionKey(claims.SID)
}

func bareSessionsClient(t testing.TB, conn string) *aztables.Client {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc.NewClient("sessions")
}

// bareReads point-reads one session record from n goroutines for d and
// returns reads per second.
func bareReads(t testing.TB, c *aztables.Client, pk, rk string, n int, d time.Duration) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := c.GetEntity(context.WithoutCancel(ctx), pk, rk, nil)
				if err != nil {
					failed.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d bare point reads failed", failed.Load())
	}
	return float64(ok.Load()) / time.Since(start).Seconds()
}

// driveGET sends GET url with the cookie header from n clients in a closed
// loop for d and returns 200s per second; anything else fails the run.
func driveGET(t testing.TB, url, cookie string, n int, d time.Duration) float64 {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConns: 2 * n, MaxIdleConnsPerHost: 2 * n}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok atomic.Int64
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Cookie", cookie)
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					mu.Lock()
					bad = append(bad, resp.Status)
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("GET %s: %d failures, e.g. %s", url, len(bad), bad[0])
	}
	return float64(ok.Load()) / time.Since(start).Seconds()
}

// startFlaskBaseline runs testdata/flaskbaseline under gunicorn with two
// workers and signs in once. It returns "" and why when the Debian packages
// are missing.
func startFlaskBaseline(t testing.TB) (base, cookie, missing string) {
	t.Helper()
	gunicorn, err := exec.LookPath("gunicorn")
	if err != nil {
		return "", "", "gunicorn not installed (apt-get install python3-flask python3-flask-session gunicorn)"
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "flaskbaseline"))
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	port := handlerproc.FreePort(t)
	cmd := exec.Command(gunicorn, "--workers", "2", "--bind", fmt.Sprintf("127.0.0.1:%d", port), "--chdir", dir, "--log-level", "warning", "app:app")
	cmd.Env = append(os.Environ(), "BASELINE_SECRET_KEY="+hex.EncodeToString(secret), "BASELINE_SESSION_DIR="+t.TempDir())
	logs := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return "", "", fmt.Sprintf("start gunicorn: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-done:
			return "", "", "gunicorn exited: " + logs.String()
		default:
		}
		resp, err := client.Post(base+"/api/login", "application/json", nil)
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "session" {
				return base, "session=" + c.Value, ""
			}
		}
		t.Fatalf("Flask baseline login set no session cookie (%s): %s", resp.Status, logs.String())
	}
	return "", "", "gunicorn did not answer within 20s: " + logs.String()
}
