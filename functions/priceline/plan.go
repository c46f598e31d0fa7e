package priceline

import (
	"strings"
)

// PlanBenefits are the benefits of a person's insurance plan that an
// estimate needs, kept on the account: canonical decimal strings (dollars
// with at most two decimals, the coinsurance a percentage from 0 to 100),
// "" for one left out. The estimate package parses what a person typed
// into this form; stores only check its shape.
type PlanBenefits struct {
	DeductibleRemaining string
	CoinsurancePercent  string
	Copay               string
	OOPMaxRemaining     string
}

// IsZero reports whether no benefit is given.
func (b PlanBenefits) IsZero() bool { return b == PlanBenefits{} }

// maxBenefitBytes bounds one stored benefit: twelve dollar digits, a dot
// and decimals, with room to spare.
const maxBenefitBytes = 20

// Validate checks that every benefit is a plain non-negative decimal, as
// the estimate package writes them.
func (b PlanBenefits) Validate() error {
	for _, v := range []string{b.DeductibleRemaining, b.CoinsurancePercent, b.Copay, b.OOPMaxRemaining} {
		if v == "" {
			continue
		}
		intPart, frac, _ := strings.Cut(v, ".")
		if len(v) > maxBenefitBytes || intPart == "" || strings.ContainsFunc(intPart+frac, func(r rune) bool { return r < '0' || r > '9' }) {
			return Errorf(KindInvalid, "invalid_plan", "The plan details must be plain amounts such as 1500.00 or 20.")
		}
	}
	return nil
}
