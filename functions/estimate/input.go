package estimate

import (
	"math/big"
	"strconv"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// MaxDollarDigits bounds the whole-dollar digits a person may type: twelve
// digits (under a trillion dollars) is far above any benefit amount and keeps
// every sum of inputs and rates well inside int64 cents.
const MaxDollarDigits = 12

// maxInputBytes bounds one typed value before any parsing work.
const maxInputBytes = 40

// ParseDollars reads an amount of dollars the way a person types it:
// "1500", "1,500.00", "$1500.5", "$ 1,500" or ".50". Commas must group
// thousands; at most two decimals (cents); never negative. It returns the
// reason in words when s is not such an amount.
func ParseDollars(s string) (priceline.Money, string) {
	t := strings.TrimSpace(s)
	if len(t) > maxInputBytes {
		return priceline.Money{}, "is too long"
	}
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "$-") || strings.HasPrefix(t, "($") {
		return priceline.Money{}, "must not be negative"
	}
	t = strings.TrimSpace(strings.TrimPrefix(t, "$"))
	if t == "" {
		return priceline.Money{}, "is not an amount of dollars"
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return priceline.Money{}, "has commas that do not group thousands"
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return priceline.Money{}, "has commas that do not group thousands"
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return priceline.Money{}, "is not an amount of dollars (for example 1500 or 1,500.00)"
	}
	if hasDot && len(frac) > 2 {
		return priceline.Money{}, "has more than two decimals (cents)"
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > MaxDollarDigits {
		return priceline.Money{}, "is too large (at most 999,999,999,999.99)"
	}
	var cents int64
	for _, c := range intPart + (frac + "00")[:2] {
		cents = cents*10 + int64(c-'0')
	}
	return moneyOfCents(cents), ""
}

// ParsePercent reads a percentage from 0 to 100 as a person types it:
// "20", "12.5", "20 %". It returns the canonical decimal ("12.5") and the
// reason in words when s is not such a percentage.
func ParsePercent(s string) (string, string) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if len(t) > maxInputBytes {
		return "", "is too long"
	}
	if strings.HasPrefix(t, "-") {
		return "", "must not be negative"
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", "is not a percentage (for example 20 or 12.5)"
	}
	canon := priceline.CanonicalDecimal(intPart, frac)
	r, _ := new(big.Rat).SetString(canon)
	if r.Cmp(big.NewRat(100, 1)) > 0 {
		return "", "is more than 100 %"
	}
	return canon, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// moneyOfCents is the Money of a whole number of cents, its decimal written
// the way priceline.Money writes decimals (no trailing zeros).
func moneyOfCents(cents int64) priceline.Money {
	neg := cents < 0
	u := uint64(cents)
	if neg {
		u = -u
	}
	dollars, rest := u/100, u%100
	dec := strconv.FormatUint(dollars, 10)
	switch {
	case rest == 0:
	case rest%10 == 0:
		dec += "." + string(rune('0'+rest/10))
	default:
		dec += "." + string(rune('0'+rest/10)) + string(rune('0'+rest%10))
	}
	if neg {
		dec = "-" + dec
	}
	return priceline.Money{Decimal: dec, Cents: cents, Set: true}
}
