// Package backoff is the retry schedule of the background loads (the
// tables, the B2C client secret, the signing keys): after a failure wait
// First, doubling to Max, every wait spread by ±10 % so that instances
// started together do not retry together. The mail outbox keeps its own
// schedule: its waits are stored with each entry, not slept.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Doubling hands out the waits after consecutive failures: First, then
// twice as long each time up to Max.
type Doubling struct {
	First, Max time.Duration
	// Exact leaves the waits unjittered, as the signing keys' refresher has
	// always retried (its steady refreshes are jittered all the same).
	Exact bool
	next  time.Duration
}

// Failed returns the wait, jittered unless Exact, after one more failure.
func (d *Doubling) Failed() time.Duration {
	if d.next == 0 {
		d.next = d.First
	}
	wait := min(d.next, d.Max)
	d.next = min(2*d.next, d.Max)
	if d.Exact {
		return wait
	}
	return Jitter(wait)
}

// Reset starts the waits again from First, after a success.
func (d *Doubling) Reset() { d.next = 0 }

// Jitter spreads d by up to ±10 %.
func Jitter(d time.Duration) time.Duration {
	spread := d / 10
	if spread <= 0 {
		return d
	}
	return d - spread + rand.N(2*spread+1)
}

// Loop calls attempt after first (0: at once), then again after every,
// jittered, when it succeeded or after retry's next wait when it failed,
// until ctx ends. failed hears of each failure with the wait before the
// next attempt. With every 0 the loop ends at the first success.
func Loop(ctx context.Context, first, every time.Duration, retry *Doubling, attempt func(context.Context) error, failed func(err error, wait time.Duration)) {
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := attempt(ctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		switch {
		case err != nil:
			wait = retry.Failed()
			failed(err, wait)
		case every <= 0:
			return
		default:
			retry.Reset()
			wait = Jitter(every)
		}
		timer.Reset(wait)
	}
}
