// Command loadgen drives mixed traffic at a running handler on loopback, at
// a fixed concurrency for a bounded time and a bounded number of requests,
// and reports throughput, latency percentiles per route, and every
// unexpected answer. `make load` runs it against a fresh Azurite and handler;
// docs/benchmarks.md has the results.
//
//	loadgen -url http://127.0.0.1:7071 -duration 60s -concurrency 16
//
// With -handler, loadgen also brings up what it drives, all on loopback: an
// in-memory Azurite (functions/internal/azurite), the handler binary with a
// random development signing key, and the sample price files ingested with
// `handler ingest`; it stops them when the run ends. This is what `make load`
// runs:
//
//	loadgen -handler bin/handler -seed functions/ingest/testdata/samples -duration 60s -concurrency 16
//
// The default mix is the one in issue 7: 70% price comparison, 20% GET
// /api/me with a session, 8% login, 2% registration. Every registration is
// of a new address, every login of an account loadgen registered with the
// right password, every /api/me with a live session, and every comparison of
// a code the seed data has, so anything but 200 (201 for registration) is
// unexpected and makes loadgen exit 1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Bounds on what loadgen may be asked to do: it is a local tool, not a
// stress weapon.
const (
	maxDuration    = 10 * time.Minute
	maxConcurrency = 256
	maxRequests    = 5_000_000
)

// password is the one loadgen's accounts use; it satisfies the policy.
const password = "copper-Falcon-73-umbrella-sky"

// options are the command-line settings.
type options struct {
	base        *url.URL
	duration    time.Duration
	concurrency int
	maxRequests int
	mix         []weighted
	comparePath string
	accounts    int
	timeout     time.Duration
	handler     string   // binary to start, or ""
	seed        string   // price files to ingest, or ""
	handlerEnv  []string // extra settings for the started handler
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// weighted is one route of the mix and its share.
type weighted struct {
	route  string
	weight int
}

// routeNames are the routes loadgen knows, in report order.
var routeNames = []string{"compare", "me", "login", "register"}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "", "handler base URL; must be a loopback address (http://127.0.0.1:PORT); or use -handler")
	handler := fs.String("handler", "", "handler binary to start against a fresh in-memory Azurite (instead of -url)")
	seed := fs.String("seed", "", "with -handler: a directory of CMS price files to ingest before the run")
	var handlerEnv multiFlag
	fs.Var(&handlerEnv, "handler-env", "with -handler: NAME=VALUE setting for the handler (repeatable), e.g. PRICELINE_SESSION_CACHE_TTL=1s")
	duration := fs.Duration("duration", 60*time.Second, "how long to send traffic (at most 10m)")
	concurrency := fs.Int("concurrency", 16, "concurrent clients (at most 256)")
	maxReq := fs.Int("max-requests", 1_000_000, "stop after this many requests (at most 5,000,000)")
	mix := fs.String("mix", "compare=70,me=20,login=8,register=2", "route weights: compare, me, login, register")
	compare := fs.String("compare-path", "/api/prices/compare?code=70551&codeType=CPT", "path and query of the comparison request")
	accounts := fs.Int("accounts", 8, "accounts registered up front for login and /api/me")
	timeout := fs.Duration("timeout", 15*time.Second, "per-request timeout; a request that takes longer is an error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o := &options{duration: *duration, concurrency: *concurrency, maxRequests: *maxReq, comparePath: *compare, accounts: *accounts, timeout: *timeout,
		handler: *handler, seed: *seed, handlerEnv: handlerEnv}
	if (*handler == "") == (*rawURL == "") {
		return nil, errors.New("give either -url or -handler")
	}
	if *handler != "" {
		*rawURL = "http://127.0.0.1:1" // replaced once the handler listens
	}
	for _, kv := range handlerEnv {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			return nil, fmt.Errorf("-handler-env %q: want NAME=VALUE", kv)
		}
	}
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("-url %q: want http://127.0.0.1:PORT", *rawURL)
	}
	if !loopback(u.Hostname()) {
		return nil, fmt.Errorf("-url %q: loadgen only sends traffic to loopback addresses", *rawURL)
	}
	u.Path = ""
	o.base = u
	switch {
	case o.duration <= 0 || o.duration > maxDuration:
		return nil, fmt.Errorf("-duration %s: want more than 0 and at most %s", o.duration, maxDuration)
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return nil, fmt.Errorf("-concurrency %d: want 1 to %d", o.concurrency, maxConcurrency)
	case o.maxRequests < 1 || o.maxRequests > maxRequests:
		return nil, fmt.Errorf("-max-requests %d: want 1 to %d", o.maxRequests, maxRequests)
	case o.accounts < 1 || o.accounts > 1000:
		return nil, fmt.Errorf("-accounts %d: want 1 to 1000", o.accounts)
	case o.timeout <= 0:
		return nil, fmt.Errorf("-timeout %s: want more than 0", o.timeout)
	case !strings.HasPrefix(o.comparePath, "/"):
		return nil, fmt.Errorf("-compare-path %q: want a path starting with /", o.comparePath)
	}
	if o.mix, err = parseMix(*mix); err != nil {
		return nil, err
	}
	return o, nil
}

// loopback reports whether host names this machine only.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseMix reads "compare=70,me=20,login=8,register=2".
func parseMix(s string) ([]weighted, error) {
	var out []weighted
	seen := map[string]bool{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 || !slices.Contains(routeNames, name) || seen[name] {
			return nil, fmt.Errorf("-mix %q: want route=weight pairs over %s, each once, weights >= 0", s, strings.Join(routeNames, ", "))
		}
		seen[name] = true
		if n > 0 {
			out = append(out, weighted{name, n})
			total += n
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("-mix %q: all weights are zero", s)
	}
	return out, nil
}

// pick chooses a route by weight.
func pick(mix []weighted, r *rand.Rand) string {
	total := 0
	for _, w := range mix {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range mix {
		if n < w.weight {
			return w.route
		}
		n -= w.weight
	}
	return mix[len(mix)-1].route
}

// account is a registered user and, once signed in, a session.
type account struct {
	email  string
	cookie string
}

// result is one request's outcome.
type result struct {
	route   string
	status  int
	code    string // the JSON error code, for unexpected answers
	latency time.Duration
	err     error
}

// expected is the one good status of each route.
var expected = map[string]int{"compare": 200, "me": 200, "login": 200, "register": 201}

// client sends loadgen's requests.
type client struct {
	base    string
	http    *http.Client
	compare string
	runID   string
	seq     atomic.Int64 // numbers the registrations of this run
}

func (c *client) send(ctx context.Context, method, path string, body any, cookie string) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		// The cookie is __Host- and Secure, so it is set by hand over
		// loopback HTTP.
		req.AddCookie(&http.Cookie{Name: "__Host-session", Value: cookie})
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

func (c *client) register(ctx context.Context) (string, int, []byte, error) {
	email := fmt.Sprintf("loadgen-%s-%d@example.com", c.runID, c.seq.Add(1))
	status, b, _, err := c.send(ctx, "POST", "/api/register", map[string]string{"email": email, "password": password, "name": "Load Generator"}, "")
	return email, status, b, err
}

func (c *client) login(ctx context.Context, email string) (string, int, []byte, error) {
	status, b, h, err := c.send(ctx, "POST", "/api/login", map[string]string{"email": email, "password": password}, "")
	if err != nil || status != http.StatusOK {
		return "", status, b, err
	}
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if ck.Name == "__Host-session" {
			return ck.Value, status, b, nil
		}
	}
	return "", status, b, errors.New("login answered 200 without a session cookie")
}

// errorCode extracts "error.code" from a JSON error body.
func errorCode(b []byte) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	return e.Error.Code
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "loadgen:", err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.handler != "" {
		local, err := startLocal(ctx, o, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
		defer local.stop()
		o.base = local.url
	}

	c := &client{
		base:    o.base.String(),
		compare: o.comparePath,
		runID:   strconv.FormatInt(time.Now().UnixNano(), 36),
		http: &http.Client{Timeout: o.timeout, Transport: &http.Transport{
			MaxIdleConns: o.concurrency * 2, MaxIdleConnsPerHost: o.concurrency * 2, IdleConnTimeout: 30 * time.Second,
		}},
	}
	accounts, err := setup(ctx, c, o)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen: setup:", err)
		return 2
	}
	fmt.Fprintf(stdout, "loadgen: %s for %s at concurrency %d (at most %d requests); mix %s\n",
		c.base, o.duration, o.concurrency, o.maxRequests, mixString(o.mix))

	start := time.Now()
	results := drive(ctx, c, o, accounts)
	return report(stdout, results, time.Since(start))
}

func mixString(mix []weighted) string {
	parts := make([]string, len(mix))
	for i, w := range mix {
		parts[i] = fmt.Sprintf("%s=%d", w.route, w.weight)
	}
	return strings.Join(parts, ",")
}

// setup registers and signs in the accounts, and checks once that the
// comparison route answers, so that a missing route or seed data is one
// clear message rather than a wall of errors.
func setup(ctx context.Context, c *client, o *options) ([]*account, error) {
	uses := map[string]bool{}
	for _, w := range o.mix {
		uses[w.route] = true
	}
	if uses["compare"] {
		status, b, _, err := c.send(ctx, "GET", c.compare, nil, "")
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", c.compare, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET %s answered %d %s; is the route wired and the sample data ingested? (or leave compare out of -mix)", c.compare, status, bytes.TrimSpace(b))
		}
	}
	var accounts []*account
	if !uses["login"] && !uses["me"] {
		return nil, nil
	}
	for range o.accounts {
		email, status, b, err := c.register(ctx)
		if err != nil || status != http.StatusCreated {
			return nil, fmt.Errorf("register: %d %s %v", status, bytes.TrimSpace(b), err)
		}
		cookie, status, b, err := c.login(ctx, email)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("login: %d %s %v", status, bytes.TrimSpace(b), err)
		}
		accounts = append(accounts, &account{email: email, cookie: cookie})
	}
	return accounts, nil
}

// drive runs the closed loop: each worker sends its next request as soon as
// the last one is answered, until the time or the request budget is spent.
func drive(ctx context.Context, c *client, o *options, accounts []*account) []result {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var budget sync.Mutex
	sent := 0
	take := func() bool {
		budget.Lock()
		defer budget.Unlock()
		if sent >= o.maxRequests {
			return false
		}
		sent++
		return true
	}
	per := make([][]result, o.concurrency)
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil && take() {
				route := pick(o.mix, rng)
				start := time.Now()
				// Requests are not cancelled by the end of the run: one cut
				// off mid-flight would count as an error that is not the
				// service's.
				status, body, err := c.one(context.WithoutCancel(ctx), route, accounts, rng)
				r := result{route: route, status: status, latency: time.Since(start), err: err}
				if err == nil && status != expected[route] {
					r.code = errorCode(body)
				}
				per[w] = append(per[w], r)
			}
		}()
	}
	wg.Wait()
	var all []result
	for _, rs := range per {
		all = append(all, rs...)
	}
	return all
}

// one sends one request of the route.
func (c *client) one(ctx context.Context, route string, accounts []*account, rng *rand.Rand) (int, []byte, error) {
	switch route {
	case "compare":
		status, b, _, err := c.send(ctx, "GET", c.compare, nil, "")
		return status, b, err
	case "me":
		a := accounts[rng.IntN(len(accounts))]
		status, b, _, err := c.send(ctx, "GET", "/api/me", nil, a.cookie)
		return status, b, err
	case "login":
		// A fresh login on one of the accounts; its earlier sessions stay
		// valid (sessions are not limited), so /api/me keeps its cookie.
		a := accounts[rng.IntN(len(accounts))]
		_, status, b, err := c.login(ctx, a.email)
		return status, b, err
	default:
		_, status, b, err := c.register(ctx)
		return status, b, err
	}
}

// report prints the table and the unexpected answers, and returns the exit
// code: 0 when every answer was the expected one.
func report(w io.Writer, results []result, elapsed time.Duration) int {
	byRoute := map[string][]time.Duration{}
	unexpected := map[string]int{}
	var examples []string
	for _, r := range results {
		byRoute[r.route] = append(byRoute[r.route], r.latency)
		if r.err != nil || r.status != expected[r.route] {
			key := fmt.Sprintf("%s: %d %s", r.route, r.status, r.code)
			if r.err != nil {
				key = fmt.Sprintf("%s: transport error", r.route)
				if len(examples) < 5 {
					examples = append(examples, fmt.Sprintf("%s: %v", r.route, r.err))
				}
			}
			unexpected[key]++
		}
	}
	secs := elapsed.Seconds()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tunexpected\t")
	all := make([]time.Duration, 0, len(results))
	for _, name := range routeNames {
		lat := byRoute[name]
		if len(lat) == 0 {
			continue
		}
		all = append(all, lat...)
		bad := 0
		for k, n := range unexpected {
			if strings.HasPrefix(k, name+":") {
				bad += n
			}
		}
		printRow(tw, name, lat, secs, bad)
	}
	bad := 0
	for _, n := range unexpected {
		bad += n
	}
	printRow(tw, "all", all, secs, bad)
	tw.Flush()
	if bad == 0 {
		fmt.Fprintln(w, "unexpected answers: none")
		return 0
	}
	keys := make([]string, 0, len(unexpected))
	for k := range unexpected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "unexpected answers: %d\n", bad)
	for _, k := range keys {
		fmt.Fprintf(w, "  %6d  %s\n", unexpected[k], k)
	}
	for _, e := range examples {
		fmt.Fprintf(w, "  e.g. %s\n", e)
	}
	return 1
}

func printRow(w io.Writer, name string, lat []time.Duration, secs float64, bad int) {
	slices.Sort(lat)
	ms := func(q float64) string {
		i := int(q * float64(len(lat)-1))
		return strconv.FormatFloat(float64(lat[i].Microseconds())/1000, 'f', 1, 64)
	}
	fmt.Fprintf(w, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", name, len(lat), float64(len(lat))/secs, ms(0.5), ms(0.9), ms(0.99), ms(1), bad)
}
