package memstore

import (
	"context"
	"strconv"
	"sync"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Attempts is an in-memory priceline.AttemptStore.
type Attempts struct {
	// Fail, when set, is called with the method name before each call.
	Fail func(op string) error

	counter // Calls and Succeeded

	mu      sync.Mutex
	rows    map[string]priceline.Attempts
	version int
}

var _ priceline.AttemptStore = (*Attempts)(nil)

// NewAttempts returns an empty attempt store.
func NewAttempts() *Attempts { return &Attempts{} }

// Attempts returns the record for key, or a zero record.
func (m *Attempts) Attempts(_ context.Context, key string) (_ *priceline.Attempts, err error) {
	defer m.count("Attempts", &err)
	if err := hook(m.Fail, "Attempts"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.rows[key]
	if !ok {
		return &priceline.Attempts{Key: key}, nil
	}
	return &a, nil
}

// RecordFailure increments the count for key under the store's lock, so
// concurrent failures are all counted.
func (m *Attempts) RecordFailure(_ context.Context, key string, at time.Time) (_ *priceline.Attempts, err error) {
	defer m.count("RecordFailure", &err)
	if err := hook(m.Fail, "RecordFailure"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows == nil {
		m.rows = map[string]priceline.Attempts{}
	}
	a := m.rows[key]
	a.Key = key
	a.Failures++
	a.LastFailure = stored(at)
	m.version++
	a.Version = strconv.Itoa(m.version)
	m.rows[key] = a
	return &a, nil
}

// ResetAttempts clears the record for key.
func (m *Attempts) ResetAttempts(_ context.Context, key string) (err error) {
	defer m.count("ResetAttempts", &err)
	if err := hook(m.Fail, "ResetAttempts"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows, key)
	return nil
}
