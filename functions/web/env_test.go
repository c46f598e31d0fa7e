package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/devmail"
	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/outbox"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/tablestorage"
	"hospitalpriceline/functions/token"
)

func TestMain(m *testing.M) { azurite.RunTests(m) }

// clock is a settable time source shared by the flows and the token codec.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testEnv is the real stack — web, auth, token, password and the Table
// Storage adapter — against Azurite, served by httptest.
type testEnv struct {
	t       *testing.T
	srv     *httptest.Server
	web     *Server
	tables  *tablestorage.Client
	keys    *token.Keyring
	clock   *clock
	key     []byte
	mailDir string      // the dev mail folder the env's messages land in
	logs    *logCapture // every log line of the env, checked for secrets at the end
}

const testOrigin = "http://localhost:7071"

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	az := azurite.Shared(t)
	prefix := "t" + randHex(t, 6)
	tables, err := tablestorage.NewFromConnectionString(az.ConnectionString(), tablestorage.Options{TablePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := tables.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now().Truncate(time.Second)}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "v1", Secret: key, Enabled: true, Created: clk.Now()}}); err != nil {
		t.Fatal(err)
	}
	// Cheap argon2id parameters: the cost is not what these tests are about.
	cheap := password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	logs := &logCapture{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mailDir := t.TempDir()
	mailer, err := devmail.New(mailDir, "priceline@localhost")
	if err != nil {
		t.Fatal(err)
	}
	sender := outbox.New(tables.Outbox(), mailer)
	sender.Logger = logger
	svc := &auth.Service{
		Users:         tables.Users(),
		Sessions:      tables.Sessions(),
		Attempts:      tables.Attempts(),
		Hasher:        password.NewHasher(cheap, 4, time.Second),
		Policy:        password.DefaultPolicy(),
		Tokens:        &token.Codec{Keys: keys, Issuer: testOrigin, Audience: testOrigin, Now: clk.Now},
		Now:           clk.Now,
		Logger:        logger,
		AccountTokens: tables.AccountTokens(),
		Saved:         tables.Saved(),
		Mail:          &auth.Mail{Outbox: sender, PublicURL: testOrigin},
		Events:        &auth.EventLog{Logger: logger, Key: key},
	}
	ws := &Server{
		Config: Config{PublicURL: testOrigin},
		Auth:   svc,
		Health: []HealthCheck{{Name: "tables", Check: tables.Ping}, {Name: "signingKeys", Check: func(context.Context) error {
			if !keys.Loaded() {
				return priceline.Errorf(priceline.KindUnavailable, "no_keys", "no keys")
			}
			return nil
		}}},
		Now:    clk.Now,
		Logger: logger,
	}
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	e := &testEnv{t: t, srv: srv, web: ws, tables: tables, keys: keys, clock: clk, key: key, mailDir: mailDir, logs: logs}
	t.Cleanup(func() {
		svc.WaitMail()
		logs.checkNoSecrets(t)
	})
	return e
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// response is what a test looks at.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (r *response) errorCode() string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// cookie returns the Set-Cookie for the session, or nil.
func (r *response) cookie() *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

// req describes one request.
type req struct {
	Method, Path string
	JSON         any    // encoded as the JSON body
	Raw          string // raw body, with ContentType
	ContentType  string
	Form         url.Values
	Cookie       string // session cookie value
	CSRF         string
	Header       map[string]string
}

func (e *testEnv) do(q req) *response {
	e.t.Helper()
	var body io.Reader
	ct := q.ContentType
	switch {
	case q.JSON != nil:
		b, err := json.Marshal(q.JSON)
		if err != nil {
			e.t.Fatal(err)
		}
		body, ct = strings.NewReader(string(b)), "application/json"
	case q.Form != nil:
		body, ct = strings.NewReader(q.Form.Encode()), "application/x-www-form-urlencoded"
	case q.Raw != "":
		body = strings.NewReader(q.Raw)
	}
	r, err := http.NewRequest(q.Method, e.srv.URL+q.Path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if q.Cookie != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: q.Cookie})
	}
	if q.CSRF != "" {
		r.Header.Set("X-CSRF-Token", q.CSRF)
	}
	for k, v := range q.Header {
		r.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, &out.JSON)
	}
	return out
}

const goodPassword = "purple-Tiger-42-bicycle"

// account is a registered, signed-in user.
type account struct {
	Email, Password, Cookie, CSRF, UserID string
}

func (e *testEnv) register(email string) {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/register", JSON: map[string]string{"email": email, "password": goodPassword, "name": "Pat Example"}})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
}

func (e *testEnv) login(email, pw string) *account {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": email, "password": pw}})
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	c := r.cookie()
	if c == nil {
		e.t.Fatal("login set no session cookie")
	}
	user := r.JSON["user"].(map[string]any)
	return &account{Email: email, Password: pw, Cookie: c.Value, CSRF: r.JSON["csrfToken"].(string), UserID: user["id"].(string)}
}

func (e *testEnv) signedIn(email string) *account {
	e.t.Helper()
	e.register(email)
	return e.login(email, goodPassword)
}

func (e *testEnv) me(a *account) *response {
	return e.do(req{Method: "GET", Path: "/api/me", Cookie: a.Cookie})
}
