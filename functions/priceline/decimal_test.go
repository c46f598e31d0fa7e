package priceline

import "testing"

func TestCanonicalDecimal(t *testing.T) {
	for _, tc := range []struct{ intPart, frac, want string }{
		{"1234", "", "1234"},
		{"1234", "50", "1234.5"},
		{"007", "50", "7.5"},
		{"", "5", "0.5"},
		{"0", "", "0"},
		{"000", "000", "0"},
		{"", "", "0"},
		{"10", "0125", "10.0125"},
		{"100", "", "100"},
	} {
		if got := CanonicalDecimal(tc.intPart, tc.frac); got != tc.want {
			t.Errorf("CanonicalDecimal(%q, %q) = %q, want %q", tc.intPart, tc.frac, got, tc.want)
		}
	}
}
