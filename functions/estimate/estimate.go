package estimate

import (
	"math/big"

	"hospitalpriceline/functions/priceline"
)

// Basis says which amount of a charge an estimate starts from.
type Basis string

// The bases of an estimate. BasisNone means no estimate is possible: the
// API leaves estimateBasis out then.
const (
	BasisNegotiatedDollar Basis = "negotiated_dollar" // the plan's negotiated dollar rate
	BasisMedianAllowed    Basis = "median_allowed"    // the v3 median allowed amount, when the rate is only a percentage or algorithm
	BasisCash             Basis = "cash"              // the discounted cash price, without insurance
	BasisNone             Basis = ""
)

// Estimate is what a person would pay, and what it is based on. YouPay is
// not Set when Basis is BasisNone.
type Estimate struct {
	YouPay priceline.Money // whole cents
	Basis  Basis
}

// PlanRate picks the rate r of a payer-specific charge: its negotiated
// dollar amount; or, when the plan pays only a percentage or by an
// algorithm, the v3 median allowed amount when the file gives one. A
// negative amount is no rate.
func PlanRate(c *priceline.Charge) (priceline.Money, Basis) {
	switch {
	case usable(c.NegotiatedDollar):
		return c.NegotiatedDollar, BasisNegotiatedDollar
	case (c.NegotiatedPercentage != "" || c.NegotiatedAlgorithm != "") && usable(c.Median):
		return c.Median, BasisMedianAllowed
	}
	return priceline.Money{}, BasisNone
}

func usable(m priceline.Money) bool {
	if !m.Set {
		return false
	}
	r, ok := new(big.Rat).SetString(m.Decimal)
	return ok && r.Sign() >= 0
}

// ForPlan estimates what a person with benefits b pays for charge c under
// the charge's payer and plan (see PlanRate and YouPay).
func ForPlan(c *priceline.Charge, b Benefits) Estimate {
	r, basis := PlanRate(c)
	if basis == BasisNone {
		return Estimate{}
	}
	pay, ok := YouPay(r, b)
	if !ok {
		return Estimate{}
	}
	return Estimate{YouPay: pay, Basis: basis}
}

// Cash is what a person without insurance pays for charge c: the
// discounted cash price, rounded half up to cents.
func Cash(c *priceline.Charge) Estimate {
	if !usable(c.DiscountedCash) {
		return Estimate{}
	}
	r, _ := new(big.Rat).SetString(c.DiscountedCash.Decimal)
	cents, ok := roundHalfUpCents(r)
	if !ok {
		return Estimate{}
	}
	return Estimate{YouPay: moneyOfCents(cents), Basis: BasisCash}
}

// YouPay is the person's share of a plan rate r:
//
//	min(oopMaxRemaining, copay + min(r, deductibleRemaining)
//	    + coinsurancePercent/100 × max(0, r − deductibleRemaining))
//
// computed exactly and rounded half up to cents once, at the end. ok is
// false when r or a benefit is not a usable amount, or the result does not
// fit in int64 cents.
func YouPay(r priceline.Money, b Benefits) (pay priceline.Money, ok bool) {
	rate, ok := ratOf(r, false)
	if !ok || rate.Sign() < 0 {
		return priceline.Money{}, false
	}
	ded, ok1 := ratOf(b.DeductibleRemaining, true)
	copay, ok2 := ratOf(b.Copay, true)
	pct := new(big.Rat)
	if b.CoinsurancePercent != "" {
		_, ok3 := pct.SetString(b.CoinsurancePercent)
		ok2 = ok2 && ok3 && pct.Sign() >= 0 && pct.Cmp(big.NewRat(100, 1)) <= 0
	}
	if !ok1 || !ok2 || ded.Sign() < 0 || copay.Sign() < 0 {
		return priceline.Money{}, false
	}

	deductiblePart := minRat(rate, ded)
	rest := new(big.Rat).Sub(rate, ded)
	if rest.Sign() < 0 {
		rest.SetInt64(0)
	}
	coinsurance := new(big.Rat).Mul(rest, pct)
	coinsurance.Quo(coinsurance, big.NewRat(100, 1))
	total := new(big.Rat).Add(copay, deductiblePart)
	total.Add(total, coinsurance)
	if b.OOPMaxRemaining.Set {
		oop, ok := ratOf(b.OOPMaxRemaining, false)
		if !ok || oop.Sign() < 0 {
			return priceline.Money{}, false
		}
		total = minRat(total, oop)
	}
	cents, ok := roundHalfUpCents(total)
	if !ok {
		return priceline.Money{}, false
	}
	return moneyOfCents(cents), true
}

// ratOf is the exact value of m; an unset m is zero when zeroIfUnset.
func ratOf(m priceline.Money, zeroIfUnset bool) (*big.Rat, bool) {
	if !m.Set {
		return new(big.Rat), zeroIfUnset
	}
	return new(big.Rat).SetString(m.Decimal)
}

func minRat(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

// roundHalfUpCents rounds a non-negative amount of dollars to whole cents,
// halves up: 0.005 becomes 0.01. ok is false past int64 cents.
func roundHalfUpCents(dollars *big.Rat) (int64, bool) {
	scaled := new(big.Rat).Mul(dollars, big.NewRat(100, 1))
	// floor(x + 1/2) is half up for x >= 0.
	scaled.Add(scaled, big.NewRat(1, 2))
	q := new(big.Int).Quo(scaled.Num(), scaled.Denom())
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}
