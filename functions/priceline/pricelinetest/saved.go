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
		Benefits: priceline.PlanBenefits{DeductibleRemaining: "1500.00", CoinsurancePercent: "12.5", Copay: "25.00"},
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

	t.Run("ServiceEstimateKeepsItsService", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		e := newEstimate(user, ms(0))
		e.Code, e.CodeType, e.ServiceID = "", "", "lipid-panel"
		if err := s.SaveEstimate(ctx, e); err != nil {
			t.Fatalf("SaveEstimate(service): %v", err)
		}
		got, err := s.SavedEstimates(ctx, user)
		if err != nil {
			t.Fatalf("SavedEstimates: %v", err)
		}
		if diff := cmp.Diff([]priceline.SavedEstimate{*e}, got); diff != "" {
			t.Errorf("service estimate mismatch (-want, +got):\n%s", diff)
		}
		for _, bad := range []func(*priceline.SavedEstimate){
			func(x *priceline.SavedEstimate) { x.Code, x.CodeType = "80061", "CPT" }, // both
			func(x *priceline.SavedEstimate) { x.ServiceID = "Lipid Panel" },
			func(x *priceline.SavedEstimate) { x.ServiceID = "" }, // neither
		} {
			x := newEstimate(user, ms(time.Second))
			x.Code, x.CodeType, x.ServiceID = "", "", "lipid-panel"
			bad(x)
			if err := s.SaveEstimate(ctx, x); priceline.ErrorKind(err) != priceline.KindInvalid {
				t.Errorf("SaveEstimate(%+v) = %v; want invalid", x, err)
			}
		}
	})

	t.Run("ServiceEstimateKeepsDescriptionMatchesOff", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		on, off := newEstimate(user, ms(0)), newEstimate(user, ms(time.Second))
		for _, e := range []*priceline.SavedEstimate{on, off} {
			e.Code, e.CodeType, e.ServiceID = "", "", "lipid-panel"
			if e == off {
				e.NoDescriptionMatches = true
			}
			if err := s.SaveEstimate(ctx, e); err != nil {
				t.Fatalf("SaveEstimate: %v", err)
			}
		}
		got, err := s.SavedEstimates(ctx, user)
		if err != nil {
			t.Fatalf("SavedEstimates: %v", err)
		}
		if diff := cmp.Diff([]priceline.SavedEstimate{*on, *off}, got); diff != "" {
			t.Errorf("descriptionMatches=false not kept (-want, +got):\n%s", diff)
		}
		// A comparison by code has no description matches to leave out.
		x := newEstimate(user, ms(2*time.Second))
		x.NoDescriptionMatches = true
		if err := s.SaveEstimate(ctx, x); priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Errorf("SaveEstimate(code, no description matches) = %v; want invalid", err)
		}
	})

	t.Run("PlanBenefitsKeptPerUserAndForgotten", func(t *testing.T) {
		s := newStore(t)
		user, other := priceline.NewUserID(), priceline.NewUserID()
		if b, err := s.PlanBenefits(ctx, user); err != nil || !b.IsZero() {
			t.Fatalf("PlanBenefits before any = %+v, %v; want zero", b, err)
		}
		want := priceline.PlanBenefits{DeductibleRemaining: "250.50", CoinsurancePercent: "20", Copay: "0.00", OOPMaxRemaining: "3000.00"}
		for _, b := range []priceline.PlanBenefits{{Copay: "10.00"}, want} {
			if err := s.PutPlanBenefits(ctx, user, b); err != nil {
				t.Fatalf("PutPlanBenefits: %v", err)
			}
		}
		if got, err := s.PlanBenefits(ctx, user); err != nil || got != want {
			t.Errorf("PlanBenefits = %+v, %v; want the last put %+v", got, err, want)
		}
		if got, err := s.PlanBenefits(ctx, other); err != nil || !got.IsZero() {
			t.Errorf("another user's plan = %+v, %v; want zero", got, err)
		}
		if err := s.PutPlanBenefits(ctx, user, priceline.PlanBenefits{Copay: "-1"}); priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Errorf("PutPlanBenefits(negative) = %v; want invalid", err)
		}
		// The plan row is no saved estimate and takes no slot.
		if es, err := s.SavedEstimates(ctx, user); err != nil || len(es) != 0 {
			t.Errorf("SavedEstimates with only a plan = %v, %v; want none", es, err)
		}
		if err := s.PutPlanBenefits(ctx, user, priceline.PlanBenefits{}); err != nil {
			t.Fatalf("PutPlanBenefits(zero): %v", err)
		}
		if got, err := s.PlanBenefits(ctx, user); err != nil || !got.IsZero() {
			t.Errorf("PlanBenefits after zero put = %+v, %v; want forgotten", got, err)
		}
	})

	t.Run("DeleteUserDataRemovesEstimatesAndPlanOfThatUserOnly", func(t *testing.T) {
		s := newStore(t)
		user, other := priceline.NewUserID(), priceline.NewUserID()
		keep := priceline.PlanBenefits{Copay: "5.00"}
		for _, u := range []string{user, other} {
			if err := s.SaveEstimate(ctx, newEstimate(u, ms(0))); err != nil {
				t.Fatal(err)
			}
			if err := s.PutPlanBenefits(ctx, u, keep); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteUserData(ctx, user); err != nil {
			t.Fatalf("DeleteUserData: %v", err)
		}
		if es, err := s.SavedEstimates(ctx, user); err != nil || len(es) != 0 {
			t.Errorf("estimates after DeleteUserData = %v, %v", es, err)
		}
		if b, err := s.PlanBenefits(ctx, user); err != nil || !b.IsZero() {
			t.Errorf("plan after DeleteUserData = %+v, %v", b, err)
		}
		if es, err := s.SavedEstimates(ctx, other); err != nil || len(es) != 1 {
			t.Errorf("other user's estimates = %v, %v; want kept", es, err)
		}
		if b, err := s.PlanBenefits(ctx, other); err != nil || b != keep {
			t.Errorf("other user's plan = %+v, %v; want kept", b, err)
		}
		if err := s.DeleteUserData(ctx, priceline.NewUserID()); err != nil {
			t.Errorf("DeleteUserData of a user with nothing: %v", err)
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
