package pricelinetest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// errRefused is what the contract's checks refuse with.
var errRefused = errors.New("refused by check")

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

	t.Run("ReserveIncrements", func(t *testing.T) {
		s := newStore(t)
		key := "acct:alice@example.com"
		for i := 1; i <= 3; i++ {
			a, err := s.Reserve(ctx, key, ms(time.Duration(i)*time.Second), 0, nil)
			if err != nil {
				t.Fatalf("Reserve #%d: %v", i, err)
			}
			if a.Failures != i || !a.LastFailure.Equal(ms(time.Duration(i)*time.Second)) || a.Version == "" {
				t.Errorf("Reserve #%d returned %+v", i, a)
			}
			if want := ms(time.Duration(i-1) * time.Second); i > 1 && !a.Previous.Equal(want) {
				t.Errorf("Reserve #%d: Previous = %v, want %v", i, a.Previous, want)
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

	t.Run("CheckSeesRecordAndRefusalWritesNothing", func(t *testing.T) {
		s := newStore(t)
		key := "ip:198.51.100.4"
		for i := range 2 {
			if _, err := s.Reserve(ctx, key, ms(time.Duration(i)*time.Second), 0, nil); err != nil {
				t.Fatalf("Reserve: %v", err)
			}
		}
		var seen priceline.Attempts
		_, err := s.Reserve(ctx, key, ms(5*time.Second), 0, func(cur priceline.Attempts) error {
			seen = cur
			return errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("Reserve with a refusing check = %v; want the check's error", err)
		}
		if seen.Failures != 2 || !seen.LastFailure.Equal(ms(time.Second)) {
			t.Errorf("check saw %+v; want 2 failures at %v", seen, ms(time.Second))
		}
		a, err := s.Attempts(ctx, key)
		if err != nil || a.Failures != 2 || !a.LastFailure.Equal(ms(time.Second)) {
			t.Errorf("after a refusal Attempts = %+v, %v; want it unchanged", a, err)
		}
	})

	t.Run("OldRecordIsForgotten", func(t *testing.T) {
		s := newStore(t)
		key := "acct:forget@example.com"
		for range 4 {
			if _, err := s.Reserve(ctx, key, ms(0), time.Hour, nil); err != nil {
				t.Fatalf("Reserve: %v", err)
			}
		}
		var seen priceline.Attempts
		a, err := s.Reserve(ctx, key, ms(time.Hour), time.Hour, func(cur priceline.Attempts) error { seen = cur; return nil })
		if err != nil {
			t.Fatalf("Reserve an hour later: %v", err)
		}
		if seen.Failures != 0 || a.Failures != 1 {
			t.Errorf("an hour later check saw %d and Reserve counted %d; want 0 and 1", seen.Failures, a.Failures)
		}
		a, err = s.Reserve(ctx, key, ms(time.Hour+time.Second), 0, nil)
		if err != nil || a.Failures != 2 {
			t.Errorf("Reserve without forgetting = %+v, %v; want 2", a, err)
		}
	})

	t.Run("LastFailureNeverMovesBack", func(t *testing.T) {
		s := newStore(t)
		key := "ip:198.51.100.5"
		if _, err := s.Reserve(ctx, key, ms(time.Minute), 0, nil); err != nil {
			t.Fatal(err)
		}
		// Another instance whose clock is behind.
		a, err := s.Reserve(ctx, key, ms(0), 0, nil)
		if err != nil || a.Failures != 2 || !a.LastFailure.Equal(ms(time.Minute)) {
			t.Errorf("Reserve with an earlier clock = %+v, %v; want 2 at %v", a, err, ms(time.Minute))
		}
	})

	t.Run("ConcurrentReservationsGetDistinctCounts", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		key := "acct:concurrent@example.com"
		counts := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				a, err := s.Reserve(ctx, key, ms(time.Duration(i)*time.Millisecond), 0, nil)
				if err != nil {
					t.Errorf("Reserve: %v", err)
					return
				}
				counts <- a.Failures
			})
		}
		wg.Wait()
		close(counts)
		var got []int
		for c := range counts {
			got = append(got, c)
		}
		sort.Ints(got)
		for i, c := range got {
			if c != i+1 {
				t.Fatalf("%d concurrent reservations got counts %v; want 1..%d, each once", n, got, n)
			}
		}
		a, err := s.Attempts(ctx, key)
		if err != nil || a.Failures != n {
			t.Errorf("after %d concurrent reservations Attempts = %v, %v", n, a, err)
		}
	})

	t.Run("ConcurrentReservationsNeverPassTheCheck", func(t *testing.T) {
		s := newStore(t)
		const n, limit = 24, 5
		key := "ip:203.0.113.50"
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed, refused := 0, 0
		for i := range n {
			wg.Go(func() {
				_, err := s.Reserve(ctx, key, ms(time.Duration(i)*time.Millisecond), 0, func(cur priceline.Attempts) error {
					if cur.Failures >= limit {
						return errRefused
					}
					return nil
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					passed++
				case errors.Is(err, errRefused):
					refused++
				default:
					t.Errorf("Reserve: %v", err)
				}
			})
		}
		wg.Wait()
		if passed != limit || refused != n-limit {
			t.Errorf("%d concurrent reservations under a limit of %d: %d passed, %d refused", n, limit, passed, refused)
		}
	})

	t.Run("ReleaseTakesBack", func(t *testing.T) {
		s := newStore(t)
		key := "ip:192.0.2.77"
		first, err := s.Reserve(ctx, key, ms(0), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.Reserve(ctx, key, ms(time.Minute), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Nothing counted since: LastFailure goes back too.
		if err := s.Release(ctx, second); err != nil {
			t.Fatalf("Release: %v", err)
		}
		a, err := s.Attempts(ctx, key)
		if err != nil || a.Failures != 1 || !a.LastFailure.Equal(ms(0)) {
			t.Errorf("after Release Attempts = %+v, %v; want 1 at %v", a, err, ms(0))
		}
		// Counted since: only the count drops.
		if _, err := s.Reserve(ctx, key, ms(2*time.Minute), 0, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, first); err != nil {
			t.Fatalf("Release: %v", err)
		}
		a, err = s.Attempts(ctx, key)
		if err != nil || a.Failures != 1 || !a.LastFailure.Equal(ms(2*time.Minute)) {
			t.Errorf("after a stale Release Attempts = %+v, %v; want 1 at %v", a, err, ms(2*time.Minute))
		}
		// The last one removes the record; releasing more is harmless.
		for range 2 {
			if err := s.Release(ctx, first); err != nil {
				t.Fatalf("Release: %v", err)
			}
		}
		a, err = s.Attempts(ctx, key)
		if err != nil || a.Failures != 0 || !a.LastFailure.IsZero() {
			t.Errorf("after releasing everything Attempts = %+v, %v; want a zero record", a, err)
		}
	})

	t.Run("ResetClears", func(t *testing.T) {
		s := newStore(t)
		key := "ip:2001:db8::1"
		if _, err := s.Reserve(ctx, key, ms(0), 0, nil); err != nil {
			t.Fatalf("Reserve: %v", err)
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
		a, err = s.Reserve(ctx, key, ms(time.Second), 0, nil)
		if err != nil || a.Failures != 1 {
			t.Fatalf("Reserve after reset = %v, %v; want 1", a, err)
		}
	})

	t.Run("HostileKeysAreIndependent", func(t *testing.T) {
		s := newStore(t)
		i := 0
		for name, v := range hostileStrings() {
			i++
			key := "acct:" + v
			for range i % 3 {
				if _, err := s.Reserve(ctx, key, ms(0), 0, nil); err != nil {
					t.Fatalf("%s: Reserve: %v", name, err)
				}
			}
			a, err := s.Attempts(ctx, key)
			if err != nil || a.Failures != i%3 {
				t.Fatalf("%s: Attempts = %v, %v; want %d", name, a, err, i%3)
			}
		}
	})
}
