package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// The tests run the flows over the shared in-memory stores of package
// memstore, which pass the same contract tests as the Table Storage adapter;
// this file holds the clock and the few ways the tests read those stores.

// testClock is a clock the tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// unavailable is the error a store returns while Table Storage is down.
func unavailable() error {
	return &priceline.Error{Kind: priceline.KindUnavailable, Code: "storage_unavailable", Message: "down", RetryAfter: time.Second}
}

// The UserStore methods that read and that write, for Fail hooks and counts.
var (
	userReadOps  = []string{"UserByID", "UserByEmail", "PasswordHint", "UserBySubject"}
	userWriteOps = []string{"CreateUser", "UpdatePasswordHash", "UpdateProfile", "RepairPasswordHint"}
)

// userWrites is how many writes were asked of the user store, refused ones
// included.
func (e *testEnv) userWrites() int {
	n := 0
	for _, op := range userWriteOps {
		n += e.users.Calls(op)
	}
	return n
}

// attemptWrites is how many writes were asked of the attempt store.
func (e *testEnv) attemptWrites() int {
	return e.attempts.Calls("Reserve") + e.attempts.Calls("Release") + e.attempts.Calls("ResetAttempts")
}

// sessionCount is how many session records the user has, expired ones
// included.
func (e *testEnv) sessionCount(t *testing.T, userID string) int {
	t.Helper()
	list, err := e.sessions.UserSessions(context.Background(), userID)
	if err != nil {
		t.Fatalf("UserSessions: %v", err)
	}
	return len(list)
}

// failures is the stored count of failed attempts under key.
func (e *testEnv) failures(t *testing.T, key string) int {
	t.Helper()
	a, err := e.attempts.Attempts(context.Background(), key)
	if err != nil {
		t.Fatalf("Attempts(%q): %v", key, err)
	}
	return a.Failures
}

// passwordHint is the copy of the hash kept in email's index.
func (e *testEnv) passwordHint(t *testing.T, email string) string {
	t.Helper()
	_, hash, err := e.users.PasswordHint(context.Background(), email)
	if err != nil {
		t.Fatalf("PasswordHint(%q): %v", email, err)
	}
	return hash
}
