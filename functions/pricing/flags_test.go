package pricing

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

// flaggedStore holds CPT 80061 at two hospitals: alpha files a $0 gross
// charge, a $1 cash price and a negotiated rate 100 times its others; beta
// a 9999999.99 gross charge beside ordinary rows.
func flaggedStore(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	code := priceline.Code{Code: "80061", Type: "CPT"}
	mk := func(h priceline.Hospital, payer string, gross, cash, neg string) priceline.Charge {
		c := priceline.Charge{HospitalID: h.ID, Description: "LIPID PANEL", Codes: []priceline.Code{code}, Setting: "outpatient", Payer: payer, Plan: "PPO"}
		for _, a := range []struct {
			s string
			m *priceline.Money
		}{{gross, &c.Gross}, {cash, &c.DiscountedCash}, {neg, &c.NegotiatedDollar}} {
			if a.s != "" {
				*a.m = dollars(t, a.s)
			}
		}
		return c
	}
	st := memstore.NewPrices()
	for _, hc := range []struct {
		h  priceline.Hospital
		cs []priceline.Charge
	}{
		{alpha, []priceline.Charge{
			mk(alpha, "Acme", "0", "1", "40.00"), mk(alpha, "Acme", "120.00", "60.00", "42.00"),
			mk(alpha, "Acme", "120.00", "60.00", "44.00"), mk(alpha, "Acme", "120.00", "60.00", "4400.00"),
		}},
		{beta, []priceline.Charge{mk(beta, "Acme", "9999999.99", "80.00", "50.00"), mk(beta, "Acme", "150.00", "80.00", "52.00")}},
	} {
		if err := st.BeginImport(ctx, hc.h, "g1"); err != nil {
			t.Fatal(err)
		}
		if err := pricelinetest.PutCharges(ctx, st, hc.h.ID, "g1", code, hc.cs); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CommitImport(ctx, hc.h, "g1"); err != nil {
			t.Fatal(err)
		}
	}
	return &Service{Store: st}
}

func TestCompareByCodeFlagsPlaceholdersAndOutliers(t *testing.T) {
	svc := flaggedStore(t)
	ctx := context.Background()
	c, rows, err := svc.CompareRows(ctx, CompareQuery{Code: "80061", CodeType: "CPT", Payer: "Acme", Sort: "gross"})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by gross, alpha's $0 would come first; it is not a price, so
	// alpha's lowest gross is $120 and it still comes before beta's $150.
	if len(c.Prices) != 2 || c.Prices[0].HospitalID != alpha.ID || c.Prices[0].Gross.Decimal != "120.00" || c.Prices[1].Gross.Decimal != "150.00" {
		t.Fatalf("prices: %+v", c.Prices)
	}
	if c.Gross.Low.Decimal != "120.00" || c.Gross.High.Decimal != "150.00" || c.DiscountedCash.Low.Decimal != "60.00" || c.Negotiated.High.Decimal != "50.00" {
		t.Errorf("spreads: gross %+v cash %+v negotiated %+v", c.Gross, c.DiscountedCash, c.Negotiated)
	}
	a := strings.Join(c.Flags[alpha.ID], "\n")
	for _, want := range []string{"gross charge $0: placeholder amount $0", "discounted cash price $1: placeholder amount $1", "negotiated rate $4400.00: more than 10× the median"} {
		if !strings.Contains(a, want) {
			t.Errorf("alpha flags lack %q:\n%s", want, a)
		}
	}
	if b := c.Flags[beta.ID]; len(b) != 1 || !strings.Contains(b[0], "gross charge $9999999.99: placeholder") {
		t.Errorf("beta flags: %q", b)
	}
	// The rows handed back for estimates lack the flagged amounts: the
	// cash estimate is $60, not the $1 placeholder.
	for _, r := range rows {
		if r.Gross.Decimal == "0" || r.DiscountedCash.Decimal == "1" || r.NegotiatedDollar.Decimal == "4400.00" || r.Gross.Decimal == "9999999.99" {
			t.Errorf("flagged amount left in a row: %+v", r)
		}
	}
	est := Estimates(rows, "", "", estimate.Benefits{})
	if e := est[alpha.ID]; e.YouPay.Cents != 6000 {
		t.Errorf("alpha cash estimate %+v", e)
	}
	// The store's own rows keep what the file said.
	d, err := svc.CompareDetail(ctx, CompareQuery{Code: "80061", CodeType: "CPT"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Flags[alpha.ID]) != 3 || !slices.ContainsFunc(d.Rows, func(r priceline.Charge) bool { return r.Gross.Decimal == "" && r.HospitalID == alpha.ID }) {
		t.Errorf("detail: flags %q", d.Flags)
	}
}

func TestSearchMarksFlaggedAmountsWithoutDroppingRows(t *testing.T) {
	svc := flaggedStore(t)
	page, err := svc.Search(context.Background(), PriceQuery{Code: "80061", CodeType: "CPT", Sort: "gross"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 6 {
		t.Fatalf("total %d, want every row", page.Total)
	}
	var got []string
	for _, r := range page.Rows {
		for _, f := range r.Flags {
			got = append(got, f.Field+" "+f.Amount)
			if f.Reason == "" {
				t.Errorf("flag without a reason: %+v", f)
			}
		}
	}
	slices.Sort(got)
	want := []string{"discountedCash 1", "gross 0", "gross 9999999.99", "negotiatedDollar 4400.00"}
	if !slices.Equal(got, want) {
		t.Errorf("flags %q, want %q", got, want)
	}
	// Sorted by gross, the rows whose gross was a placeholder come last
	// (no gross), not first ($0) or at the top of a descending sort.
	if first := page.Rows[0].Charge.Gross.Decimal; first != "120.00" {
		t.Errorf("first gross %q", first)
	}
	if last := page.Rows[len(page.Rows)-1]; last.Charge.Gross.Set || len(last.Flags) == 0 {
		t.Errorf("last row %+v", last)
	}
}

// dollars is a Money as a file writes it: whole dollars, or dollars and
// two digits of cents.
func dollars(t *testing.T, s string) priceline.Money {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	d, err := strconv.ParseInt(whole+(frac + "00")[:2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return priceline.Money{Decimal: s, Cents: d, Set: true}
}
