package mrf

import (
	"math/big"
	"testing"

	"hospitalpriceline/functions/priceline"
)

func TestDecimalMoneyIsExactAndRoundsHalfEven(t *testing.T) {
	for in, want := range map[string]priceline.Money{
		"1234.5":    {Decimal: "1234.5", Cents: 123450, Set: true},
		"0.125":     {Decimal: "0.125", Cents: 12, Set: true}, // tie, to even
		"0.135":     {Decimal: "0.135", Cents: 14, Set: true}, // tie, to even
		"0.1251":    {Decimal: "0.1251", Cents: 13, Set: true},
		"007.10":    {Decimal: "7.1", Cents: 710, Set: true},
		"1e3":       {Decimal: "1000", Cents: 100000, Set: true},
		"2.5E-1":    {Decimal: "0.25", Cents: 25, Set: true},
		"0.1":       {Decimal: "0.1", Cents: 10, Set: true},
		"123456.78": {Decimal: "123456.78", Cents: 12345678, Set: true},
	} {
		got, positive, ok := decimalMoney(in)
		if !ok || !positive || got != want {
			t.Errorf("decimalMoney(%q) = %+v, %v, %v; want %+v", in, got, positive, ok, want)
		}
	}
	for _, in := range []string{"0", "-1", "0.00"} {
		if _, positive, ok := decimalMoney(in); !ok || positive {
			t.Errorf("decimalMoney(%q): positive=%v ok=%v", in, positive, ok)
		}
	}
	for _, in := range []string{"abc", "1e999999999", "99999999999999999999999"} {
		if _, _, ok := decimalMoney(in); ok {
			t.Errorf("decimalMoney(%q) accepted", in)
		}
	}
}

func TestParseCSVDecimalAllowsNumbersOnly(t *testing.T) {
	for _, in := range []string{"1", "1.5", " 2.25 ", ".5", "5.", "-3"} {
		if _, ok := parseCSVDecimal(in); !ok {
			t.Errorf("rejected %q", in)
		}
	}
	for _, in := range []string{"", "1,234.50", "$5", "1e3", "5%", "1.2.3", "N/A", "- 3"} {
		if _, ok := parseCSVDecimal(in); ok {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{"2024-07-01": "2024-07-01", "7/1/2024": "2024-07-01", "07/01/2024": "2024-07-01", "12/31/2025": "2025-12-31"} {
		if got, ok := parseDate(in, true); !ok || got != want {
			t.Errorf("parseDate(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"July 1 2024", "2024-02-30", "2024/07/01", "13/01/2024", ""} {
		if _, ok := parseDate(in, true); ok {
			t.Errorf("accepted %q", in)
		}
	}
	if _, ok := parseDate("7/1/2024", false); ok {
		t.Errorf("JSON accepted M/D/YYYY")
	}
}

func TestValidCount(t *testing.T) {
	for _, s := range []string{"0", "1 through 10", "11", "19", "20", "299", "1000"} {
		if !validCount(s) {
			t.Errorf("rejected %q", s)
		}
	}
	for _, s := range []string{"1", "5", "10", "01", "-1", "1 through 9", "", "11.0"} {
		if validCount(s) {
			t.Errorf("accepted %q", s)
		}
	}
}

func TestVersionFamily(t *testing.T) {
	for v, want := range map[string]family{"2": familyV2, "2.0": familyV2, "2.0.0": familyV2, "2.1.0": familyV2, "2.2.0": familyV2, "2.2.1": familyV2, "v2.2": familyV2, "3.0.0": familyV3, "3.0": familyV3} {
		if got, ok := declaredFamily(v); !ok || got != want {
			t.Errorf("declaredFamily(%q) = %v, %v", v, got, ok)
		}
	}
	for _, v := range []string{"4.0.0", "1.0.0", "csv_wide", ""} {
		if _, ok := declaredFamily(v); ok {
			t.Errorf("%q known", v)
		}
	}
}

// TestChooseVersion pins which data dictionary a declared version and a
// layout select, and that non-CMS strings are warned about.
func TestChooseVersion(t *testing.T) {
	for _, tc := range []struct {
		declared string
		fam      family
		has22    bool
		want     cmsVersion
		warn     bool
	}{
		{"2.0.0", familyV2, true, v220, false},
		{"2.0.0", familyV2, false, v200, false},
		{"2.1.0", familyV2, true, v210, false},
		{"2.2.0", familyV2, true, v220, false},
		{"2.2.1", familyV2, true, v220, false},
		{"2.2.0", familyV2, false, v210, true},
		{"2", familyV2, false, v200, true},
		{"2.0", familyV2, true, v220, true},
		{"1.0.0", familyV2, true, v220, true},
		{"csv_wide", familyV2, false, v200, true},
		{"3.0.0", familyV3, false, v300, false},
		{"2.0.0", familyV3, false, v300, false},
	} {
		var ps problems
		got := chooseVersion(tc.declared, tc.fam, tc.has22, &ps, "version")
		if got != tc.want || (len(ps) > 0) != tc.warn {
			t.Errorf("chooseVersion(%q, v%d, %v) = %s with %v; want %s, warning %v", tc.declared, tc.fam, tc.has22, got, ps, tc.want, tc.warn)
		}
	}
}

// TestPlainMoneyAgreesWithGeneralPath checks the integer fast path against
// big.Rat on awkward inputs.
func TestPlainMoneyAgreesWithGeneralPath(t *testing.T) {
	for _, in := range []string{"0.005", "0.015", "0.025", "0.0250001", "2.675", "-2.675", "-0.005", "5.", ".5", "000", "1.999", "999999999999999.995", "12.3456789"} {
		fast, fp, fok, done := plainMoney(in)
		if !done {
			t.Fatalf("%q not handled by the fast path", in)
		}
		lit := in
		if lit[len(lit)-1] == '.' {
			lit += "0"
		}
		if lit[0] == '.' {
			lit = "0" + lit
		}
		r, ok := new(big.Rat).SetString(lit)
		if !ok {
			t.Fatalf("big.Rat rejects %q", lit)
		}
		cents := roundHalfEven(new(big.Rat).Mul(r, big.NewRat(100, 1)))
		want := priceline.Money{Decimal: canonicalDecimal(r, lit), Cents: cents.Int64(), Set: true}
		if fast != want || !fok || fp != (r.Sign() > 0) {
			t.Errorf("plainMoney(%q) = %+v %v %v; general path %+v", in, fast, fp, fok, want)
		}
	}
}
