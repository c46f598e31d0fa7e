package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDoublingWaitsDoubleToMaxAndReset(t *testing.T) {
	d := &Doubling{First: time.Second, Max: 5 * time.Second}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		got := d.Failed()
		if got < want-want/10 || got > want+want/10 {
			t.Errorf("failure %d: wait %v, want %v ±10%%", i+1, got, want)
		}
	}
	d.Reset()
	if got := d.Failed(); got > time.Second+time.Second/10 {
		t.Errorf("after Reset: wait %v, want about First", got)
	}
}

func TestJitterStaysWithinTenPercent(t *testing.T) {
	for range 1000 {
		if got := Jitter(time.Second); got < 900*time.Millisecond || got > 1100*time.Millisecond {
			t.Fatalf("Jitter(1s) = %v", got)
		}
	}
	if got := Jitter(5); got != 5 {
		t.Errorf("Jitter(5ns) = %v, want 5ns (too small to spread)", got)
	}
}

func TestLoopRetriesUntilSuccessThenStopsWithoutInterval(t *testing.T) {
	calls, failures := 0, 0
	Loop(context.Background(), 0, 0, &Doubling{First: time.Millisecond, Max: 2 * time.Millisecond},
		func(context.Context) error {
			calls++
			if calls < 3 {
				return errors.New("not yet")
			}
			return nil
		},
		func(err error, wait time.Duration) { failures++ })
	if calls != 3 || failures != 2 {
		t.Errorf("calls %d, failures %d; want 3 and 2", calls, failures)
	}
}

func TestLoopEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	Loop(ctx, 0, time.Millisecond, &Doubling{First: time.Millisecond, Max: time.Millisecond},
		func(context.Context) error {
			calls++
			if calls == 5 {
				cancel()
			}
			return nil
		},
		func(error, time.Duration) { t.Error("no attempt failed") })
	if calls != 5 {
		t.Errorf("calls %d, want 5", calls)
	}
}
