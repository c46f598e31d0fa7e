package priceline

import "cmp"

// Allowed is what a payer actually paid a hospital for an item or service
// over the file's lookback period (v3.0.0): the median, 10th and 90th
// percentile of the allowed amounts and how many there were. CMS asks for
// them where the negotiated rate is a percentage or an algorithm, so that a
// person still has a dollar figure; they are not a negotiated rate, and the
// comparison never takes one for the other (see Basis).
type Allowed struct {
	Median Money
	P10    Money
	P90    Money
	// Count is kept as the file writes it: "0", "1 through 10" (CMS's
	// wording for counts too small to publish) or a whole number above 10.
	Count string
}

// IsZero reports whether a gives neither an amount nor a count.
func (a Allowed) IsZero() bool { return !a.Median.Set && !a.P10.Set && !a.P90.Set && a.Count == "" }

// Allowed returns c's allowed amounts.
func (c *Charge) Allowed() Allowed {
	return Allowed{Median: c.Median, P10: c.P10, P90: c.P90, Count: c.Count}
}

// compareAllowed orders allowed amounts so that a comparison picks one set
// whatever order the rows come in: a median before none, then the lowest
// median, then the rest of the set, so that a median always travels with
// its own range and count.
func compareAllowed(a, b Allowed) int {
	switch {
	case a.Median.Set && !b.Median.Set:
		return -1
	case !a.Median.Set && b.Median.Set:
		return 1
	}
	return cmp.Or(
		cmp.Compare(a.Median.Cents, b.Median.Cents), cmp.Compare(a.Median.Decimal, b.Median.Decimal),
		cmp.Compare(a.P10.Cents, b.P10.Cents), cmp.Compare(a.P10.Decimal, b.P10.Decimal),
		cmp.Compare(a.P90.Cents, b.P90.Cents), cmp.Compare(a.P90.Decimal, b.P90.Decimal),
		cmp.Compare(a.Count, b.Count),
	)
}

// What stands for a hospital's rate with the chosen payer and plan in a
// comparison (HospitalPrice.Basis).
const (
	// BasisNegotiatedDollar: the hospital states a negotiated dollar amount.
	BasisNegotiatedDollar = "negotiatedDollar"
	// BasisMedianAllowed: no negotiated dollar (the rate is a percentage or
	// an algorithm), but a median allowed amount, shown labelled as such.
	BasisMedianAllowed = "medianAllowed"
	// BasisNone: neither; the payer's rows, if any, give no dollar figure.
	BasisNone = "none"
)
