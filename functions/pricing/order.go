package pricing

import (
	"cmp"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// The orders of prices. There is one rule, priceline.ChargeOrder: by an
// amount, rows without it last whichever the direction, ties by hospital
// name. Search sorts charge rows by it directly; a comparison sorts its
// hospitals by it too, by putting the amount it sorts by where ChargeOrder
// looks for one (see hospitalOrder).

// CompareOrders are the orders of a comparison's hospitals: by name or by
// one amount (see Measure); "-" reverses.
var CompareOrders = []string{"hospital", "-hospital", "gross", "-gross", "cash", "-cash", "negotiated", "-negotiated", "min", "-min", "max", "-max"}

// Measure returns the amount of a hospital's prices that a key of
// CompareOrders (without "-") names, or nil for "hospital" and unknown keys.
// "negotiated" is the negotiated dollar alone: a median allowed amount is
// never returned as one.
func Measure(key string) func(*priceline.HospitalPrice) priceline.Money {
	switch key {
	case "gross":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Gross }
	case "cash":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.DiscountedCash }
	case "negotiated":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Negotiated }
	case "min":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Min }
	case "max":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Max }
	}
	return nil
}

// rowOrder is the order of Search's rows: priceline.ChargeOrder, then the
// code a row was found under, so that a row filed under two codes of one
// answer keeps one place.
func rowOrder(sort string, names map[string]string) func(a, b PriceRow) int {
	order := priceline.ChargeOrder(sort, func(id string) string { return names[id] })
	return func(a, b PriceRow) int {
		return cmp.Or(order(&a.Charge, &b.Charge), cmp.Compare(a.Code.Type, b.Code.Type), cmp.Compare(a.Code.Code, b.Code.Code))
	}
}

// hospitalOrder is the order of a comparison's hospitals for sort (one of
// CompareOrders; "" is "hospital"). Each hospital stands in ChargeOrder as
// a charge carrying the amount sorted by, so the rule for missing amounts,
// directions and ties is ChargeOrder's own: "negotiated" puts the
// hospital's negotiated dollar and median allowed amount where ChargeOrder
// sorts by them (a median only after every negotiated dollar), any other
// amount goes in the gross charge's place; "-hospital" is the name order
// reversed.
func hospitalOrder(sort string, names map[string]string) func(a, b priceline.HospitalPrice) int {
	key, desc := strings.CutPrefix(sort, "-")
	measure := Measure(key)
	by := "hospital"
	switch {
	case key == "negotiated":
		by = sort
	case measure != nil && desc:
		by = "-gross"
	case measure != nil:
		by = "gross"
	}
	order := priceline.ChargeOrder(by, func(id string) string { return names[id] })
	asCharge := func(h *priceline.HospitalPrice) *priceline.Charge {
		c := &priceline.Charge{HospitalID: h.HospitalID}
		switch {
		case key == "negotiated":
			c.NegotiatedDollar, c.Median = h.Negotiated, h.Allowed.Median
		case measure != nil:
			c.Gross = measure(h)
		}
		return c
	}
	return func(a, b priceline.HospitalPrice) int {
		c := order(asCharge(&a), asCharge(&b))
		if measure == nil && desc {
			return -c
		}
		return c
	}
}
