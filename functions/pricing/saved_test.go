package pricing

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

const userA, userB = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

// savedService is a service with a saved-estimate store and a fixed clock
// that is not UTC and not on a millisecond.
func savedService() (*Service, *memstore.Saved, time.Time) {
	at := time.Date(2026, 5, 4, 9, 30, 15, 123456789, time.FixedZone("PDT", -7*3600))
	st := &memstore.Saved{}
	return &Service{Saved: st, Now: func() time.Time { return at }}, st, at
}

// One construction for the JSON API and the form: text trimmed, the code
// type upper-cased, the service clock in UTC to the millisecond, a fresh
// random ID.
func TestSaveEstimateIsBuiltOneWay(t *testing.T) {
	svc, st, at := savedService()
	ctx := context.Background()
	e, err := svc.SaveEstimate(ctx, userA, SaveInput{Code: " 70551 ", CodeType: " cpt ", HospitalID: alpha.ID,
		Payer: " Acme ", Plan: " PPO ", Label: "  my MRI  "})
	if err != nil {
		t.Fatal(err)
	}
	want := priceline.SavedEstimate{ID: e.ID, UserID: userA, Code: "70551", CodeType: "CPT", HospitalID: alpha.ID,
		Payer: "Acme", Plan: "PPO", Label: "my MRI", CreatedAt: at.UTC().Truncate(time.Millisecond)}
	if *e != want {
		t.Errorf("saved\n %+v, want\n %+v", *e, want)
	}
	if !priceline.IsLowerHex(e.ID, 32) || e.CreatedAt.Location() != time.UTC {
		t.Errorf("id %q, location %v", e.ID, e.CreatedAt.Location())
	}
	listed, err := svc.SavedEstimates(ctx, userA)
	if err != nil || len(listed) != 1 || listed[0] != want {
		t.Errorf("listed %+v %v", listed, err)
	}
	e2, err := svc.SaveEstimate(ctx, userA, SaveInput{Code: "0450", CodeType: "Rc"})
	if err != nil || e2.ID == e.ID || e2.CodeType != "RC" {
		t.Errorf("second: %+v %v", e2, err)
	}
	if n := st.Succeeded("SaveEstimate"); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}

func TestSaveEstimateRefusesBadInput(t *testing.T) {
	svc, st, _ := savedService()
	for name, in := range map[string]SaveInput{
		"no code":              {CodeType: "CPT"},
		"blank code":           {Code: "  ", CodeType: "CPT"},
		"no code type":         {Code: "1"},
		"code type with space": {Code: "1", CodeType: "C PT"},
		// ToUpper would make this "CPI", valid: the check comes first.
		"non-ASCII code type": {Code: "1", CodeType: "cpı"},
		"hospital not an id":  {Code: "1", CodeType: "CPT", HospitalID: "../x"},
		"plan without payer":  {Code: "1", CodeType: "CPT", Plan: "PPO"},
		"label too long":      {Code: "1", CodeType: "CPT", Label: strings.Repeat("x", 101)},
		"control character":   {Code: "1", CodeType: "CPT", Label: "a\x00b"},
		"code and service":    {Code: "80061", CodeType: "CPT", ServiceID: "lipid-panel"},
		"unknown service":     {ServiceID: "no-such-service"},
		"service not an id":   {ServiceID: "Lipid Panel"},
	} {
		_, err := svc.SaveEstimate(context.Background(), userA, in)
		wantCode(t, name, err, priceline.KindInvalid, "invalid_estimate")
	}
	if n := st.Calls("SaveEstimate"); n != 0 {
		t.Errorf("%d writes for refused input, want none", n)
	}
}

// A comparison by service is saved by its service ID, with no code.
func TestSaveEstimateOfAService(t *testing.T) {
	svc, _, _ := savedService()
	ctx := context.Background()
	e, err := svc.SaveEstimate(ctx, userA, SaveInput{ServiceID: " lipid-panel ", Payer: "Blue Cross Blue Shield",
		Benefits: BenefitsInput{CoinsurancePercent: "20"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.ServiceID != "lipid-panel" || e.Code != "" || e.CodeType != "" || e.Benefits.CoinsurancePercent != "20" {
		t.Errorf("saved %+v", e)
	}
	if listed, err := svc.SavedEstimates(ctx, userA); err != nil || len(listed) != 1 || listed[0] != *e {
		t.Errorf("listed %+v %v", listed, err)
	}
}

// Issue 16's switch descriptionMatches=false (leave out the hospitals
// matched only by their own description) is kept with a service estimate,
// so the saved comparison reopens as it was; absent or true keeps the
// comparison's default, matches included.
func TestSaveEstimateKeepsDescriptionMatchesOff(t *testing.T) {
	svc, _, _ := savedService()
	ctx := context.Background()
	for in, off := range map[string]bool{"false": true, "true": false, "": false} {
		e, err := svc.SaveEstimate(ctx, userA, SaveInput{ServiceID: "lipid-panel", DescriptionMatches: in})
		if err != nil {
			t.Fatalf("descriptionMatches=%q: %v", in, err)
		}
		if e.NoDescriptionMatches != off {
			t.Errorf("descriptionMatches=%q saved NoDescriptionMatches %t, want %t", in, e.NoDescriptionMatches, off)
		}
	}
	_, err := svc.SaveEstimate(ctx, userA, SaveInput{ServiceID: "lipid-panel", DescriptionMatches: "no"})
	wantCode(t, "descriptionMatches=no", err, priceline.KindInvalid, "invalid_description_matches")
	// With a code the switch is refused whatever its value, as GET
	// /api/prices/compare by code refuses it: "true" would save a switch
	// the comparison it reopens does not take.
	for _, v := range []string{"false", "true", "maybe"} {
		_, err = svc.SaveEstimate(ctx, userA, SaveInput{Code: "80061", CodeType: "CPT", DescriptionMatches: v})
		wantCode(t, "a code with descriptionMatches="+v, err, priceline.KindInvalid, "invalid_estimate")
	}
	// The three accepted saves are all there is: no refused one was written.
	if es, err := svc.SavedEstimates(ctx, userA); err != nil || len(es) != 3 {
		t.Errorf("after the refused saves: %d estimates, %v; want the 3 accepted", len(es), err)
	}
}

func TestSaveEstimateLimit(t *testing.T) {
	svc, _, _ := savedService()
	ctx := context.Background()
	for i := range priceline.MaxSavedEstimates {
		if _, err := svc.SaveEstimate(ctx, userA, SaveInput{Code: fmt.Sprint(i), CodeType: "CPT"}); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	_, err := svc.SaveEstimate(ctx, userA, SaveInput{Code: "1", CodeType: "CPT"})
	wantCode(t, "one past the limit", err, priceline.KindConflict, "saved_limit")
	if _, err := svc.SaveEstimate(ctx, userB, SaveInput{Code: "1", CodeType: "CPT"}); err != nil {
		t.Errorf("the limit is per user: %v", err)
	}
}

func TestDeleteSavedEstimateOnlyTheUsersOwn(t *testing.T) {
	svc, _, _ := savedService()
	ctx := context.Background()
	e, err := svc.SaveEstimate(ctx, userA, SaveInput{Code: "1", CodeType: "CPT"})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "another user's", svc.DeleteSavedEstimate(ctx, userB, e.ID), priceline.KindNotFound, "saved_not_found")
	if err := svc.DeleteSavedEstimate(ctx, userA, e.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "deleted twice", svc.DeleteSavedEstimate(ctx, userA, e.ID), priceline.KindNotFound, "saved_not_found")
	if es, _ := svc.SavedEstimates(ctx, userA); len(es) != 0 {
		t.Errorf("left %v", es)
	}
}
