package estimate

import (
	"strings"

	"hospitalpriceline/functions/priceline"
)

// Benefits are what a person tells us about their plan. An amount left
// out is not Set: no deductible left, no coinsurance, no copay, and no
// out-of-pocket cap.
type Benefits struct {
	DeductibleRemaining priceline.Money // what is left of the deductible this year
	CoinsurancePercent  string          // canonical decimal 0–100, e.g. "20" or "12.5"; "" for none
	Copay               priceline.Money // a fixed amount per service
	OOPMaxRemaining     priceline.Money // what is left of the out-of-pocket maximum; not Set means no cap
}

// Given reports whether the person gave any of the benefits. A caller
// should not estimate a plan's share without them: every share would be $0.
func (b Benefits) Given() bool {
	return b.DeductibleRemaining.Set || b.CoinsurancePercent != "" || b.Copay.Set || b.OOPMaxRemaining.Set
}

// ParseBenefits reads the four benefit parameters as a person types them
// (see ParseDollars and ParsePercent); an empty string leaves one out. The
// error is a *priceline.Error of KindInvalid naming the first bad value in
// parameter order: invalid_deductible, invalid_coinsurance, invalid_copay or
// invalid_oop_max.
func ParseBenefits(deductibleRemaining, coinsurancePercent, copay, oopMaxRemaining string) (Benefits, error) {
	var b Benefits
	var err error
	if b.DeductibleRemaining, err = dollarsParam(deductibleRemaining, "invalid_deductible", "The deductible remaining"); err != nil {
		return Benefits{}, err
	}
	if strings.TrimSpace(coinsurancePercent) != "" {
		pct, why := ParsePercent(coinsurancePercent)
		if why != "" {
			return Benefits{}, priceline.Errorf(priceline.KindInvalid, "invalid_coinsurance",
				"The coinsurance %s: give a percentage from 0 to 100, for example 20.", why)
		}
		b.CoinsurancePercent = pct
	}
	if b.Copay, err = dollarsParam(copay, "invalid_copay", "The copay"); err != nil {
		return Benefits{}, err
	}
	if b.OOPMaxRemaining, err = dollarsParam(oopMaxRemaining, "invalid_oop_max", "The out-of-pocket maximum remaining"); err != nil {
		return Benefits{}, err
	}
	return b, nil
}

// dollarsParam parses one optional dollar parameter; what names it in the
// message a person reads.
func dollarsParam(raw, code, what string) (priceline.Money, error) {
	if strings.TrimSpace(raw) == "" {
		return priceline.Money{}, nil
	}
	m, why := ParseDollars(raw)
	if why != "" {
		return priceline.Money{}, priceline.Errorf(priceline.KindInvalid, code,
			"%s %s: give dollars, for example 1500 or 1,500.00.", what, why)
	}
	return m, nil
}
