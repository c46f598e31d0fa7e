package priceline

import (
	"fmt"
	"slices"
	"testing"
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
