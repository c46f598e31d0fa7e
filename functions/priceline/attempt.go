package priceline

import (
	"context"
	"time"
)

// Attempts is the attempt counter for one throttle key (an account, a client
// address, a device cookie, …).
type Attempts struct {
	Key         string
	Failures    int       // attempts counted since the last success, reset or quiet period
	LastFailure time.Time // when the last one was counted; zero when Failures is 0
	Version     string    // opaque store version (the ETag)
	// Previous is, on a record Reserve returned, the LastFailure the
	// reservation replaced, so that Release can put it back; never stored.
	Previous time.Time
}

// AttemptCheck decides, from a counter's record as it stands, whether one
// more attempt may be counted. A non-nil error refuses the attempt, and
// Reserve returns it unchanged.
type AttemptCheck func(current Attempts) error

// AttemptStore counts attempts where every instance can see them.
//
// Counting is reserve-then-check: an attempt is counted (Reserve) before the
// work it guards, under a condition on the very record the decision was made
// on, so a burst of parallel attempts on any number of instances gets
// distinct counts and no more attempts through than the check allows.
type AttemptStore interface {
	// Attempts returns the record for key, or a zero record (not an error)
	// when there is none.
	Attempts(ctx context.Context, key string) (*Attempts, error)
	// Reserve counts one attempt on key at time at, if check (nil: always)
	// allows it given the current record. The write is conditional on the
	// record check saw; when another writer got there first the record is
	// read and checked again. A record whose LastFailure is forgetAfter or
	// more before at counts as empty (forgetAfter 0: never). It returns the
	// record as written; LastFailure never moves backwards.
	Reserve(ctx context.Context, key string, at time.Time, forgetAfter time.Duration, check AttemptCheck) (*Attempts, error)
	// Release takes back one attempt Reserve counted (r is what Reserve
	// returned) because it turned out not to be a failure: the count drops
	// by one, and LastFailure goes back to r.Previous if nothing was counted
	// since. A count that reaches zero removes the record; a missing record
	// is fine.
	Release(ctx context.Context, r *Attempts) error
	// ResetAttempts clears the record for key; a missing record is fine.
	ResetAttempts(ctx context.Context, key string) error
}
