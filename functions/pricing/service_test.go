package pricing

import (
	"context"
	"fmt"
	"testing"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

// usd is an amount of whole cents.
func usd(cents int64) priceline.Money {
	return priceline.Money{Decimal: fmt.Sprintf("%d.%02d", cents/100, cents%100), Cents: cents, Set: true}
}

// Three hospitals, named so that their name order (Alpha, beta, Gamma)
// differs from byte order and from their IDs' order.
var (
	alpha = priceline.Hospital{ID: priceline.HospitalID("Alpha General", "1", "CA"), Name: "Alpha General", LastUpdatedOn: "2026-04-01"}
	beta  = priceline.Hospital{ID: priceline.HospitalID("beta Memorial", "2", "NV"), Name: "beta Memorial", LastUpdatedOn: "2026-04-01"}
	gamma = priceline.Hospital{ID: priceline.HospitalID("Gamma Clinic", "3", "OR"), Name: "Gamma Clinic", LastUpdatedOn: "2026-04-01"}
)

var (
	cpt99213 = priceline.Code{Code: "99213", Type: "CPT"}
	rc0450   = priceline.Code{Code: "0450", Type: "RC"}
)

// row is a charge of CPT 99213 with the usual amounts; zero means the file
// left the amount out.
func row(h priceline.Hospital, payer, plan, setting string, gross, cash, neg int64) priceline.Charge {
	c := priceline.Charge{HospitalID: h.ID, Description: "Office visit, established patient", Codes: []priceline.Code{cpt99213},
		Setting: setting, Payer: payer, Plan: plan, Methodology: "fee schedule"}
	if gross > 0 {
		c.Gross = usd(gross)
	}
	if cash > 0 {
		c.DiscountedCash = usd(cash)
	}
	if neg > 0 {
		c.NegotiatedDollar, c.Min, c.Max = usd(neg), usd(neg-100), usd(neg+100)
	}
	return c
}

// seeded is a service over a store holding the three hospitals:
//
//	Alpha: 99213 Acme PPO 200/150/90, Zen HMO 200/150/95; 0450 ER
//	beta:  99213 ACME  ppo 500/300/120, Other EPO 500/300/140 (inpatient)
//	Gamma: 99213 without amounts (the file left them out)
func seeded(t *testing.T) (*Service, *memstore.Prices) {
	t.Helper()
	ctx := context.Background()
	st := memstore.NewPrices()
	for _, hc := range []struct {
		h  priceline.Hospital
		cs []priceline.Charge
	}{
		{alpha, []priceline.Charge{
			row(alpha, "Acme", "PPO", "outpatient", 20000, 15000, 9000),
			row(alpha, "Zen", "HMO", "outpatient", 20000, 15000, 9500),
		}},
		{beta, []priceline.Charge{
			row(beta, "ACME ", "ppo", "outpatient", 50000, 30000, 12000),
			row(beta, "Other", "EPO", "inpatient", 50000, 30000, 14000),
		}},
		{gamma, []priceline.Charge{row(gamma, "", "", "both", 0, 0, 0)}},
	} {
		if err := st.BeginImport(ctx, hc.h, "g1"); err != nil {
			t.Fatal(err)
		}
		if err := pricelinetest.PutCharges(ctx, st, hc.h.ID, "g1", cpt99213, hc.cs); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CommitImport(ctx, hc.h, "g1"); err != nil {
			t.Fatal(err)
		}
	}
	er := priceline.Charge{HospitalID: alpha.ID, Description: "Emergency room", Codes: []priceline.Code{rc0450}, Gross: usd(100000)}
	if err := pricelinetest.PutCharges(ctx, st, alpha.ID, "g1", rc0450, []priceline.Charge{er}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutProcedures(ctx, []priceline.Procedure{
		{Code: "99213", CodeType: "CPT", Description: "Office visit, established patient"},
		{Code: "0450", CodeType: "RC", Description: "Emergency room"},
	}); err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, CursorKey: func() []byte { return []byte("test cursor key") }}, st
}

// wantCode fails the test unless err is a priceline.Error of kind and code.
func wantCode(t *testing.T, what string, err error, kind, code string) {
	t.Helper()
	if priceline.ErrorKind(err) != kind || priceline.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s/%s", what, err, kind, code)
	}
}

func TestHospitalsByNameIgnoringCase(t *testing.T) {
	svc, _ := seeded(t)
	hs, err := svc.Hospitals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range hs {
		names = append(names, h.Name)
	}
	if got := fmt.Sprint(names); got != "[Alpha General beta Memorial Gamma Clinic]" {
		t.Errorf("hospitals %s", got)
	}
}

func TestProceduresLimitsAndQuery(t *testing.T) {
	svc, st := seeded(t)
	ctx := context.Background()
	var more []priceline.Procedure
	for i := range 60 {
		more = append(more, priceline.Procedure{Code: fmt.Sprint(70000 + i), CodeType: "CPT", Description: "Imaging study"})
	}
	if err := st.PutProcedures(ctx, more); err != nil {
		t.Fatal(err)
	}
	for limit, want := range map[int]int{0: DefaultProcedureLimit, 1: 1, MaxProcedureLimit: MaxProcedureLimit} {
		ps, err := svc.Procedures(ctx, "imaging", limit)
		if err != nil || len(ps) != want {
			t.Errorf("limit %d: %d procedures, %v; want %d", limit, len(ps), err, want)
		}
	}
	for _, limit := range []int{-1, MaxProcedureLimit + 1} {
		_, err := svc.Procedures(ctx, "imaging", limit)
		wantCode(t, fmt.Sprint("limit ", limit), err, priceline.KindInvalid, "invalid_limit")
	}
	_, err := svc.Procedures(ctx, "  ", 0)
	wantCode(t, "blank q", err, priceline.KindInvalid, "missing_query")
	ps, err := svc.Procedures(ctx, "emer", 0)
	if err != nil || len(ps) != 1 || ps[0].Code != "0450" {
		t.Errorf("emer: %v %v", ps, err)
	}
}

func TestExactCodeGoesStraightToOneProcedure(t *testing.T) {
	ps := []priceline.Procedure{{Code: "0450", CodeType: "RC"}, {Code: "99213", CodeType: "CPT"}, {Code: "99213", CodeType: "HCPCS"}}
	if c, ok := ExactCode(ps, "450"); !ok || c != rc0450 {
		t.Errorf("450: %v %v, want the revenue code", c, ok)
	}
	if _, ok := ExactCode(ps, "99213"); ok {
		t.Error("a code two code types share is not exact")
	}
	if _, ok := ExactCode(ps, "992"); ok {
		t.Error("a prefix is not exact")
	}
}

// A service without stores, or no service at all, is unavailable (503),
// never a panic or a 500.
func TestNoStoreIsUnavailable(t *testing.T) {
	ctx := context.Background()
	for name, svc := range map[string]*Service{"nil": nil, "empty": {}} {
		_, err := svc.Hospitals(ctx)
		wantCode(t, name+" hospitals", err, priceline.KindUnavailable, "prices_unavailable")
		_, err = svc.Procedures(ctx, "x", 0)
		wantCode(t, name+" procedures", err, priceline.KindUnavailable, "prices_unavailable")
		_, err = svc.Search(ctx, PriceQuery{Code: "1", CodeType: "CPT"})
		wantCode(t, name+" search", err, priceline.KindUnavailable, "prices_unavailable")
		_, err = svc.Compare(ctx, CompareQuery{Code: "1", CodeType: "CPT"})
		wantCode(t, name+" compare", err, priceline.KindUnavailable, "prices_unavailable")
		_, err = svc.SavedEstimates(ctx, "u")
		wantCode(t, name+" saved", err, priceline.KindUnavailable, "saved_unavailable")
		_, err = svc.SaveEstimate(ctx, "u", SaveInput{Code: "1", CodeType: "CPT"})
		wantCode(t, name+" save", err, priceline.KindUnavailable, "saved_unavailable")
		err = svc.DeleteSavedEstimate(ctx, "u", "x")
		wantCode(t, name+" delete", err, priceline.KindUnavailable, "saved_unavailable")
	}
}
