package services

import (
	"fmt"
	"slices"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// The outlier rule, in one sentence: a rate is an outlier when the same
// hospital has at least MinRatesForOutlier usable rates for the same service
// and the rate is more than OutlierFactor times, or less than
// 1/OutlierFactor of, the median of those rates.
const (
	OutlierFactor      = 10
	MinRatesForOutlier = 3
)

// Flag says why one rate of a list is not shown as a price.
type Flag struct {
	Index  int    // position in the list given to FlagRates
	Reason string // for people: "placeholder amount $0", "more than 10× the median …"
}

// Placeholder reports whether an amount is one hospitals write when they
// have no price: $0, $1, or a run of nines of five digits or more
// (99999, 9999999.99). It returns the reason when it is.
func Placeholder(m priceline.Money) (string, bool) {
	if !m.Set {
		return "", false
	}
	whole, frac, _ := strings.Cut(strings.TrimPrefix(m.Decimal, "+"), ".")
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	switch {
	case strings.HasPrefix(whole, "-"):
		return "", false
	case whole == "" && frac == "":
		return "placeholder amount $0", true
	case whole == "1" && frac == "":
		return "placeholder amount $1", true
	case len(whole) >= 5 && strings.Trim(whole, "9") == "" && strings.Trim(frac, "9") == "":
		return "placeholder amount $" + m.Decimal, true
	}
	return "", false
}

// FlagRates applies the placeholder and outlier rules to one hospital's
// rates for one service (amounts that are not Set are ignored). Placeholders
// are flagged first and left out of the median; the outlier rule then needs
// at least MinRatesForOutlier remaining rates. The flags are in list order.
func FlagRates(rates []priceline.Money) []Flag {
	var flags []Flag
	var usable []int // indexes of set, non-placeholder rates
	for i, r := range rates {
		if !r.Set {
			continue
		}
		if why, ok := Placeholder(r); ok {
			flags = append(flags, Flag{Index: i, Reason: why})
			continue
		}
		usable = append(usable, i)
	}
	if len(usable) >= MinRatesForOutlier {
		cents := make([]int64, len(usable))
		for k, i := range usable {
			cents[k] = rates[i].Cents
		}
		slices.Sort(cents)
		// Twice the median, so that the mean of the two middle rates of an
		// even count stays a whole number of cents and the rule stays exact.
		m := len(cents) / 2
		median2 := 2 * cents[m]
		if len(cents)%2 == 0 {
			median2 = cents[m-1] + cents[m]
		}
		for _, i := range usable {
			r2 := 2 * rates[i].Cents
			switch {
			case r2 > OutlierFactor*median2:
				flags = append(flags, Flag{Index: i, Reason: fmt.Sprintf("more than %d× the median (%s) of this hospital's %d rates for the service", OutlierFactor, halfCents(median2), len(usable))})
			case OutlierFactor*r2 < median2:
				flags = append(flags, Flag{Index: i, Reason: fmt.Sprintf("less than 1/%d of the median (%s) of this hospital's %d rates for the service", OutlierFactor, halfCents(median2), len(usable))})
			}
		}
	}
	slices.SortStableFunc(flags, func(a, b Flag) int { return a.Index - b.Index })
	return flags
}

// halfCents formats an amount given in half-cents as dollars: $12.34, or
// $12.345 for a median between two cents.
func halfCents(h int64) string {
	c := h / 2
	s := fmt.Sprintf("$%d.%02d", c/100, c%100)
	if h%2 != 0 {
		s += "5"
	}
	return s
}
