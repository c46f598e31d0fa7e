package auth

import "time"

// Config holds the session policy. Zero values take the defaults in brackets.
type Config struct {
	IdleTimeout   time.Duration // [30m]
	Lifetime      time.Duration // [12h] absolute
	TouchInterval time.Duration // [1m] sliding refresh written at most this often
	// SessionCacheTTL lets this instance reuse a validated session record
	// for at most this long instead of reading it on every request [0 = off,
	// every request reads the store]. A session ended on another instance
	// is still honoured here for up to this long (docs/reliability.md).
	SessionCacheTTL time.Duration
	Throttle        ThrottlePolicy
}

// ThrottlePolicy sets the login throttles described in the package doc.
type ThrottlePolicy struct {
	Account Limit // per normalised email [5 free, 1s, 15m, lock at 100, forget after 24h]
	IP      Limit // per client address [50 free, 1s, 15m, no lock, forget after 24h]
	// Register counts every registration attempt per client address
	// [20 free, 1s, 15m, no lock, forget after 24h]: each one costs an
	// argon2id hash, and "email_taken" tells whether an address has an
	// account, so registration must not be free to repeat.
	Register Limit
	// Device counts failed logins made with a valid device cookie, in place
	// of the account counter [5 free, 1s, 15m, distrusted at 10, forget
	// after 24h]: at LockAt the cookie stops being trusted and the browser
	// is throttled like any other (see the package doc).
	Device Limit
	// CloudStart counts every start of a cloud sign-in or password reset
	// per client address [60 free, 1s, 10s, no lock, forget after 10m]:
	// each start stores a flow record until it expires, so an address can
	// keep at most about 60 + 60 of them alive at once.
	CloudStart Limit
}

// Limit is one throttle: some free failures, then an exponentially growing
// wait after each further failure, an optional hard lock, and a quiet period
// after which the failures are forgotten. Zero fields take the defaults of the
// counter the Limit is used for.
type Limit struct {
	FreeFailures int           // failures allowed without any wait
	BaseDelay    time.Duration // wait after the first failure past the free ones; doubles with each further one
	MaxDelay     time.Duration // longest wait between attempts
	LockAt       int           // consecutive failures after which every attempt is refused until forgotten; at most 100 for accounts; 0 = default (accounts 100, IPs never)
	ForgetAfter  time.Duration // failures are forgotten once the last one is this old
}

// nistMaxFailures is NIST SP 800-63B's limit on consecutive failed attempts
// on one account.
const nistMaxFailures = 100

const (
	defaultIdleTimeout   = 30 * time.Minute
	defaultLifetime      = 12 * time.Hour
	defaultTouchInterval = time.Minute
)

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.Lifetime <= 0 {
		c.Lifetime = defaultLifetime
	}
	if c.TouchInterval <= 0 {
		c.TouchInterval = defaultTouchInterval
	}
	c.Throttle.Account = c.Throttle.Account.withDefaults(Limit{
		FreeFailures: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute,
		LockAt: nistMaxFailures, ForgetAfter: 24 * time.Hour,
	})
	// Never let configuration loosen the NIST limit on accounts.
	if c.Throttle.Account.LockAt > nistMaxFailures {
		c.Throttle.Account.LockAt = nistMaxFailures
	}
	c.Throttle.IP = c.Throttle.IP.withDefaults(Limit{
		FreeFailures: 50, BaseDelay: time.Second, MaxDelay: 15 * time.Minute,
		ForgetAfter: 24 * time.Hour,
	})
	c.Throttle.Register = c.Throttle.Register.withDefaults(Limit{
		FreeFailures: 20, BaseDelay: time.Second, MaxDelay: 15 * time.Minute,
		ForgetAfter: 24 * time.Hour,
	})
	c.Throttle.Device = c.Throttle.Device.withDefaults(Limit{
		FreeFailures: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute,
		LockAt: 10, ForgetAfter: 24 * time.Hour,
	})
	c.Throttle.CloudStart = c.Throttle.CloudStart.withDefaults(Limit{
		FreeFailures: 60, BaseDelay: time.Second, MaxDelay: 10 * time.Second,
		ForgetAfter: 10 * time.Minute,
	})
	return c
}

func (l Limit) withDefaults(d Limit) Limit {
	if l.FreeFailures <= 0 {
		l.FreeFailures = d.FreeFailures
	}
	if l.BaseDelay <= 0 {
		l.BaseDelay = d.BaseDelay
	}
	if l.MaxDelay <= 0 {
		l.MaxDelay = d.MaxDelay
	}
	if l.MaxDelay < l.BaseDelay {
		l.MaxDelay = l.BaseDelay
	}
	if l.LockAt <= 0 {
		l.LockAt = d.LockAt
	}
	if l.ForgetAfter <= 0 {
		l.ForgetAfter = d.ForgetAfter
	}
	return l
}

// wait returns how long after now an attempt must wait given failures
// consecutive failures, the last at last, and whether the wait is the hard
// lock. Zero means the attempt may go ahead.
func (l Limit) wait(failures int, last, now time.Time) (time.Duration, bool) {
	if failures <= 0 || now.Sub(last) >= l.ForgetAfter {
		return 0, false
	}
	if l.LockAt > 0 && failures >= l.LockAt {
		return last.Add(l.ForgetAfter).Sub(now), true
	}
	if failures < l.FreeFailures {
		return 0, false
	}
	// Doubling stops at MaxDelay, so a large base can never overflow.
	delay := l.BaseDelay
	for k := l.FreeFailures; k < failures && delay < l.MaxDelay; k++ {
		delay *= 2
	}
	delay = min(delay, l.MaxDelay)
	if w := last.Add(delay).Sub(now); w > 0 {
		return w, false
	}
	return 0, false
}
