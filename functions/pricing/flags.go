package pricing

import (
	"slices"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/services"
)

// The amounts of a row the placeholder and outlier rules look at, by the
// keys AmountFlag.Field uses.
const (
	FieldGross      = "gross"
	FieldCash       = "discountedCash"
	FieldNegotiated = "negotiatedDollar"
)

// AmountFlag is one amount of a charge row that is not shown as a price.
type AmountFlag struct {
	Field  string // FieldGross, FieldCash or FieldNegotiated
	Amount string // the amount as the file gave it
	Reason string // services.Flag's reason
}

// flaggedAmounts are the amounts the rules apply to, with names for people.
var flaggedAmounts = []struct {
	field, name string
	get         func(*priceline.Charge) *priceline.Money
}{
	{FieldGross, "gross charge", func(c *priceline.Charge) *priceline.Money { return &c.Gross }},
	{FieldCash, "discounted cash price", func(c *priceline.Charge) *priceline.Money { return &c.DiscountedCash }},
	{FieldNegotiated, "negotiated rate", func(c *priceline.Charge) *priceline.Money { return &c.NegotiatedDollar }},
}

// flagRows applies the placeholder and outlier rules (services.FlagRates)
// to one hospital's rows for one service or code, amount by amount, removes
// the flagged amounts from cs so that they are never used as prices, and
// returns each row's flags (nil for a row with none).
func flagRows(cs []priceline.Charge) [][]AmountFlag {
	var out [][]AmountFlag
	for _, f := range flaggedAmounts {
		rates := make([]priceline.Money, len(cs))
		for i := range cs {
			rates[i] = *f.get(&cs[i])
		}
		for _, fl := range services.FlagRates(rates) {
			if out == nil {
				out = make([][]AmountFlag, len(cs))
			}
			m := f.get(&cs[fl.Index])
			out[fl.Index] = append(out[fl.Index], AmountFlag{Field: f.field, Amount: m.Decimal, Reason: fl.Reason})
			*m = priceline.Money{}
		}
	}
	return out
}

// flagAmounts is flagRows for a hospital's entry: the distinct reasons, in
// the order of the amounts (gross, cash, negotiated), for people.
func flagAmounts(cs []priceline.Charge) []string {
	perRow := flagRows(cs)
	var reasons []string
	for _, f := range flaggedAmounts {
		for _, fls := range perRow {
			for _, fl := range fls {
				r := f.name + " $" + fl.Amount + ": " + fl.Reason
				if fl.Field == f.field && !slices.Contains(reasons, r) {
					reasons = append(reasons, r)
				}
			}
		}
	}
	return reasons
}

// flagHospitals is flagAmounts for each hospital of rows: it returns a copy
// of rows with the flagged amounts removed (the store's rows are left as
// they are) and the reasons by hospital ID.
func flagHospitals(rows []priceline.Charge) ([]priceline.Charge, map[string][]string) {
	rows = slices.Clone(rows)
	byHospital := map[string][]int{}
	var ids []string
	for i := range rows {
		id := rows[i].HospitalID
		if _, ok := byHospital[id]; !ok {
			ids = append(ids, id)
		}
		byHospital[id] = append(byHospital[id], i)
	}
	flags := map[string][]string{}
	for _, id := range ids {
		idx := byHospital[id]
		cs := make([]priceline.Charge, len(idx))
		for k, i := range idx {
			cs[k] = rows[i]
		}
		if fl := flagAmounts(cs); len(fl) > 0 {
			flags[id] = fl
		}
		for k, i := range idx {
			rows[i] = cs[k]
		}
	}
	return rows, flags
}
