package pricing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// order is the comparison's hospitals by their names' first letters.
func order(c *Comparison) string {
	var out []string
	for _, p := range c.Prices {
		out = append(out, c.Names[p.HospitalID][:1])
	}
	return strings.Join(out, "")
}

func TestCompareEveryOrder(t *testing.T) {
	svc, _ := seeded(t)
	// Alpha lists the lower amounts, beta the higher, Gamma none: Gamma
	// comes last either way, and ties (none here) would go by name.
	want := map[string]string{
		"": "AbG", "hospital": "AbG", "-hospital": "GbA",
		"gross": "AbG", "-gross": "bAG", "cash": "AbG", "-cash": "bAG",
		"negotiated": "AbG", "-negotiated": "bAG", "min": "AbG", "-min": "bAG", "max": "AbG", "-max": "bAG",
	}
	if len(want) != len(CompareOrders)+1 {
		t.Fatalf("test covers %d orders, CompareOrders has %d", len(want)-1, len(CompareOrders))
	}
	for sort, w := range want {
		c, err := svc.Compare(context.Background(), CompareQuery{Code: "99213", CodeType: "CPT", Payer: "acme", Sort: sort})
		if err != nil {
			t.Fatal(err)
		}
		if got := order(c); got != w {
			t.Errorf("sort %q: %s, want %s", sort, got, w)
		}
	}
}

// Hospitals that tie on the amount keep the name order, in both directions,
// as ChargeOrder breaks ties; hospitals without it are last in both.
func TestCompareOrderTiesGoByName(t *testing.T) {
	names := map[string]string{"1": "Cedar", "2": "ash", "3": "Birch", "4": "Dogwood"}
	ps := []priceline.HospitalPrice{
		{HospitalID: "1", Gross: usd(500)}, {HospitalID: "2", Gross: usd(500)},
		{HospitalID: "3", Gross: usd(100)}, {HospitalID: "4"},
	}
	for sort, want := range map[string]string{"gross": "BaCD", "-gross": "aCBD", "hospital": "aBCD", "-hospital": "DCBa"} {
		c := &Comparison{Names: names, Comparison: priceline.Comparison{Prices: append([]priceline.HospitalPrice(nil), ps...)}}
		slices.SortStableFunc(c.Prices, hospitalOrder(sort, names))
		if got := order(c); got != want {
			t.Errorf("%s: %s, want %s", sort, got, want)
		}
	}
}

func TestCompareReadsOnlyWhatItNeeds(t *testing.T) {
	svc, _ := seeded(t)
	c, err := svc.Compare(context.Background(), CompareQuery{Code: " 99213 ", CodeType: "cpt", Payer: " Acme ", Plan: "PPO"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Code != (priceline.Code{Code: "99213", Type: "cpt"}) || c.Payer != "Acme" || c.Plan != "PPO" {
		t.Errorf("echo: %+v %q %q", c.Code, c.Payer, c.Plan)
	}
	a := c.Prices[0]
	if a.HospitalID != alpha.ID || a.Rows != 2 || a.PayerRows != 1 || a.Negotiated.Cents != 9000 || a.Gross.Cents != 20000 {
		t.Errorf("alpha: %+v", a)
	}
	if c.Gross.RatioPercent != "250.0" || c.Negotiated.Hospitals != 2 {
		t.Errorf("spread: %+v %+v", c.Gross, c.Negotiated)
	}
	// A procedure nobody lists is an empty comparison for the API, and not
	// found for a page about it.
	c, err = svc.Compare(context.Background(), CompareQuery{Code: "12345", CodeType: "CPT"})
	if err != nil || len(c.Prices) != 0 {
		t.Errorf("unlisted: %+v %v", c, err)
	}
	_, err = svc.CompareDetail(context.Background(), CompareQuery{Code: "12345", CodeType: "cpt"})
	wantCode(t, "unlisted detail", err, priceline.KindNotFound, "procedure_not_found")
	if err != nil && !strings.Contains(err.Error(), "CPT 12345") {
		t.Errorf("message: %v", err)
	}
}

func TestCompareDetailListsWhatTheRowsSay(t *testing.T) {
	svc, _ := seeded(t)
	d, err := svc.CompareDetail(context.Background(), CompareQuery{Code: "99213", CodeType: "CPT", Payer: "ACME", Plan: "ppo", Sort: "-gross"})
	if err != nil {
		t.Fatal(err)
	}
	if order(&d.Comparison) != "bAG" {
		t.Errorf("order %s", order(&d.Comparison))
	}
	if fmt.Sprint(d.Descriptions) != "[Office visit, established patient]" || fmt.Sprint(d.Settings) != "[both inpatient outpatient]" {
		t.Errorf("descriptions %v, settings %v", d.Descriptions, d.Settings)
	}
	// One entry per payer however files spell it (the most frequent
	// spelling; a tie goes to the first in byte order, whatever order the
	// store returned the rows in); plans of the chosen payer only; the
	// chosen ones marked.
	if got := fmt.Sprint(d.Payers); got != "[{ACME true} {Other false} {Zen false}]" {
		t.Errorf("payers %s", got)
	}
	if got := fmt.Sprint(d.Plans); got != "[{PPO true}]" {
		t.Errorf("plans %s", got)
	}
	d, err = svc.CompareDetail(context.Background(), CompareQuery{Code: "99213", CodeType: "CPT"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d.Plans); got != "[{EPO false} {HMO false} {PPO false}]" {
		t.Errorf("plans of every payer: %s", got)
	}
}

func TestCompareChecksItsQuery(t *testing.T) {
	svc, st := seeded(t)
	for code, q := range map[string]CompareQuery{
		"missing_code":      {CodeType: "CPT"},
		"missing_code_type": {Code: "99213"},
		"invalid_code_type": {Code: "99213", CodeType: "C PT"},
		"missing_payer":     {Code: "99213", CodeType: "CPT", Plan: "PPO"},
		"invalid_sort":      {Code: "99213", CodeType: "CPT", Sort: "price"},
	} {
		_, err := svc.Compare(context.Background(), q)
		wantCode(t, "compare "+code, err, priceline.KindInvalid, code)
		_, err = svc.CompareDetail(context.Background(), q)
		wantCode(t, "detail "+code, err, priceline.KindInvalid, code)
	}
	if storeReads(st) != 0 {
		t.Errorf("%d reads for invalid queries, want none", storeReads(st))
	}
}
