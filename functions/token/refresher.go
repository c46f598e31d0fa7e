package token

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hospitalpriceline/functions/internal/backoff"
	"hospitalpriceline/functions/priceline"
)

// DefaultRefreshInterval is used when Refresher.Interval is not set: short
// enough that disabling a key version revokes its cookies within minutes,
// long enough that the vault sees a handful of reads per instance per hour.
const DefaultRefreshInterval = 5 * time.Minute

// firstRetry is the first wait after a failed refresh; it doubles on each
// further failure, up to the interval.
const firstRetry = time.Second

// Refresher keeps a Keyring in step with a SecretSource.
type Refresher struct {
	Keys     *Keyring
	Source   priceline.SecretSource
	Name     string           // the secret that holds the signing-key versions
	Interval time.Duration    // between successful refreshes; DefaultRefreshInterval when zero
	Logger   *slog.Logger     // slog.Default when nil
	Now      func() time.Time // time.Now when nil
	// AttemptTimeout bounds each refresh Run makes (none when zero): a vault
	// that accepts connections and never answers must not stall the loop,
	// which would keep an instance without keys long after the vault is back.
	AttemptTimeout time.Duration

	mu        sync.Mutex
	status    RefreshStatus
	attempted bool
}

// RefreshStatus reports how the last refreshes went, for health checks.
type RefreshStatus struct {
	Loaded      bool      // the keyring holds keys (possibly from an earlier refresh)
	LastSuccess time.Time // zero until a refresh succeeds
	LastError   string    // the last refresh's error, "" after a success
	Versions    int       // enabled versions in the keyring
}

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Refresher) logger() *slog.Logger { return cmp.Or(r.Logger, slog.Default()) }

func (r *Refresher) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultRefreshInterval
}

// Refresh loads the key versions once. On error the keyring keeps its current
// keys, because refusing every session while the vault is briefly unreachable
// would be worse than honouring keys that were valid a few minutes ago.
func (r *Refresher) Refresh(ctx context.Context) error {
	err := r.load(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempted = true
	if err != nil {
		r.status.LastError = err.Error()
	} else {
		r.status.LastError = ""
		r.status.LastSuccess = r.now()
	}
	if r.Keys != nil {
		r.status.Loaded = r.Keys.Loaded()
		r.status.Versions = r.Keys.versions()
	}
	return err
}

func (r *Refresher) load(ctx context.Context) error {
	if r.Keys == nil || r.Source == nil || r.Name == "" {
		return errors.New("refresh signing keys: refresher needs Keys, Source and Name")
	}
	keys, err := r.Source.SigningKeys(ctx, r.Name)
	if err != nil {
		return fmt.Errorf("refresh signing keys %q: %w", r.Name, err)
	}
	if err := r.Keys.Set(keys); err != nil {
		return fmt.Errorf("refresh signing keys %q: %w", r.Name, err)
	}
	return nil
}

// Status returns a snapshot of the refresh state.
func (r *Refresher) Status() RefreshStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	if r.Keys != nil {
		s.Loaded = r.Keys.Loaded()
		s.Versions = r.Keys.versions()
	}
	return s
}

// Run refreshes every Interval, with jitter so that instances started together
// do not read the vault together, until ctx ends. After a failure it retries
// sooner, backing off up to Interval. If the keyring is empty it refreshes at
// once.
func (r *Refresher) Run(ctx context.Context) {
	interval := r.interval()
	first := backoff.Jitter(interval)
	if r.Keys == nil || !r.Keys.Loaded() {
		first = 0
	}
	backoff.Loop(ctx, first, interval, &backoff.Doubling{First: firstRetry, Max: interval, Exact: true}, r.attempt,
		func(err error, wait time.Duration) {
			r.logger().LogAttrs(ctx, slog.LevelWarn, "signing key refresh failed; keeping current keys",
				slog.String("secret", r.Name),
				slog.String("error", err.Error()),
				slog.Bool("loaded", r.Keys != nil && r.Keys.Loaded()),
				slog.Duration("retry_in", wait))
		})
}

// attempt is one Refresh within AttemptTimeout.
func (r *Refresher) attempt(ctx context.Context) error {
	if r.AttemptTimeout <= 0 {
		return r.Refresh(ctx)
	}
	c, cancel := context.WithTimeout(ctx, r.AttemptTimeout)
	defer cancel()
	return r.Refresh(c)
}

// Attempted reports whether a refresh has finished, successfully or not,
// so health can tell "still loading" from "failed".
func (r *Refresher) Attempted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempted
}
