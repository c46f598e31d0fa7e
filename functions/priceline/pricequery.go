package priceline

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// SearchWords splits text into the lower-cased words the catalog indexes and
// searches: runs of letters and digits of at least two characters.
func SearchWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len([]rune(w)) >= 2 && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// HasWords reports whether every one of words starts a word of description
// (as SearchWords splits it): the catalog's match rule, kept once for every
// store.
func HasWords(description string, words []string) bool {
	have := SearchWords(description)
	for _, w := range words {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// PriceQuery selects and orders charge rows of one procedure. Empty fields
// do not filter.
type PriceQuery struct {
	Words      []string // every word must start a word of the description (see SearchWords)
	Payer      string   // case-insensitive equality with the payer name
	Plan       string   // case-insensitive equality with the plan name
	Setting    string   // inpatient, outpatient or both (case-insensitive)
	HospitalID string
}

// Match reports whether c passes every filter of q.
func (q PriceQuery) Match(c *Charge) bool {
	if q.HospitalID != "" && c.HospitalID != q.HospitalID {
		return false
	}
	if q.Payer != "" && !sameFold(c.Payer, q.Payer) {
		return false
	}
	if q.Plan != "" && !sameFold(c.Plan, q.Plan) {
		return false
	}
	if q.Setting != "" && !sameFold(c.Setting, q.Setting) {
		return false
	}
	if len(q.Words) > 0 {
		have := SearchWords(c.Description)
		for _, w := range q.Words {
			if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
				return false
			}
		}
	}
	return true
}

// sameFold compares names ignoring case and surrounding or repeated spaces,
// which is how files differ in spelling the same payer.
func sameFold(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// Sort orders for charge rows. A leading "-" on the money orders reverses
// them; rows without the amount always come last. "negotiated" sorts by the
// negotiated dollar amount; rows that have none but a median allowed amount
// (a rate stated as a percentage or an algorithm, v3.0.0) come after every
// row with a negotiated dollar, in either direction, ordered among
// themselves by their median in the same direction, and rows with neither
// come last: a median is what the payer paid, not a negotiated price, so it
// never takes a negotiated dollar's place in the order.
var SortOrders = []string{"hospital", "gross", "-gross", "cash", "-cash", "negotiated", "-negotiated"}

// ChargeOrder returns the comparison of order (one of SortOrders; ""
// means "hospital"), with ties broken so that the order is total and stable
// across requests. hospitalName names each hospital ID.
func ChargeOrder(order string, hospitalName func(id string) string) func(a, b *Charge) int {
	// amount returns the amount a row sorts by and its tier: 0 for the
	// amount itself, 1 for the median allowed amount standing in for a
	// missing negotiated dollar, 2 for none (last).
	amount := func(c *Charge) (Money, int) { return Money{}, 2 }
	desc := strings.HasPrefix(order, "-")
	byMoney := func(get func(c *Charge) Money) func(c *Charge) (Money, int) {
		return func(c *Charge) (Money, int) {
			if m := get(c); m.Set {
				return m, 0
			}
			return Money{}, 2
		}
	}
	switch strings.TrimPrefix(order, "-") {
	case "gross":
		amount = byMoney(func(c *Charge) Money { return c.Gross })
	case "cash":
		amount = byMoney(func(c *Charge) Money { return c.DiscountedCash })
	case "negotiated":
		amount = func(c *Charge) (Money, int) {
			switch {
			case c.NegotiatedDollar.Set:
				return c.NegotiatedDollar, 0
			case c.Median.Set:
				return c.Median, 1
			}
			return Money{}, 2
		}
	}
	return func(a, b *Charge) int {
		ma, ta := amount(a)
		mb, tb := amount(b)
		switch {
		case ta != tb:
			return cmp.Compare(ta, tb)
		case ta < 2 && ma.Cents != mb.Cents:
			if desc {
				return cmp.Compare(mb.Cents, ma.Cents)
			}
			return cmp.Compare(ma.Cents, mb.Cents)
		}
		return cmp.Or(
			cmp.Compare(strings.ToLower(hospitalName(a.HospitalID)), strings.ToLower(hospitalName(b.HospitalID))),
			cmp.Compare(a.HospitalID, b.HospitalID),
			cmp.Compare(strings.ToLower(a.Payer), strings.ToLower(b.Payer)),
			cmp.Compare(strings.ToLower(a.Plan), strings.ToLower(b.Plan)),
			cmp.Compare(a.Setting, b.Setting),
			cmp.Compare(a.Description, b.Description),
			cmp.Compare(a.NegotiatedDollar.Cents, b.NegotiatedDollar.Cents),
			cmp.Compare(a.NegotiatedPercentage, b.NegotiatedPercentage),
			cmp.Compare(a.NegotiatedAlgorithm, b.NegotiatedAlgorithm),
			cmp.Compare(strings.Join(a.Modifiers, ","), strings.Join(b.Modifiers, ",")),
			cmp.Compare(a.Gross.Cents, b.Gross.Cents),
			cmp.Compare(a.DiscountedCash.Cents, b.DiscountedCash.Cents),
			cmp.Compare(a.Payer, b.Payer),
			cmp.Compare(a.Plan, b.Plan),
			cmp.Compare(a.Median.Cents, b.Median.Cents),
		)
	}
}
