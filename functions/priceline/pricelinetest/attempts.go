package pricelinetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// TestAttemptStore runs the AttemptStore contract against stores made by
// newStore.
func TestAttemptStore(t *testing.T, newStore func(t *testing.T) priceline.AttemptStore) {
	ctx := context.Background()

	t.Run("MissingIsZeroRecord", func(t *testing.T) {
		s := newStore(t)
		a, err := s.Attempts(ctx, "acct:nobody@example.com")
		if err != nil {
			t.Fatalf("Attempts: %v", err)
		}
		if a.Failures != 0 || !a.LastFailure.IsZero() {
			t.Errorf("Attempts(missing) = %+v; want zero", a)
		}
	})

	t.Run("RecordFailureIncrements", func(t *testing.T) {
		s := newStore(t)
		key := "acct:alice@example.com"
		for i := 1; i <= 3; i++ {
			a, err := s.RecordFailure(ctx, key, ms(time.Duration(i)*time.Second))
			if err != nil {
				t.Fatalf("RecordFailure #%d: %v", i, err)
			}
			if a.Failures != i {
				t.Errorf("RecordFailure #%d returned %d failures", i, a.Failures)
			}
		}
		a, err := s.Attempts(ctx, key)
		if err != nil {
			t.Fatalf("Attempts: %v", err)
		}
		if a.Failures != 3 || !a.LastFailure.Equal(ms(3*time.Second)) {
			t.Errorf("Attempts = %d at %v; want 3 at %v", a.Failures, a.LastFailure, ms(3*time.Second))
		}
		other, err := s.Attempts(ctx, "ip:192.0.2.1")
		if err != nil || other.Failures != 0 {
			t.Errorf("an unrelated key has %v, %v", other, err)
		}
	})

	t.Run("ConcurrentFailuresAllCounted", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		key := "acct:concurrent@example.com"
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.RecordFailure(ctx, key, ms(time.Duration(i)*time.Millisecond)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("RecordFailure: %v", err)
		}
		a, err := s.Attempts(ctx, key)
		if err != nil {
			t.Fatalf("Attempts: %v", err)
		}
		if a.Failures != n {
			t.Errorf("after %d concurrent failures the count is %d", n, a.Failures)
		}
	})

	t.Run("ResetClears", func(t *testing.T) {
		s := newStore(t)
		key := "ip:2001:db8::1"
		if _, err := s.RecordFailure(ctx, key, ms(0)); err != nil {
			t.Fatalf("RecordFailure: %v", err)
		}
		for i := range 2 {
			if err := s.ResetAttempts(ctx, key); err != nil {
				t.Fatalf("ResetAttempts #%d: %v", i+1, err)
			}
		}
		a, err := s.Attempts(ctx, key)
		if err != nil || a.Failures != 0 {
			t.Fatalf("after reset Attempts = %v, %v; want 0", a, err)
		}
		a, err = s.RecordFailure(ctx, key, ms(time.Second))
		if err != nil || a.Failures != 1 {
			t.Fatalf("RecordFailure after reset = %v, %v; want 1", a, err)
		}
	})

	t.Run("HostileKeysAreIndependent", func(t *testing.T) {
		s := newStore(t)
		i := 0
		for name, v := range hostileStrings() {
			i++
			key := "acct:" + v
			for range i % 3 {
				if _, err := s.RecordFailure(ctx, key, ms(0)); err != nil {
					t.Fatalf("%s: RecordFailure: %v", name, err)
				}
			}
			a, err := s.Attempts(ctx, key)
			if err != nil || a.Failures != i%3 {
				t.Fatalf("%s: Attempts = %v, %v; want %d", name, a, err, i%3)
			}
		}
	})
}
