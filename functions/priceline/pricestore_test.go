package priceline

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func usd(cents int64) Money {
	return Money{Decimal: fmt.Sprintf("%d.%02d", cents/100, cents%100), Cents: cents, Set: true}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[Code]Code{
		{Code: "0450", Type: "RC"}:          {Code: "450", Type: "RC"},
		{Code: " 450 ", Type: " rc"}:        {Code: "450", Type: "RC"},
		{Code: "0000", Type: "RC"}:          {Code: "0", Type: "RC"},
		{Code: "j1234", Type: "hcpcs"}:      {Code: "J1234", Type: "HCPCS"},
		{Code: "0093-1234-01", Type: "NDC"}: {Code: "0093-1234-01", Type: "NDC"},
		{Code: "001", Type: "MS-DRG"}:       {Code: "001", Type: "MS-DRG"},
		{Code: "", Type: "RC"}:              {Code: "", Type: "RC"},
	} {
		if got := NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%+v) = %+v, want %+v", in, got, want)
		}
	}
}

func TestSearchWords(t *testing.T) {
	got := SearchWords("MRI of brain (no contrast), MRI; x-ray 70551 Ü")
	want := []string{"mri", "of", "brain", "no", "contrast", "ray", "70551"}
	if !slices.Equal(got, want) {
		t.Fatalf("SearchWords = %v, want %v", got, want)
	}
	if w := SearchWords("' \x00 -- ;"); len(w) != 0 {
		t.Fatalf("punctuation gave words %v", w)
	}
}

func TestPriceQueryMatch(t *testing.T) {
	c := &Charge{HospitalID: "h1", Description: "Office visit, established patient", Payer: "Platform  Health", Plan: "PPO", Setting: "outpatient"}
	for _, tc := range []struct {
		q    PriceQuery
		want bool
	}{
		{PriceQuery{}, true},
		{PriceQuery{Payer: "platform health"}, true},
		{PriceQuery{Payer: "PLATFORM HEALTH", Plan: "ppo"}, true},
		{PriceQuery{Payer: "platform"}, false},
		{PriceQuery{Payer: "platform health' or '1'='1"}, false},
		{PriceQuery{Plan: "HMO"}, false},
		{PriceQuery{Setting: "Outpatient"}, true},
		{PriceQuery{Setting: "inpatient"}, false},
		{PriceQuery{HospitalID: "h2"}, false},
		{PriceQuery{Words: []string{"off", "estab"}}, true},
		{PriceQuery{Words: []string{"visit", "knee"}}, false},
	} {
		if got := tc.q.Match(c); got != tc.want {
			t.Errorf("%+v.Match = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestChargeOrder(t *testing.T) {
	names := map[string]string{"a": "Alpha", "b": "beta"}
	name := func(id string) string { return names[id] }
	rows := []Charge{
		{HospitalID: "b", Payer: "Z", NegotiatedDollar: usd(300)},
		{HospitalID: "a", Payer: "Y"},
		{HospitalID: "a", Payer: "X", NegotiatedDollar: usd(100)},
		{HospitalID: "b", Payer: "W", NegotiatedDollar: usd(200)},
	}
	payers := func(order string) string {
		rs := slices.Clone(rows)
		cmp := ChargeOrder(order, name)
		slices.SortFunc(rs, func(a, b Charge) int { return cmp(&a, &b) })
		s := ""
		for _, r := range rs {
			s += r.Payer
		}
		return s
	}
	for order, want := range map[string]string{"": "XYWZ", "hospital": "XYWZ", "negotiated": "XWZY", "-negotiated": "ZWXY"} {
		if got := payers(order); got != want {
			t.Errorf("order %q: %s, want %s", order, got, want)
		}
	}
}

func TestCompareSpreadIsExact(t *testing.T) {
	rows := []Charge{
		{HospitalID: "a", Gross: usd(20000), DiscountedCash: usd(15000), Payer: "Acme", Plan: "PPO", NegotiatedDollar: usd(9000)},
		{HospitalID: "a", Gross: usd(18000), Setting: "inpatient", Payer: "Acme", Plan: "HMO", NegotiatedDollar: usd(8000)},
		{HospitalID: "b", Gross: usd(30001), Payer: "ACME ", Plan: "ppo", NegotiatedPercentage: "60"},
		{HospitalID: "c"},
	}
	c := Compare(rows, "acme", "PPO", func(id string) string { return id })
	if len(c.Prices) != 3 || c.Prices[0].HospitalID != "a" || c.Prices[0].Rows != 2 || c.Prices[0].Gross.Cents != 18000 {
		t.Fatalf("prices: %+v", c.Prices)
	}
	if c.Prices[0].Negotiated.Cents != 9000 || c.Prices[0].PayerRows != 1 {
		t.Errorf("plan PPO only: %+v", c.Prices[0])
	}
	if c.Prices[1].NegotiatedPercentage != "60" || c.Prices[1].Negotiated.Set {
		t.Errorf("percentage rate: %+v", c.Prices[1])
	}
	// 300.01 / 180.00 = 166.672…% → "166.7"
	if c.Gross.Hospitals != 2 || c.Gross.Low.Cents != 18000 || c.Gross.High.Cents != 30001 || c.Gross.RatioPercent != "166.7" {
		t.Errorf("gross spread: %+v", c.Gross)
	}
	if c.Negotiated.Hospitals != 1 || c.Negotiated.RatioPercent != "" {
		t.Errorf("negotiated spread: %+v", c.Negotiated)
	}
}

// "negotiated" sorts by the negotiated dollar; rows with only a median
// allowed amount come after every negotiated dollar in both directions,
// ordered by their median, and rows with neither come last.
func TestChargeOrderPutsMedianOnlyRowsAfterNegotiatedDollars(t *testing.T) {
	name := func(id string) string { return id }
	rows := []Charge{
		{HospitalID: "a", Payer: "M1", NegotiatedPercentage: "80", Median: usd(50)},
		{HospitalID: "a", Payer: "N"},
		{HospitalID: "a", Payer: "D1", NegotiatedDollar: usd(1000)},
		{HospitalID: "a", Payer: "M2", NegotiatedAlgorithm: "formula", Median: usd(90000)},
		{HospitalID: "a", Payer: "D2", NegotiatedDollar: usd(2000), Median: usd(10)},
	}
	for order, want := range map[string]string{
		"negotiated":  "D1 D2 M1 M2 N",
		"-negotiated": "D2 D1 M2 M1 N",
	} {
		rs := slices.Clone(rows)
		c := ChargeOrder(order, name)
		slices.SortFunc(rs, func(a, b Charge) int { return c(&a, &b) })
		var got []string
		for _, r := range rs {
			got = append(got, r.Payer)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("order %q: %s, want %s", order, g, want)
		}
	}
}

// A comparison carries the allowed amounts of the chosen payer's row with
// the lowest median, with that row's own range and count, whatever order
// the rows come in; the basis says which dollar figure stands for the rate.
func TestCompareCarriesAllowedAmountsAndTheirBasis(t *testing.T) {
	rows := []Charge{
		{HospitalID: "a", Payer: "Acme", Plan: "PPO", NegotiatedPercentage: "80", Median: usd(12000), P10: usd(5000), P90: usd(16000), Count: "299"},
		{HospitalID: "a", Payer: "Acme", Plan: "PPO", NegotiatedPercentage: "75", Median: usd(11000), P10: usd(8000), P90: usd(17000), Count: "1 through 10"},
		{HospitalID: "a", Payer: "Other", Plan: "PPO", NegotiatedPercentage: "10", Median: usd(100), Count: "12"},
		{HospitalID: "b", Payer: "acme", Plan: "ppo", NegotiatedDollar: usd(9000), Median: usd(9500), P10: usd(1), P90: usd(2), Count: "14"},
		{HospitalID: "c", Payer: "Acme", Plan: "PPO", NegotiatedAlgorithm: "formula", Count: "0"},
		{HospitalID: "d", Payer: "Other"},
	}
	reversed := slices.Clone(rows)
	slices.Reverse(reversed)
	for _, rs := range [][]Charge{rows, reversed} {
		c := Compare(rs, "Acme", "PPO", func(id string) string { return id })
		got := map[string]string{}
		for i := range c.Prices {
			h := &c.Prices[i]
			a := h.Allowed
			got[h.HospitalID] = fmt.Sprintf("%s %s %s-%s %q", h.Basis(), a.Median.Decimal, a.P10.Decimal, a.P90.Decimal, a.Count)
		}
		want := map[string]string{
			"a": `medianAllowed 110.00 80.00-170.00 "1 through 10"`,
			"b": `negotiatedDollar 95.00 0.01-0.02 "14"`,
			"c": `none  - "0"`,
			"d": `none  - ""`,
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("allowed mismatch (-want, +got):\n%s", diff)
		}
		if c.Negotiated.Hospitals != 1 || c.Negotiated.Low.Cents != 9000 {
			t.Errorf("negotiated spread mixes in medians: %+v", c.Negotiated)
		}
		if c.MedianAllowed.Hospitals != 2 || c.MedianAllowed.Low.Cents != 9500 || c.MedianAllowed.High.Cents != 11000 {
			t.Errorf("median allowed spread: %+v", c.MedianAllowed)
		}
	}
}
