package estimate

import (
	"testing"

	"hospitalpriceline/functions/priceline"
)

// money builds a Money from a canonical decimal the way ingest stores it.
func money(t *testing.T, dec string) priceline.Money {
	t.Helper()
	m, why := ParseDollars(dec)
	if why != "" {
		// Rates may carry more than two decimals; keep those exact.
		return priceline.Money{Decimal: dec, Set: true}
	}
	return m
}

func benefits(t *testing.T, ded, pct, copay, oop string) Benefits {
	t.Helper()
	b, err := ParseBenefits(ded, pct, copay, oop)
	if err != nil {
		t.Fatalf("ParseBenefits(%q, %q, %q, %q): %v", ded, pct, copay, oop, err)
	}
	return b
}

func TestYouPay(t *testing.T) {
	tests := []struct {
		name                 string
		rate                 string
		ded, pct, copay, oop string
		want                 string
		wantCents            int64
	}{
		{"deductible not met: all of a rate below it", "800", "1500", "20", "", "", "800", 80000},
		{"deductible exactly equal to rate", "1500", "1500", "20", "", "", "1500", 150000},
		{"deductible met: coinsurance only", "1000", "0", "20", "", "", "200", 20000},
		{"deductible met when left out", "1000", "", "20", "", "", "200", 20000},
		{"deductible partly met", "1000", "300", "20", "", "", "440", 44000},
		{"copay plus coinsurance", "1000", "0", "10", "25", "", "125", 12500},
		{"copay only", "1000", "", "", "40", "", "40", 4000},
		{"zero coinsurance after deductible", "1000", "200", "0", "", "", "200", 20000},
		{"100 % coinsurance pays the whole rate", "1234.56", "100", "100", "", "", "1234.56", 123456},
		{"OOP cap binds", "10000", "2000", "30", "50", "3000", "3000", 300000},
		{"OOP cap does not bind", "1000", "0", "20", "", "3000", "200", 20000},
		{"OOP cap of zero: nothing to pay", "1000", "500", "20", "25", "0", "0", 0},
		{"OOP cap below copay", "1000", "", "", "40", "15.5", "15.5", 1550},
		{"rate of zero leaves the copay", "0", "500", "20", "10", "", "10", 1000},
		{"half a cent rounds up", "0.05", "0", "10", "", "", "0.01", 1},                      // 0.005
		{"just under half a cent rounds down", "0.049", "0", "10", "", "", "0", 0},           // 0.0049
		{"a cent and a half rounds up", "0.15", "0", "10", "", "", "0.02", 2},                // 0.015
		{"rounded once at the end, not per step", "0.333", "0.10", "50", "", "", "0.22", 22}, // 0.10 + 0.1165 = 0.2165
		{"rate with sub-cent digits kept exact", "100.005", "", "100", "", "", "100.01", 10001},
		{"fractional coinsurance", "999.99", "0", "12.5", "", "", "125", 12500}, // 124.99875
		{"cent boundary under deductible", "1499.99", "1500", "20", "", "", "1499.99", 149999},
		{"cent boundary over deductible", "1500.01", "1500", "20", "", "", "1500", 150000},     // 1500 + 0.002
		{"one cent over deductible, 50 %", "1500.01", "1500", "50", "", "", "1500.01", 150001}, // 1500.005
		{"huge rate and benefits without overflow", "90000000000000000", "999,999,999,999.99", "100", "999999999999.99", "", "90000999999999999.99", 9000099999999999999},
		{"huge rate capped by OOP", "92233720368547758.07", "", "100", "", "999999999999.99", "999999999999.99", 99999999999999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := YouPay(money(t, tt.rate), benefits(t, tt.ded, tt.pct, tt.copay, tt.oop))
			if !ok {
				t.Fatalf("YouPay(%s) not ok", tt.rate)
			}
			if got.Decimal != tt.want || got.Cents != tt.wantCents || !got.Set {
				t.Errorf("YouPay(%s) = %+v, want %s (%d cents)", tt.rate, got, tt.want, tt.wantCents)
			}
		})
	}
}

func TestYouPayRefusesWhatItCannotCompute(t *testing.T) {
	tests := []struct {
		name string
		rate priceline.Money
		b    Benefits
	}{
		{"no rate", priceline.Money{}, Benefits{}},
		{"negative rate", priceline.Money{Decimal: "-5", Cents: -500, Set: true}, Benefits{}},
		{"rate not a number", priceline.Money{Decimal: "N/A", Set: true}, Benefits{}},
		{"past int64 cents", priceline.Money{Decimal: "92233720368547758.07", Cents: 9223372036854775807, Set: true},
			Benefits{Copay: priceline.Money{Decimal: "1", Cents: 100, Set: true}, CoinsurancePercent: "100"}},
		{"coinsurance over 100", priceline.Money{Decimal: "1", Cents: 100, Set: true}, Benefits{CoinsurancePercent: "101"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := YouPay(tt.rate, tt.b); ok {
				t.Errorf("YouPay = %+v, want not ok", got)
			}
		})
	}
}

func TestPlanRateAndForPlan(t *testing.T) {
	dollars := func(d string) priceline.Money { m, _ := ParseDollars(d); return m }
	b := Benefits{CoinsurancePercent: "20"}
	tests := []struct {
		name      string
		c         priceline.Charge
		wantBasis Basis
		wantPay   string
	}{
		{"negotiated dollar", priceline.Charge{NegotiatedDollar: dollars("500"), Median: dollars("900")}, BasisNegotiatedDollar, "100"},
		{"percentage with median", priceline.Charge{NegotiatedPercentage: "60", Median: dollars("900")}, BasisMedianAllowed, "180"},
		{"algorithm with median", priceline.Charge{NegotiatedAlgorithm: "APR-DRG grouper", Median: dollars("450.5")}, BasisMedianAllowed, "90.1"},
		{"percentage without median", priceline.Charge{NegotiatedPercentage: "60"}, BasisNone, ""},
		{"median alone is no plan rate", priceline.Charge{Median: dollars("900")}, BasisNone, ""},
		{"nothing", priceline.Charge{}, BasisNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ForPlan(&tt.c, b)
			if got.Basis != tt.wantBasis || got.YouPay.Decimal != tt.wantPay || got.YouPay.Set != (tt.wantPay != "") {
				t.Errorf("ForPlan = %+v, want %q %q", got, tt.wantBasis, tt.wantPay)
			}
		})
	}
}

func TestCash(t *testing.T) {
	tests := []struct {
		name      string
		cash      priceline.Money
		wantBasis Basis
		want      string
		wantCents int64
	}{
		{"whole dollars", priceline.Money{Decimal: "250", Cents: 25000, Set: true}, BasisCash, "250", 25000},
		{"sub-cent rounds half up, not to even", priceline.Money{Decimal: "0.125", Cents: 12, Set: true}, BasisCash, "0.13", 13},
		{"zero is a price", priceline.Money{Decimal: "0", Set: true}, BasisCash, "0", 0},
		{"no cash price", priceline.Money{}, BasisNone, "", 0},
		{"negative cash price", priceline.Money{Decimal: "-1", Cents: -100, Set: true}, BasisNone, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cash(&priceline.Charge{DiscountedCash: tt.cash})
			if got.Basis != tt.wantBasis || got.YouPay.Decimal != tt.want || got.YouPay.Cents != tt.wantCents {
				t.Errorf("Cash = %+v, want %q %s (%d)", got, tt.wantBasis, tt.want, tt.wantCents)
			}
		})
	}
}

func TestMoneyOfCents(t *testing.T) {
	for cents, want := range map[int64]string{0: "0", 1: "0.01", 10: "0.1", 99: "0.99", 100: "1", 150: "1.5", 123456: "1234.56",
		-5: "-0.05", 9223372036854775807: "92233720368547758.07"} {
		if got := moneyOfCents(cents); got.Decimal != want || got.Cents != cents || !got.Set {
			t.Errorf("moneyOfCents(%d) = %+v, want %s", cents, got, want)
		}
	}
}
