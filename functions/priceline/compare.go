package priceline

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// HospitalPrice is one hospital's prices for a procedure in a comparison.
// Each amount is the lowest the hospital lists for the procedure across its
// rows (rows differ by setting, modifiers or description).
type HospitalPrice struct {
	HospitalID     string
	Rows           int // charge rows the hospital has for the procedure
	Gross          Money
	DiscountedCash Money
	Min            Money
	Max            Money
	// Negotiated is the lowest negotiated dollar amount of the chosen payer
	// and plan; NegotiatedPercentage and NegotiatedAlgorithm are given when
	// the hospital states the rate that way instead.
	Negotiated           Money
	NegotiatedPercentage string
	NegotiatedAlgorithm  string
	Methodology          string
	// Allowed is the allowed amounts of the chosen payer and plan (v3.0.0):
	// of the row with the lowest median, so that the range and count are
	// that median's own; when no row has a median, a row's count alone.
	Allowed   Allowed
	PayerRows int // rows of the chosen payer and plan
}

// Basis says which dollar figure stands for the hospital's rate with the
// chosen payer and plan: the negotiated dollar when the hospital states
// one, else the median allowed amount when its rows give one, else none.
// A median allowed amount is what the payer paid, not a negotiated price,
// so a consumer must label it (BasisMedianAllowed).
func (h *HospitalPrice) Basis() string {
	switch {
	case h.Negotiated.Set:
		return BasisNegotiatedDollar
	case h.Allowed.Median.Set:
		return BasisMedianAllowed
	}
	return BasisNone
}

// Spread is the range of one amount across hospitals.
type Spread struct {
	Hospitals int   // hospitals that list the amount
	Low       Money // lowest
	High      Money // highest
	// RatioPercent is High as a percentage of Low, a decimal string with one
	// decimal ("250.0"); "" when fewer than two hospitals or Low is zero.
	RatioPercent string
}

// Comparison is a procedure's prices across hospitals.
type Comparison struct {
	Prices         []HospitalPrice
	Gross          Spread
	DiscountedCash Spread
	Negotiated     Spread
	// MedianAllowed is the spread of the hospitals' median allowed amounts
	// for the chosen payer and plan, kept apart from Negotiated.
	MedianAllowed Spread
}

// Compare builds a comparison from the charges of one procedure. Payer and
// plan choose the negotiated rate (case-insensitive; an empty plan takes any
// plan of the payer). Hospitals come ordered by name.
func Compare(rows []Charge, payer, plan string, hospitalName func(id string) string) Comparison {
	byHospital := map[string]*HospitalPrice{}
	var order []string
	low := func(dst *Money, m Money) {
		if m.Set && (!dst.Set || m.Cents < dst.Cents) {
			*dst = m
		}
	}
	for i := range rows {
		c := &rows[i]
		hp := byHospital[c.HospitalID]
		if hp == nil {
			hp = &HospitalPrice{HospitalID: c.HospitalID}
			byHospital[c.HospitalID] = hp
			order = append(order, c.HospitalID)
		}
		hp.Rows++
		low(&hp.Gross, c.Gross)
		low(&hp.DiscountedCash, c.DiscountedCash)
		low(&hp.Min, c.Min)
		low(&hp.Max, c.Max)
		if payer == "" || !sameFold(c.Payer, payer) || (plan != "" && !sameFold(c.Plan, plan)) {
			continue
		}
		hp.PayerRows++
		low(&hp.Negotiated, c.NegotiatedDollar)
		if hp.NegotiatedPercentage == "" {
			hp.NegotiatedPercentage = c.NegotiatedPercentage
		}
		if hp.NegotiatedAlgorithm == "" {
			hp.NegotiatedAlgorithm = c.NegotiatedAlgorithm
		}
		if hp.Methodology == "" {
			hp.Methodology = c.Methodology
		}
		if a := c.Allowed(); !a.IsZero() && (hp.Allowed.IsZero() || compareAllowed(a, hp.Allowed) < 0) {
			hp.Allowed = a
		}
	}
	slices.SortFunc(order, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.ToLower(hospitalName(a)), strings.ToLower(hospitalName(b))), cmp.Compare(a, b))
	})
	var cmpn Comparison
	for _, id := range order {
		cmpn.Prices = append(cmpn.Prices, *byHospital[id])
	}
	spread := func(get func(*HospitalPrice) Money) Spread {
		var s Spread
		for i := range cmpn.Prices {
			m := get(&cmpn.Prices[i])
			if !m.Set {
				continue
			}
			s.Hospitals++
			if !s.Low.Set || m.Cents < s.Low.Cents {
				s.Low = m
			}
			if !s.High.Set || m.Cents > s.High.Cents {
				s.High = m
			}
		}
		if s.Hospitals >= 2 && s.Low.Cents > 0 {
			// Tenths of a percent, rounded half up, in integers: exact.
			t := (s.High.Cents*2000 + s.Low.Cents) / (2 * s.Low.Cents)
			s.RatioPercent = strconv.FormatInt(t/10, 10) + "." + strconv.FormatInt(t%10, 10)
		}
		return s
	}
	cmpn.Gross = spread(func(h *HospitalPrice) Money { return h.Gross })
	cmpn.DiscountedCash = spread(func(h *HospitalPrice) Money { return h.DiscountedCash })
	cmpn.Negotiated = spread(func(h *HospitalPrice) Money { return h.Negotiated })
	cmpn.MedianAllowed = spread(func(h *HospitalPrice) Money { return h.Allowed.Median })
	return cmpn
}
