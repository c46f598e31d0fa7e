package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// Passwords that satisfy the policy.
const (
	goodPassword  = "violet tuba marmalade 83"
	otherPassword = "quiet lantern gravel pond"
	wrongPassword = "granite pelican orbit 47"
)

// cheapParams keep argon2id fast in tests; the flows do not depend on cost.
var cheapParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// countingHasher counts the argon2id work the flows ask for.
type countingHasher struct {
	inner               *password.Hasher
	hash, verify, dummy atomic.Int64
}

func (h *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.hash.Add(1)
	return h.inner.Hash(ctx, pw)
}

func (h *countingHasher) Verify(ctx context.Context, pw, encoded string) (bool, bool, error) {
	h.verify.Add(1)
	return h.inner.Verify(ctx, pw, encoded)
}

func (h *countingHasher) VerifyDummy(ctx context.Context, pw string) error {
	h.dummy.Add(1)
	return h.inner.VerifyDummy(ctx, pw)
}

// verifications is how many password checks (real or dummy) were made.
func (h *countingHasher) verifications() int64 { return h.verify.Load() + h.dummy.Load() }

type testEnv struct {
	svc      *Service
	clock    *testClock
	users    *memstore.Users
	sessions *memstore.Sessions
	attempts *memstore.Attempts
	hasher   *countingHasher
	logs     *bytes.Buffer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	clock := newTestClock()
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "k1", Secret: bytes.Repeat([]byte{7}, 32), Enabled: true, Created: clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{
		clock:    clock,
		users:    &memstore.Users{Now: clock.Now},
		sessions: memstore.NewSessions(),
		attempts: memstore.NewAttempts(),
		hasher:   &countingHasher{inner: password.NewHasher(cheapParams, 4, 5*time.Second)},
		logs:     &bytes.Buffer{},
	}
	e.svc = &Service{
		Users:    e.users,
		Sessions: e.sessions,
		Attempts: e.attempts,
		Hasher:   e.hasher.inner,
		Policy:   password.DefaultPolicy(),
		Tokens:   &token.Codec{Keys: keys, Issuer: "https://test.example", Audience: "priceline-test", Now: clock.Now},
		Now:      clock.Now,
		Logger:   slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	e.svc.hashOverride = e.hasher
	return e
}

// register creates a local user with goodPassword.
func (e *testEnv) register(t *testing.T, email string) *priceline.User {
	t.Helper()
	u, err := e.svc.Register(context.Background(), email, goodPassword, "Ada Lovelace")
	if err != nil {
		t.Fatalf("Register(%q): %v", email, err)
	}
	return u
}

func (e *testEnv) login(t *testing.T, email string) *Result {
	t.Helper()
	r, err := e.svc.Login(context.Background(), email, goodPassword, Client{IP: "203.0.113.7", UserAgent: "test"})
	if err != nil {
		t.Fatalf("Login(%q): %v", email, err)
	}
	return r
}

// wantCode fails the test unless err is an *priceline.Error of kind and code.
func wantCode(t *testing.T, err error, kind, code string) *priceline.Error {
	t.Helper()
	var pe *priceline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want *priceline.Error %s/%s", err, kind, code)
	}
	if pe.Kind != kind || pe.Code != code {
		t.Fatalf("error = %s/%s (%v), want %s/%s", pe.Kind, pe.Code, err, kind, code)
	}
	if pe.Message == "" {
		t.Errorf("error %s has no message", code)
	}
	return pe
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.IdleTimeout != 30*time.Minute || c.Lifetime != 12*time.Hour || c.TouchInterval != time.Minute {
		t.Errorf("session defaults = %v/%v/%v, want 30m/12h/1m", c.IdleTimeout, c.Lifetime, c.TouchInterval)
	}
	want := Limit{FreeFailures: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, LockAt: 100, ForgetAfter: 24 * time.Hour}
	if c.Throttle.Account != want {
		t.Errorf("account limit = %+v, want %+v", c.Throttle.Account, want)
	}
	wantIP := Limit{FreeFailures: 50, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, ForgetAfter: 24 * time.Hour}
	if c.Throttle.IP != wantIP {
		t.Errorf("ip limit = %+v, want %+v", c.Throttle.IP, wantIP)
	}
	loose := Config{Throttle: ThrottlePolicy{Account: Limit{LockAt: 1000}}}.withDefaults()
	if loose.Throttle.Account.LockAt != 100 {
		t.Errorf("account LockAt 1000 became %d, want it clamped to 100", loose.Throttle.Account.LockAt)
	}
}

func TestLimitWait(t *testing.T) {
	l := Config{}.withDefaults().Throttle.Account
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		failures   int
		since      time.Duration
		want       time.Duration
		wantLocked bool
	}{
		{0, 0, 0, false},
		{4, 0, 0, false},
		{5, 0, time.Second, false},
		{5, time.Second, 0, false},
		{6, 0, 2 * time.Second, false},
		{7, time.Second, 3 * time.Second, false},
		{14, 0, 512 * time.Second, false},
		{15, 0, 15 * time.Minute, false},
		{99, 0, 15 * time.Minute, false},
		{99, 15 * time.Minute, 0, false},
		{100, 15 * time.Minute, 24*time.Hour - 15*time.Minute, true},
		{100, 24 * time.Hour, 0, false},
		{50, 24 * time.Hour, 0, false},
	}
	for _, tt := range tests {
		got, locked := l.wait(tt.failures, t0, t0.Add(tt.since))
		if got != tt.want || locked != tt.wantLocked {
			t.Errorf("wait(%d failures, %v ago) = %v, %v; want %v, %v", tt.failures, tt.since, got, locked, tt.want, tt.wantLocked)
		}
	}
	huge := Limit{FreeFailures: 1, BaseDelay: time.Hour, MaxDelay: 1000 * time.Hour, ForgetAfter: 10000 * time.Hour}
	if got, _ := huge.wait(90, t0, t0); got != 1000*time.Hour {
		t.Errorf("wait with a large base after many doublings = %v, want the 1000h maximum (no overflow)", got)
	}
}
