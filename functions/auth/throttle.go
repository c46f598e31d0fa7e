package auth

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// throttleKeys names the two AttemptStore counters of one attempt; an empty
// key is not throttled.
type throttleKeys struct {
	account string
	ip      string
}

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

// checkThrottle refuses the attempt, without touching the password, when
// either counter says it comes too early. It returns the account's stored
// failure count so that a success only writes a reset when there is one.
func (s *Service) checkThrottle(ctx context.Context, keys throttleKeys, now time.Time) (int, error) {
	cfg := s.config().Throttle
	counters := []struct {
		name, key string
		limit     Limit
	}{{"account", keys.account, cfg.Account}, {"ip", keys.ip, cfg.IP}}
	// Read both counters at once: two independent point reads.
	records := make([]*priceline.Attempts, len(counters))
	errs := make([]error, len(counters))
	var wg sync.WaitGroup
	for i, c := range counters {
		if c.key == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			records[i], errs[i] = s.Attempts.Attempts(ctx, c.key)
		}()
	}
	wg.Wait()
	var wait time.Duration
	accountFailures := 0
	for i, c := range counters {
		if c.key == "" {
			continue
		}
		a, err := records[i], errs[i]
		if err != nil {
			return 0, fmt.Errorf("read login attempts: %w", err)
		}
		if c.name == "account" {
			accountFailures = a.Failures
		}
		w, locked := c.limit.wait(a.Failures, a.LastFailure, now)
		if w > 0 {
			// Whether the account exists is never logged or reflected here.
			s.log().Info("login throttled", "counter", c.name, "failures", a.Failures, "locked", locked, "retry_after", w)
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return accountFailures, errTooManyAttempts(wait)
	}
	return accountFailures, nil
}

// recordFailure counts a failed attempt on both counters. A record whose last
// failure is older than ForgetAfter is cleared first, so that the count is of
// recent consecutive failures only.
func (s *Service) recordFailure(ctx context.Context, keys throttleKeys, now time.Time) error {
	cfg := s.config().Throttle
	for _, c := range []struct {
		key   string
		limit Limit
	}{{keys.account, cfg.Account}, {keys.ip, cfg.IP}} {
		if c.key == "" {
			continue
		}
		a, err := s.Attempts.Attempts(ctx, c.key)
		if err != nil {
			return fmt.Errorf("read login attempts: %w", err)
		}
		if a.Failures > 0 && now.Sub(a.LastFailure) >= c.limit.ForgetAfter {
			if err := s.Attempts.ResetAttempts(ctx, c.key); err != nil {
				return fmt.Errorf("forget old login failures: %w", err)
			}
		}
		if _, err := s.Attempts.RecordFailure(ctx, c.key, now); err != nil {
			return fmt.Errorf("record failed login: %w", err)
		}
	}
	return nil
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

func humanWait(d time.Duration) string {
	switch {
	case d < time.Minute:
		return plural(int(d/time.Second), "second")
	case d < time.Hour:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	default:
		return plural(int((d+time.Hour-1)/time.Hour), "hour")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

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
		return nil, fmt.Errorf("wait for login attempt on the same account: %w", ctx.Err())
	}
}
