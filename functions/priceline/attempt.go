package priceline

import (
	"context"
	"time"
)

// Attempts is the failed-login record for one throttle key (an account or a
// client address).
type Attempts struct {
	Key         string
	Failures    int       // consecutive failures since the last success or reset
	LastFailure time.Time // zero when Failures is 0
	Version     string    // opaque store version
}

// AttemptStore counts failed logins where every instance can see them.
type AttemptStore interface {
	// Attempts returns the record for key, or a zero record (not an error)
	// when there is none.
	Attempts(ctx context.Context, key string) (*Attempts, error)
	// RecordFailure atomically increments the count for key (retrying on
	// concurrent updates) and returns the new record.
	RecordFailure(ctx context.Context, key string, at time.Time) (*Attempts, error)
	// ResetAttempts clears the record for key; a missing record is fine.
	ResetAttempts(ctx context.Context, key string) error
}
