package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/handlerproc"
)

// These benchmarks run the real binary against Azurite, as `make bench`
// does; results and commands are in docs/benchmarks.md.

// startHandler runs the real binary against conn without waiting for it.
func startHandler(b *testing.B, conn string) *handlerproc.Proc {
	b.Helper()
	return handlerproc.Start(b, handlerproc.Options{Conn: conn, Quiet: true, NoWait: true})
}

// BenchmarkColdStart measures exec to the first 200 on /api/health.
func BenchmarkColdStart(b *testing.B) {
	az := azurite.Shared(b)
	handlerproc.Binary(b) // built before the clock starts
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h := startHandler(b, az.ConnectionString())
		h.WaitHealthy(b, 20*time.Second)
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-healthy")
		b.StopTimer()
		h.Stop()
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
	h := startHandler(b, az.ConnectionString())
	defer h.Stop()
	h.WaitHealthy(b, 20*time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	email := fmt.Sprintf("bench%d@example.com", time.Now().UnixNano())
	body := `{"email":"` + email + `","password":"purple-Tiger-42-bicycle","name":"Bench"}`
	if code, err := post(client, h.URL+"/api/register", body); err != nil || code != http.StatusCreated {
		b.Fatalf("register: %d %v", code, err)
	}
	login := `{"email":"` + email + `","password":"purple-Tiger-42-bicycle"}`
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		code, err := post(client, h.URL+"/api/login", login)
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
		h := startHandler(b, az.ConnectionString())
		h.WaitHealthy(b, 20*time.Second)
		client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 500, MaxConnsPerHost: 0}}
		run := time.Now().UnixNano()
		real := fmt.Sprintf("flood%d-0@example.com", run)
		if code, err := post(client, h.URL+"/api/register", `{"email":"`+real+`","password":"purple-Tiger-42-bicycle","name":"Flood"}`); err != nil || code != http.StatusCreated {
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
				code, err := post(client, h.URL+"/api/login", `{"email":"`+email+`","password":"purple-Tiger-42-bicycle"}`)
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
		rss, err := peakRSS(h.Pid())
		h.Stop()
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
