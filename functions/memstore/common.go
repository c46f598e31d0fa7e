package memstore

import (
	"strconv"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

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

// base is what every store here embeds: its Fail hook, the call counts,
// the lock over its data and the version counter, so a method names only
// its op.
type base struct {
	// Fail, when set, is called with the method name before each call; a
	// non-nil error it returns is the call's answer.
	Fail func(op string) error

	counter
	mu      sync.Mutex
	version int
}

// hook runs the store's Fail hook for op, if it has one.
func (b *base) hook(op string) error {
	if b.Fail == nil {
		return nil
	}
	return b.Fail(op)
}

// nextVersion returns a new ETag-like version; call it under the lock.
func (b *base) nextVersion() string {
	b.version++
	return `W/"` + strconv.Itoa(b.version) + `"`
}

// ifMatch is a conditional update, as the real stores' If-Match writes:
// the caller has read the stored record (readErr is the read's refusal) and
// changes it only when its version (*current) is still the one the caller
// read (*expected). Then both become a new version and write keeps the
// record; otherwise the answer is changed(). The caller holds the lock.
func (b *base) ifMatch(readErr error, current, expected *string, changed func() error, write func()) error {
	if readErr != nil {
		return readErr
	}
	if *current != *expected {
		return changed()
	}
	*current = b.nextVersion()
	*expected = *current
	write()
	return nil
}

// answer is the body of a counted method named op that returns a value:
// the Fail hook may refuse the call first; else f runs under the lock and
// its answer is the method's. Every method that holds the lock throughout
// goes through it (or run or do), so the hook, the lock and the count are
// written once.
func answer[T any](b *base, op string, f func() (T, error)) (v T, err error) {
	defer b.call(op, &err)()
	if err != nil {
		return v, err
	}
	return f()
}

// run is answer for a method that returns only an error.
func (b *base) run(op string, f func() error) error {
	_, err := answer(b, op, func() (struct{}, error) { return struct{}{}, f() })
	return err
}

// write is run for a write the domain checks first: invalid is the
// check's answer, nil when the record may be kept. Like the real stores,
// a refused write changes nothing.
func (b *base) write(op string, invalid error, f func() error) error {
	return b.run(op, func() error {
		if invalid != nil {
			return invalid
		}
		return f()
	})
}

// do is run for a method whose whole work is f and cannot fail.
func (b *base) do(op string, f func()) error {
	return b.run(op, func() error { f(); return nil })
}

// ensure returns m, or an empty map when m is nil, so a store's maps are
// made on first write.
func ensure[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

// call starts a counted method named op: it runs the Fail hook and, when
// the hook lets the call through, takes the lock. *err is the hook's
// answer, which the method returns at once when it is set. The func call
// returns is deferred: it unlocks and counts the call as ending with *err.
func (b *base) call(op string, err *error) func() {
	if *err = b.hook(op); *err != nil {
		return func() { b.count(op, err) }
	}
	b.mu.Lock()
	return func() {
		b.mu.Unlock()
		b.count(op, err)
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
