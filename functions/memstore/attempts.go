package memstore

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Attempts returns the record for key, or a zero record.
func (m *Attempts) Attempts(_ context.Context, key string) (*priceline.Attempts, error) {
	return answer(&m.base, "Attempts", func() (*priceline.Attempts, error) {
		a := m.current(key)
		return &a, nil
	})
}

// current is the record for key, or a zero one: an absent key has had no
// failures. The caller holds the lock.
func (m *Attempts) current(key string) priceline.Attempts {
	if a, ok := m.rows[key]; ok {
		return a
	}
	return priceline.Attempts{Key: key}
}

// Reserve checks and counts under the store's lock, which makes the pair
// atomic as the Table store's conditional write does.
func (m *Attempts) Reserve(_ context.Context, key string, at time.Time, forgetAfter time.Duration, check priceline.AttemptCheck) (*priceline.Attempts, error) {
	return answer(&m.base, "Reserve", func() (*priceline.Attempts, error) {
		at = stored(at)
		cur := m.current(key)
		base := cur
		if forgetAfter > 0 && base.Failures > 0 && !at.Before(base.LastFailure.Add(forgetAfter)) {
			base.Failures, base.LastFailure = 0, time.Time{}
		}
		if check != nil {
			if err := check(base); err != nil {
				return nil, err
			}
		}
		a := priceline.Attempts{Key: key, Failures: base.Failures + 1, LastFailure: at}
		if at.Before(base.LastFailure) {
			a.LastFailure = base.LastFailure
		}
		a.Version = m.nextVersion()
		m.rows.put(key, a)
		a.Previous = cur.LastFailure
		return &a, nil
	})
}

// Release takes back one counted attempt.
func (m *Attempts) Release(_ context.Context, r *priceline.Attempts) error {
	return m.run("Release", func() error {
		cur, ok := m.rows[r.Key]
		if !ok || cur.Failures <= 0 {
			return nil
		}
		if cur.Failures == 1 {
			delete(m.rows, r.Key)
			return nil
		}
		untouched := cur.Version == r.Version
		cur.Failures--
		if untouched {
			cur.LastFailure = r.Previous
		}
		cur.Version = m.nextVersion()
		m.rows[r.Key] = cur
		return nil
	})
}

// ResetAttempts clears the record for key.
func (m *Attempts) ResetAttempts(_ context.Context, key string) error {
	return m.do("ResetAttempts", func() { delete(m.rows, key) })
}
