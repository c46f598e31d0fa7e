package pricelinetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

func newEstimate(userID string, created time.Time) *priceline.SavedEstimate {
	return &priceline.SavedEstimate{
		ID: priceline.NewToken(16), UserID: userID, Code: "99213", CodeType: "CPT",
		HospitalID: priceline.NewToken(16), Payer: "Aetna", Plan: "PPO", Label: "Check-up", CreatedAt: created,
	}
}

// TestSavedStore runs the SavedStore contract against stores made by
// newStore.
func TestSavedStore(t *testing.T, newStore func(t *testing.T) priceline.SavedStore) {
	ctx := context.Background()

	t.Run("SaveListOldestFirst", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		var want []priceline.SavedEstimate
		for _, off := range []time.Duration{2 * time.Second, 0, time.Second} {
			e := newEstimate(user, ms(off))
			if err := s.SaveEstimate(ctx, e); err != nil {
				t.Fatalf("SaveEstimate: %v", err)
			}
			want = append(want, *e)
		}
		want = []priceline.SavedEstimate{want[1], want[2], want[0]}
		got, err := s.SavedEstimates(ctx, user)
		if err != nil {
			t.Fatalf("SavedEstimates: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SavedEstimates mismatch (-want, +got):\n%s", diff)
		}
		if other, err := s.SavedEstimates(ctx, priceline.NewUserID()); err != nil || len(other) != 0 {
			t.Errorf("another user's estimates = %v, %v; want none", other, err)
		}
	})

	t.Run("DeleteOwnOnly", func(t *testing.T) {
		s := newStore(t)
		user, other := priceline.NewUserID(), priceline.NewUserID()
		e := newEstimate(user, ms(0))
		if err := s.SaveEstimate(ctx, e); err != nil {
			t.Fatalf("SaveEstimate: %v", err)
		}
		wantKind(t, s.DeleteSavedEstimate(ctx, other, e.ID), priceline.KindNotFound, "saved_not_found")
		wantKind(t, s.DeleteSavedEstimate(ctx, user, priceline.NewToken(16)), priceline.KindNotFound, "saved_not_found")
		for _, bad := range []string{"", "' or 1 eq 1", e.ID + "0"} {
			wantKind(t, s.DeleteSavedEstimate(ctx, user, bad), priceline.KindNotFound, "saved_not_found")
		}
		if err := s.DeleteSavedEstimate(ctx, user, e.ID); err != nil {
			t.Fatalf("DeleteSavedEstimate: %v", err)
		}
		wantKind(t, s.DeleteSavedEstimate(ctx, user, e.ID), priceline.KindNotFound, "saved_not_found")
		if got, err := s.SavedEstimates(ctx, user); err != nil || len(got) != 0 {
			t.Errorf("after delete SavedEstimates = %v, %v; want none", got, err)
		}
	})

	t.Run("LimitHoldsUnderConcurrentSaves", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		const extra = 6
		var wg sync.WaitGroup
		errs := make([]error, priceline.MaxSavedEstimates+extra)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.SaveEstimate(ctx, newEstimate(user, ms(time.Duration(i)*time.Millisecond)))
			}()
		}
		wg.Wait()
		saved := 0
		for _, err := range errs {
			switch {
			case err == nil:
				saved++
			case priceline.ErrorCode(err) != "saved_limit":
				t.Errorf("SaveEstimate: %v, want success or saved_limit", err)
			}
		}
		got, err := s.SavedEstimates(ctx, user)
		if err != nil {
			t.Fatalf("SavedEstimates: %v", err)
		}
		if saved != priceline.MaxSavedEstimates || len(got) != priceline.MaxSavedEstimates {
			t.Fatalf("%d saves succeeded and %d are stored; want %d", saved, len(got), priceline.MaxSavedEstimates)
		}
		wantKind(t, s.SaveEstimate(ctx, newEstimate(user, ms(time.Hour))), priceline.KindConflict, "saved_limit")
		if err := s.DeleteSavedEstimate(ctx, user, got[0].ID); err != nil {
			t.Fatalf("DeleteSavedEstimate: %v", err)
		}
		if err := s.SaveEstimate(ctx, newEstimate(user, ms(time.Hour))); err != nil {
			t.Fatalf("SaveEstimate after a delete freed room: %v", err)
		}
	})

	t.Run("InvalidRefusedAndNothingWritten", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		for name, mutate := range map[string]func(e *priceline.SavedEstimate){
			"bad id":        func(e *priceline.SavedEstimate) { e.ID = "x" },
			"bad user":      func(e *priceline.SavedEstimate) { e.UserID = "' or 1 eq 1" },
			"no code":       func(e *priceline.SavedEstimate) { e.Code = " " },
			"bad code type": func(e *priceline.SavedEstimate) { e.CodeType = "C P T" },
			"bad hospital":  func(e *priceline.SavedEstimate) { e.HospitalID = "ABC" },
			"plan no payer": func(e *priceline.SavedEstimate) { e.Payer = "" },
			"control chars": func(e *priceline.SavedEstimate) { e.Label = "a\x00b" },
		} {
			e := newEstimate(user, ms(0))
			mutate(e)
			if err := s.SaveEstimate(ctx, e); priceline.ErrorKind(err) != priceline.KindInvalid {
				t.Errorf("%s: SaveEstimate = %v, want invalid", name, err)
			}
		}
		if got, err := s.SavedEstimates(ctx, user); err != nil || len(got) != 0 {
			t.Errorf("refused estimates were stored: %v, %v", got, err)
		}
		if got, err := s.SavedEstimates(ctx, "' or 1 eq 1"); err != nil || len(got) != 0 {
			t.Errorf("SavedEstimates(hostile user) = %v, %v; want none", got, err)
		}
	})
}
