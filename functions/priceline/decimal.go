package priceline

import "strings"

// CanonicalDecimal writes a non-negative decimal, given as the digits before
// and after its point, in the canonical plain form Money.Decimal holds: no
// leading zeros but the one before a point, no trailing zeros after it, no
// point without a fraction: ("007", "50") is "7.5", ("", "5") is "0.5". The
// CMS file reader and the estimate form both write numbers this way, so the
// same number always reads the same.
func CanonicalDecimal(intPart, frac string) string {
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" {
		intPart = "0"
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}
