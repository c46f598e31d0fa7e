package pricelinetest

import (
	"sync"
	"time"
)

// Clock is a clock a contract test moves by hand. A store under test must
// read the time from its Now method wherever the interface compares with
// "now" (expiries), so that the test can step past them.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock returns a clock at the current time, to millisecond precision.
func newClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Millisecond)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
