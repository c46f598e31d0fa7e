package token

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// fakeSource is a SecretSource whose answers the test sets.
type fakeSource struct {
	mu    sync.Mutex
	keys  []priceline.SigningKey
	err   error
	calls int
}

func (f *fakeSource) SigningKeys(ctx context.Context, name string) ([]priceline.SigningKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return f.keys, nil
}

func (f *fakeSource) Secret(ctx context.Context, name string) (string, error) {
	return "", errors.New("not used")
}

func (f *fakeSource) set(keys []priceline.SigningKey, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys, f.err = keys, err
}

func (f *fakeSource) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRefresherLoadsKeys(t *testing.T) {
	src := &fakeSource{keys: []priceline.SigningKey{{Version: "v2", Secret: secret(2), Enabled: true}, {Version: "v1", Secret: secret(1), Enabled: true}}}
	r := &Refresher{Keys: NewKeyring(), Source: src, Name: "session-signing", Logger: quietLogger(), Now: func() time.Time { return testNow }}
	if st := r.Status(); st.Loaded || st.Versions != 0 {
		t.Errorf("status before refresh = %+v", st)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := RefreshStatus{Loaded: true, LastSuccess: testNow, Versions: 2}
	if st := r.Status(); st != want {
		t.Errorf("Status() = %+v, want %+v", st, want)
	}
	if s, _ := r.Keys.Signing(); s.Version != "v2" {
		t.Errorf("signing version = %q, want v2", s.Version)
	}
}

func TestRefresherKeepsKeysWhenSourceFails(t *testing.T) {
	src := &fakeSource{keys: []priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true}}}
	now := testNow
	r := &Refresher{Keys: NewKeyring(), Source: src, Name: "session-signing", Logger: quietLogger(), Now: func() time.Time { return now }}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	down := priceline.Wrap(errors.New("connection refused"), priceline.KindUnavailable, "keyvault_unavailable", "down")
	src.set(nil, down)
	now = testNow.Add(time.Minute)
	err := r.Refresh(context.Background())
	if !errors.Is(err, down) || priceline.ErrorCode(err) != "keyvault_unavailable" {
		t.Fatalf("Refresh error = %v, want the source's error wrapped", err)
	}
	st := r.Status()
	if !st.Loaded || st.Versions != 1 || !st.LastSuccess.Equal(testNow) || !strings.Contains(st.LastError, "connection refused") {
		t.Errorf("Status() = %+v, want loaded with the old success time and the error", st)
	}
	if s, ok := r.Keys.Signing(); !ok || s.Version != "v1" {
		t.Errorf("signing key after failure = %q, %v; want v1 kept", s.Version, ok)
	}

	// A set the keyring rejects is a failure too, and keeps the keys.
	src.set([]priceline.SigningKey{{Version: "v2", Secret: []byte("too short"), Enabled: true}}, nil)
	if err := r.Refresh(context.Background()); err == nil {
		t.Fatal("Refresh accepted a short key")
	}
	if s, _ := r.Keys.Signing(); s.Version != "v1" {
		t.Errorf("signing key after rejected set = %q, want v1", s.Version)
	}

	// Recovery clears the error.
	src.set([]priceline.SigningKey{{Version: "v2", Secret: secret(2), Enabled: true}}, nil)
	now = testNow.Add(2 * time.Minute)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Status(); st.LastError != "" || !st.LastSuccess.Equal(now) {
		t.Errorf("Status() after recovery = %+v", st)
	}
}

func TestRefresherFailsWithoutConfiguration(t *testing.T) {
	r := &Refresher{Logger: quietLogger()}
	if err := r.Refresh(context.Background()); err == nil {
		t.Error("Refresh with no Keys, Source or Name succeeded")
	}
	if st := r.Status(); st.LastError == "" {
		t.Error("Status does not report the configuration error")
	}
}

func TestRefresherRunLoadsAtOnceAndStopsWithContext(t *testing.T) {
	src := &fakeSource{keys: []priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true}}}
	r := &Refresher{Keys: NewKeyring(), Source: src, Name: "s", Interval: 20 * time.Millisecond, Logger: quietLogger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for src.count() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("Run made %d refreshes in 5s at a 20ms interval", src.count())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !r.Keys.Loaded() {
		t.Error("Run did not load the keyring")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRefresherRunRetriesAfterFailure(t *testing.T) {
	src := &fakeSource{err: errors.New("vault down")}
	r := &Refresher{Keys: NewKeyring(), Source: src, Name: "s", Interval: 30 * time.Millisecond, Logger: quietLogger()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for src.count() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not retry after a failure")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := r.Status(); st.Loaded || !strings.Contains(st.LastError, "vault down") {
		t.Errorf("Status() = %+v, want not loaded with the error", st)
	}
	src.set([]priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true}}, nil)
	for !r.Keys.Loaded() {
		if time.Now().After(deadline) {
			t.Fatal("Run did not recover")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
