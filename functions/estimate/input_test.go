package estimate

import (
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

func TestParseDollars(t *testing.T) {
	tests := []struct {
		in        string
		want      string
		wantCents int64
		wantWhy   string // a word of the reason; "" when valid
	}{
		{"1500", "1500", 150000, ""},
		{"1,500.00", "1500", 150000, ""},
		{"$1500.5", "1500.5", 150050, ""},
		{" $ 1,234,567.89 ", "1234567.89", 123456789, ""},
		{".5", "0.5", 50, ""},
		{"0", "0", 0, ""},
		{"007", "7", 700, ""},
		{"1500.", "1500", 150000, ""},
		{"0.01", "0.01", 1, ""},
		{"999,999,999,999.99", "999999999999.99", 99999999999999, ""},
		{"1000000000000", "", 0, "too large"},
		{"1.234", "", 0, "two decimals"},
		{"-5", "", 0, "negative"},
		{"$-5", "", 0, "negative"},
		{"1,50", "", 0, "thousands"},
		{"1500,00", "", 0, "thousands"},
		{",500", "", 0, "thousands"},
		{"1e3", "", 0, "not an amount"},
		{"abc", "", 0, "not an amount"},
		{"$", "", 0, "not an amount"},
		{".", "", 0, "not an amount"},
		{"1 500", "", 0, "not an amount"},
		{"１５００", "", 0, "not an amount"}, // full-width digits are not ASCII digits
		{strings.Repeat("9", 50), "", 0, "too long"},
	}
	for _, tt := range tests {
		got, why := ParseDollars(tt.in)
		if tt.wantWhy != "" {
			if !strings.Contains(why, tt.wantWhy) {
				t.Errorf("ParseDollars(%q) = %+v, %q; want a reason with %q", tt.in, got, why, tt.wantWhy)
			}
			continue
		}
		if why != "" || got.Decimal != tt.want || got.Cents != tt.wantCents || !got.Set {
			t.Errorf("ParseDollars(%q) = %+v, %q; want %s (%d cents)", tt.in, got, why, tt.want, tt.wantCents)
		}
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct{ in, want, wantWhy string }{
		{"20", "20", ""},
		{"20%", "20", ""},
		{" 12.50 % ", "12.5", ""},
		{"0", "0", ""},
		{"0.0001", "0.0001", ""},
		{"100", "100", ""},
		{"100.000", "100", ""},
		{"100.0001", "", "more than 100"},
		{"150", "", "more than 100"},
		{"-1", "", "negative"},
		{"twenty", "", "not a percentage"},
		{"%", "", "not a percentage"},
		{"0.2.0", "", "not a percentage"},
	}
	for _, tt := range tests {
		got, why := ParsePercent(tt.in)
		if got != tt.want || (tt.wantWhy == "") != (why == "") || !strings.Contains(why, tt.wantWhy) {
			t.Errorf("ParsePercent(%q) = %q, %q; want %q, reason with %q", tt.in, got, why, tt.want, tt.wantWhy)
		}
	}
}

func TestParseBenefits(t *testing.T) {
	b, err := ParseBenefits("1,500", "20%", "$25", "")
	if err != nil {
		t.Fatal(err)
	}
	if b.DeductibleRemaining.Cents != 150000 || b.CoinsurancePercent != "20" || b.Copay.Cents != 2500 || b.OOPMaxRemaining.Set || !b.Given() {
		t.Errorf("ParseBenefits = %+v", b)
	}
	if b, err := ParseBenefits("", " ", "", ""); err != nil || b.Given() {
		t.Errorf("ParseBenefits of blanks = %+v, %v; want nothing given", b, err)
	}

	tests := []struct {
		ded, pct, copay, oop string
		wantCode, wantWord   string
	}{
		{"-100", "", "", "", "invalid_deductible", "deductible"},
		{"", "120", "", "", "invalid_coinsurance", "100"},
		{"", "abc", "", "", "invalid_coinsurance", "percentage"},
		{"", "", "$2.505", "", "invalid_copay", "copay"},
		{"", "", "", "lots", "invalid_oop_max", "out-of-pocket"},
		{"x", "y", "z", "w", "invalid_deductible", "deductible"}, // the first bad value, in parameter order
	}
	for _, tt := range tests {
		_, err := ParseBenefits(tt.ded, tt.pct, tt.copay, tt.oop)
		if priceline.ErrorKind(err) != priceline.KindInvalid || priceline.ErrorCode(err) != tt.wantCode {
			t.Errorf("ParseBenefits(%q, %q, %q, %q) error = %v, want %s/%s", tt.ded, tt.pct, tt.copay, tt.oop, err, priceline.KindInvalid, tt.wantCode)
			continue
		}
		if msg := err.(*priceline.Error).Message; !strings.Contains(msg, tt.wantWord) {
			t.Errorf("message %q does not mention %q", msg, tt.wantWord)
		}
	}
}
