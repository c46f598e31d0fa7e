package memstore

import (
	"strconv"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// hook runs a store's Fail hook, if any.
func hook(fail func(op string) error, op string) error {
	if fail == nil {
		return nil
	}
	return fail(op)
}

// FailOn returns a Fail hook that makes the methods named in ops return
// err, or every method when ops is empty; the others run as usual.
func FailOn(err error, ops ...string) func(op string) error {
	return func(op string) error {
		if len(ops) == 0 {
			return err
		}
		for _, o := range ops {
			if o == op {
				return err
			}
		}
		return nil
	}
}

// counter counts, per method name, the calls a store has had and how many
// of them returned no error, so a test can tell how often the code above
// read or wrote without wrapping the store. The counts are kept under their
// own lock, apart from the store's data.
type counter struct {
	countMu   sync.Mutex
	calls, ok map[string]int
}

// count records one call to op that ended with *err; call's deferred func
// runs it, and the methods that cannot hold the lock throughout defer it
// themselves.
func (c *counter) count(op string, err *error) {
	c.countMu.Lock()
	defer c.countMu.Unlock()
	if c.calls == nil {
		c.calls, c.ok = map[string]int{}, map[string]int{}
	}
	c.calls[op]++
	if *err == nil {
		c.ok[op]++
	}
}

// Calls returns how many times the method named op has been called,
// including the calls that failed or that the Fail hook refused.
func (c *counter) Calls(op string) int {
	c.countMu.Lock()
	defer c.countMu.Unlock()
	return c.calls[op]
}

// Succeeded returns how many calls to the method named op returned no
// error: for a write, how many writes the store took.
func (c *counter) Succeeded(op string) int {
	c.countMu.Lock()
	defer c.countMu.Unlock()
	return c.ok[op]
}

// guarded is what every store here embeds: the call counts and the lock
// over the store's data.
type guarded struct {
	counter
	mu      sync.Mutex
	version int
}

// nextVersion returns a new ETag-like version; call it under the lock.
func (g *guarded) nextVersion() string {
	g.version++
	return `W/"` + strconv.Itoa(g.version) + `"`
}

// do is a counted method named op whose whole work is f, run under the lock.
func (g *guarded) do(fail func(op string) error, op string, f func()) (err error) {
	defer g.call(fail, op, &err)()
	if err != nil {
		return err
	}
	f()
	return nil
}

// ensure returns m, or an empty map when m is nil, so a store's maps are
// made on first write.
func ensure[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

// sweep deletes from m what expired says has expired at now and returns
// how many it deleted, as the real stores' clean-ups do.
func sweep[K comparable, V any](m map[K]V, now time.Time, expired func(*V, time.Time) bool) int {
	n := 0
	for k, v := range m {
		if expired(&v, now) {
			delete(m, k)
			n++
		}
	}
	return n
}

// call starts a counted method named op: it runs fail and, when fail lets
// the call through, takes the lock. *err is fail's answer, which the method
// returns at once when it is set. The func call returns is deferred: it
// unlocks and counts the call as ending with *err.
func (g *guarded) call(fail func(op string) error, op string, err *error) func() {
	if *err = hook(fail, op); *err != nil {
		return func() { g.count(op, err) }
	}
	g.mu.Lock()
	return func() {
		g.mu.Unlock()
		g.count(op, err)
	}
}

// clock returns now(), or the time when now is nil.
func clock(now func() time.Time) time.Time {
	if now == nil {
		return time.Now()
	}
	return now()
}

// stored is t as Table Storage keeps an Edm.DateTime: UTC, 100 ns steps.
func stored(t time.Time) time.Time { return t.UTC().Truncate(100 * time.Nanosecond) }

func validUserID(id string) bool    { return priceline.IsLowerHex(id, 32) }
func validSessionKey(k string) bool { return priceline.IsLowerHex(k, 64) }
