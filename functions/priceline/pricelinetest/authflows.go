package pricelinetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

func newFlow(now time.Time) *priceline.AuthFlow {
	return &priceline.AuthFlow{
		ID:           priceline.NewToken(32),
		State:        "state-" + priceline.NewToken(16),
		Nonce:        "nonce-" + priceline.NewToken(16),
		PKCEVerifier: "verifier-" + priceline.NewToken(16),
		ReturnTo:     "/search?q=St%20Mary%27s",
		Policy:       "B2C_1_signupsignin",
		CreatedAt:    now,
		ExpiresAt:    now.Add(15 * time.Minute),
	}
}

// TestAuthFlowStore runs the AuthFlowStore contract against stores made by
// newStore, whose clock must be the wall clock.
func TestAuthFlowStore(t *testing.T, newStore func(t *testing.T) priceline.AuthFlowStore) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	t.Run("PutAndTake", func(t *testing.T) {
		s := newStore(t)
		f := newFlow(now)
		want := *f
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatalf("PutFlow: %v", err)
		}
		got, err := s.TakeFlow(ctx, f.ID)
		if err != nil {
			t.Fatalf("TakeFlow: %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("TakeFlow mismatch (-want, +got):\n%s", diff)
		}
	})

	// A re-authentication flow keeps its maximum age, action and user.
	t.Run("ReauthFieldsKept", func(t *testing.T) {
		s := newStore(t)
		f := newFlow(now)
		f.MaxAge, f.Action, f.UserID = priceline.ReauthMaxAge, "delete", priceline.NewUserID()
		want := *f
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatalf("PutFlow: %v", err)
		}
		got, err := s.TakeFlow(ctx, f.ID)
		if err != nil {
			t.Fatalf("TakeFlow: %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("TakeFlow mismatch (-want, +got):\n%s", diff)
		}
		bad := newFlow(now)
		bad.MaxAge = -time.Second
		if err := s.PutFlow(ctx, bad); priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Errorf("PutFlow with a negative max age: %v, want KindInvalid", err)
		}
	})

	// ASVS V10.1.2: a flow's state and nonce are single use.
	t.Run("ASVS_V10_1_2_TakenOnce", func(t *testing.T) {
		s := newStore(t)
		f := newFlow(now)
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatalf("PutFlow: %v", err)
		}
		if _, err := s.TakeFlow(ctx, f.ID); err != nil {
			t.Fatalf("first TakeFlow: %v", err)
		}
		_, err := s.TakeFlow(ctx, f.ID)
		wantKind(t, err, priceline.KindNotFound, "auth_flow_not_found")
	})

	t.Run("ASVS_V10_1_2_ConcurrentTakesOneWins", func(t *testing.T) {
		s := newStore(t)
		f := newFlow(now)
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatalf("PutFlow: %v", err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.TakeFlow(ctx, f.ID)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !priceline.IsNotFound(err):
				t.Errorf("TakeFlow: %v, want success or not found", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent takes got the flow; want exactly 1", won, n)
		}
	})

	t.Run("PutExistingIsConflict", func(t *testing.T) {
		s := newStore(t)
		f := newFlow(now)
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatalf("PutFlow: %v", err)
		}
		dup := newFlow(now)
		dup.ID = f.ID
		wantKind(t, s.PutFlow(ctx, dup), priceline.KindConflict, "auth_flow_exists")
		got, err := s.TakeFlow(ctx, f.ID)
		if err != nil || got.State != f.State {
			t.Fatalf("the original flow was overwritten: %+v, %v", got, err)
		}
	})

	t.Run("ExpiredIsRefusedAndGone", func(t *testing.T) {
		s := newStore(t)
		f := newFlow(now.Add(-time.Hour))
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatalf("PutFlow: %v", err)
		}
		_, err := s.TakeFlow(ctx, f.ID)
		wantKind(t, err, priceline.KindNotFound, "auth_flow_expired")
		_, err = s.TakeFlow(ctx, f.ID)
		wantKind(t, err, priceline.KindNotFound, "auth_flow_not_found")
	})

	t.Run("InvalidRefusedAndNothingWritten", func(t *testing.T) {
		s := newStore(t)
		for name, mutate := range map[string]func(f *priceline.AuthFlow){
			"short id":       func(f *priceline.AuthFlow) { f.ID = f.ID[:10] },
			"upper id":       func(f *priceline.AuthFlow) { f.ID = strings.ToUpper(f.ID) },
			"no state":       func(f *priceline.AuthFlow) { f.State = "" },
			"no nonce":       func(f *priceline.AuthFlow) { f.Nonce = "" },
			"no verifier":    func(f *priceline.AuthFlow) { f.PKCEVerifier = "" },
			"no expiry":      func(f *priceline.AuthFlow) { f.ExpiresAt = time.Time{} },
			"expiry first":   func(f *priceline.AuthFlow) { f.ExpiresAt = f.CreatedAt.Add(-time.Second) },
			"invalid utf-8":  func(f *priceline.AuthFlow) { f.ReturnTo = "/\xff" },
			"return too big": func(f *priceline.AuthFlow) { f.ReturnTo = "/" + strings.Repeat("a", 40*1024) },
		} {
			f := newFlow(now)
			mutate(f)
			wantKind(t, s.PutFlow(ctx, f), priceline.KindInvalid, "")
			if _, err := s.TakeFlow(ctx, f.ID); !priceline.IsNotFound(err) {
				t.Errorf("%s: the refused flow can be taken (err %v)", name, err)
			}
		}
		wantKind(t, s.PutFlow(ctx, nil), priceline.KindInvalid, "")
	})

	// The clean-up timer's sweep removes the flows expired at or before the
	// time it is given, and only those. The swept flows are still live by
	// the store's own clock, so finding them gone proves the sweep took them.
	t.Run("DeleteExpiredFlows", func(t *testing.T) {
		s := newStore(t)
		if n, err := s.DeleteExpiredFlows(ctx, now); err != nil || n != 0 {
			t.Fatalf("sweep of an empty store = %d, %v; want 0", n, err)
		}
		sweepAt := now.Add(2 * time.Minute)
		before, at, after := newFlow(now), newFlow(now), newFlow(now)
		before.ExpiresAt = sweepAt.Add(-time.Minute)
		at.ExpiresAt = sweepAt
		after.ExpiresAt = sweepAt.Add(time.Millisecond)
		for _, f := range []*priceline.AuthFlow{before, at, after} {
			if err := s.PutFlow(ctx, f); err != nil {
				t.Fatalf("PutFlow: %v", err)
			}
		}
		if n, err := s.DeleteExpiredFlows(ctx, sweepAt); err != nil || n != 2 {
			t.Fatalf("DeleteExpiredFlows = %d, %v; want the 2 expired at or before the sweep", n, err)
		}
		for name, f := range map[string]*priceline.AuthFlow{"expired before": before, "expired at": at} {
			if _, err := s.TakeFlow(ctx, f.ID); priceline.ErrorCode(err) != "auth_flow_not_found" {
				t.Errorf("flow %s the sweep: TakeFlow = %v, want auth_flow_not_found", name, err)
			}
		}
		if n, err := s.DeleteExpiredFlows(ctx, sweepAt); err != nil || n != 0 {
			t.Fatalf("second sweep = %d, %v; want 0", n, err)
		}
		got, err := s.TakeFlow(ctx, after.ID)
		if err != nil || got.State != after.State {
			t.Fatalf("the flow expiring after the sweep: %+v, %v", got, err)
		}
	})

	t.Run("HostileIDsAreNotFound", func(t *testing.T) {
		s := newStore(t)
		for name, id := range hostileStrings() {
			if _, err := s.TakeFlow(ctx, id); !priceline.IsNotFound(err) {
				t.Errorf("%s: TakeFlow = %v, want not found", name, err)
			}
		}
	})
}
