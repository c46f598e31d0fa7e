package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// accountKey is the counter key of a normalised email, or "" when the email
// is not valid: no account can have it, and bounding what reaches the store
// keeps an attacker from filling it with arbitrary keys.
func accountKey(email string) string {
	if priceline.ValidateEmail(email) != nil {
		return ""
	}
	return "acct:" + email
}

// ipKey is the counter key of a client address. IPv6 clients are counted by
// their /64, since one subscriber usually gets a whole /64.
//
// An empty, unparseable, loopback or unspecified address is not throttled
// by address (the account throttle still applies). Behind the Functions host
// every request arrives from loopback unless the forwarded client address is
// trusted, and counting them all as one client would let a few failed logins
// throttle every user; the misconfiguration is logged once instead.
func (s *Service) ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err == nil {
		addr = addr.Unmap().WithZone("")
	}
	if err != nil || addr.IsLoopback() || addr.IsUnspecified() {
		if s.warnedNoIP.CompareAndSwap(false, true) {
			s.log().Warn("login throttle: no usable client address, so only the per-account throttle applies; pass the real client address")
		}
		return ""
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + addr.String()
}

// counter is one throttle an attempt is counted on.
type counter struct {
	name  string // for logs: account, ip, device, register, cloud_start
	key   string // "" is not throttled
	limit Limit
	// reset: a success clears the counter (account, device) instead of
	// only taking its own attempt back (address).
	reset bool
}

// guessCounters are the counters a guess at one account's secret (its
// password, a second-factor code, a passkey) is counted on: the account's
// own, named name, with the account limits and cleared by a success (not
// counted when key is ""), and the client's address.
func (s *Service) guessCounters(name, key string, c Client) []counter {
	cfg := s.config().Throttle
	return []counter{
		{name: name, key: key, limit: cfg.Account, reset: true},
		{name: "ip", key: s.ipKey(c.IP), limit: cfg.IP},
	}
}

// noteThrottled records err in the security log as EventThrottled with
// reason when it refuses an attempt for coming too often; any other error
// is the caller's to handle.
func (s *Service) noteThrottled(ctx context.Context, err error, reason string, c Client, userID string) {
	if priceline.ErrorKind(err) == priceline.KindTooManyRequests {
		s.event(ctx, EventThrottled, OutcomeFailure, reason, c, userID)
	}
}

// throttled is a check's refusal: the attempt must wait.
type throttled struct {
	counter  string
	failures int
	wait     time.Duration
	locked   bool // the counter's hard lock (LockAt), not a delay
}

func (e *throttled) Error() string {
	return fmt.Sprintf("%s throttle: wait %s", e.counter, e.wait)
}

// reserveOne counts one attempt on c before the work it guards, unless c's
// limit refuses it (a *throttled error; nothing is then written, so refused
// attempts never lengthen a wait). The store makes the check and the count
// one conditional write, so parallel attempts on any number of instances
// get distinct counts. Within this instance, reservations on one key queue
// on a lock held only for the reservation (never for the hashing), so the
// store's conditional writes only ever race between instances.
func (s *Service) reserveOne(ctx context.Context, c counter, now time.Time) (*priceline.Attempts, error) {
	unlock, err := s.locks.lock(ctx, c.key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.Attempts.Reserve(ctx, c.key, now, c.limit.ForgetAfter, func(cur priceline.Attempts) error {
		if w, locked := c.limit.wait(cur.Failures, cur.LastFailure, now); w > 0 {
			return &throttled{counter: c.name, failures: cur.Failures, wait: w, locked: locked}
		}
		return nil
	})
}

// reservation is the attempts one request has counted. A failure needs
// nothing more (it was counted when reserved); a success or an undecided
// attempt settles them.
type reservation struct {
	s    *Service
	held []heldAttempt
}

type heldAttempt struct {
	c counter
	a *priceline.Attempts
}

// reserve counts one attempt on each counter with a key, all at once. If any
// refuses, the others are taken back and the attempt is refused with the
// longest wait (KindTooManyRequests "too_many_attempts"); a store failure
// takes them back too and is returned.
func (s *Service) reserve(ctx context.Context, counters []counter, now time.Time) (*reservation, error) {
	type outcome struct {
		a   *priceline.Attempts
		err error
	}
	out := make([]outcome, len(counters))
	var wg sync.WaitGroup
	for i, c := range counters {
		if c.key == "" {
			continue
		}
		wg.Go(func() {
			a, err := s.reserveOne(ctx, c, now)
			out[i] = outcome{a, err}
		})
	}
	wg.Wait()
	r := &reservation{s: s}
	var wait time.Duration
	var failed error
	for i, c := range counters {
		o := out[i]
		var th *throttled
		switch {
		case c.key == "":
		case o.err == nil:
			r.held = append(r.held, heldAttempt{c, o.a})
		case errors.As(o.err, &th):
			// Whether the account exists is never logged or reflected here.
			s.log().Info("attempt throttled", "counter", c.name, "failures", th.failures, "locked", th.locked, "retry_after", th.wait)
			wait = max(wait, th.wait)
		case failed == nil:
			failed = o.err
		}
	}
	if failed != nil || wait > 0 {
		r.cancel(ctx)
		if failed != nil {
			// Failing closed: an attempt we could not count is not made.
			return nil, fmt.Errorf("count attempt: %w", failed)
		}
		return nil, errTooManyAttempts(wait)
	}
	return r, nil
}

// succeeded settles a successful attempt: counters that a success clears
// are reset, the others get their attempt back. Failures are logged, not
// returned: the attempt did succeed, and a stale counter only means fewer
// free failures later.
func (r *reservation) succeeded(ctx context.Context) {
	r.settle(ctx, true)
}

// cancel takes every counted attempt back: the attempt was not decided (the
// store or the hasher failed, or another counter refused it), so it is
// neither a failure nor a success.
func (r *reservation) cancel(ctx context.Context) {
	r.settle(ctx, false)
}

func (r *reservation) settle(ctx context.Context, success bool) {
	if r == nil {
		return
	}
	// A client that hung up must not leave its attempt counted.
	ctx = context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, h := range r.held {
		wg.Go(func() {
			var err error
			if success && h.c.reset {
				err = r.s.Attempts.ResetAttempts(ctx, h.c.key)
			} else {
				err = r.s.Attempts.Release(ctx, h.a)
			}
			if err != nil {
				r.s.log().Warn("settle counted attempt", "counter", h.c.name, "success", success, "error", err)
			}
		})
	}
	wg.Wait()
}

// errTooManyAttempts is the refusal of a throttled attempt. RetryAfter is
// rounded up to whole seconds because that is what Retry-After carries.
func errTooManyAttempts(wait time.Duration) error {
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	retry := time.Duration(secs) * time.Second
	return &priceline.Error{
		Kind:       priceline.KindTooManyRequests,
		Code:       "too_many_attempts",
		Message:    fmt.Sprintf("Too many failed sign-in attempts. Please wait %s and try again.", humanWait(retry)),
		RetryAfter: retry,
	}
}

// humanWait says how long to wait, rounded up to a whole minute or hour
// (a wait rounded down would invite a retry that is refused again), in
// the words priceline.LifetimeText uses for link lifetimes.
func humanWait(d time.Duration) string {
	switch {
	case d < time.Minute:
		return priceline.LifetimeText(d.Truncate(time.Second))
	case d < time.Hour:
		return priceline.LifetimeText(roundUp(d, time.Minute))
	default:
		return priceline.LifetimeText(roundUp(d, time.Hour))
	}
}

// roundUp rounds d up to a whole number of units.
func roundUp(d, unit time.Duration) time.Duration { return (d + unit - 1) / unit * unit }

// keyLocks is a set of per-key mutexes that a waiter can abandon when its
// context ends. Entries exist only while someone holds or waits for them, so
// an attacker cycling through emails cannot grow it.
type keyLocks struct {
	mu      sync.Mutex
	entries map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

// lock takes the lock for key and returns its release. An empty key needs no
// lock.
func (l *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	if key == "" {
		return func() {}, nil
	}
	l.mu.Lock()
	if l.entries == nil {
		l.entries = make(map[string]*keyLock)
	}
	e := l.entries[key]
	if e == nil {
		e = &keyLock{ch: make(chan struct{}, 1)}
		l.entries[key] = e
	}
	e.refs++
	l.mu.Unlock()

	done := func() {
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.entries, key)
		}
		l.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, fmt.Errorf("wait for another attempt on the same counter: %w", ctx.Err())
	}
}
