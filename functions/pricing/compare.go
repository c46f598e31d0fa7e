package pricing

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// maxDescriptions bounds the descriptions a detailed comparison collects:
// hospitals word one procedure in a few ways, and a page shows only some.
const maxDescriptions = 5

// CompareQuery asks for one procedure's prices across hospitals.
type CompareQuery struct {
	Code, CodeType string
	// Payer and Plan choose the negotiated rate (case-insensitive; a plan
	// needs its payer, and no plan takes any plan of the payer).
	Payer, Plan string
	Sort        string // one of CompareOrders; "" is "hospital"
}

// Comparison is a procedure's prices across hospitals, with the hospitals
// in the order asked for.
type Comparison struct {
	Code        priceline.Code // as asked, trimmed
	Payer, Plan string         // as asked, trimmed
	priceline.Comparison
	Names map[string]string // hospital ID to name
	// Flags says, per hospital ID, which amounts were not shown as prices
	// and why (placeholders and outliers, flagAmounts): those amounts are
	// left out of the entries, the spreads, the sorts and the estimates.
	Flags map[string][]string
}

// ComparisonDetail is a Comparison with what the hospitals' rows say beyond
// the amounts, for a page about the procedure.
type ComparisonDetail struct {
	Comparison
	Descriptions []string // distinct, sorted, at most maxDescriptions
	Settings     []string // distinct, lower-case, sorted
	Payers       []Choice // the payers in the rows
	Plans        []Choice // the chosen payer's plans, or every plan when none is chosen
	// Rows are the procedure's rows the comparison was built from, so that
	// a page can estimate what a person would pay (Estimates).
	Rows []priceline.Charge
}

// Choice is one payer or plan the rows name, spelt as the first row that
// names it (runs of spaces made one), and whether the query chose it.
type Choice struct {
	Name   string
	Chosen bool
}

// Compare gives one entry per hospital for a procedure and the spread of
// each price across hospitals. A procedure no hospital lists is an empty
// comparison. It reads only the fields a comparison needs
// (PriceStore.CompareRows).
func (s *Service) Compare(ctx context.Context, q CompareQuery) (*Comparison, error) {
	c, _, err := s.compare(ctx, q, false)
	return c, err
}

// CompareDetail is Compare with the descriptions, settings, payers and plans
// of the procedure's rows. A procedure no hospital lists is not found.
func (s *Service) CompareDetail(ctx context.Context, q CompareQuery) (*ComparisonDetail, error) {
	c, rows, err := s.compare(ctx, q, true)
	if err != nil {
		return nil, err
	}
	d := &ComparisonDetail{Comparison: *c, Rows: rows}
	d.Descriptions, d.Settings = describe(rows)
	d.Payers, d.Plans = choices(rows, c.Payer, c.Plan)
	return d, nil
}

// compare checks q, reads the procedure's rows (whole rows when detail is
// set) and compares them.
func (s *Service) compare(ctx context.Context, q CompareQuery, detail bool) (*Comparison, []priceline.Charge, error) {
	st, err := s.store()
	if err != nil {
		return nil, nil, err
	}
	code, _, err := codeOf(q.Code, q.CodeType, true)
	if err != nil {
		return nil, nil, err
	}
	payer, plan := strings.TrimSpace(q.Payer), strings.TrimSpace(q.Plan)
	if plan != "" && payer == "" {
		return nil, nil, MissingPayer.Err()
	}
	if q.Sort != "" && !slices.Contains(CompareOrders, q.Sort) {
		return nil, nil, invalid("invalid_sort", "The table can be sorted only by hospital, gross, cash, negotiated, min or max.")
	}
	var rows []priceline.Charge
	if detail {
		rows, err = st.ChargesFor(ctx, code)
		if err == nil && len(rows) == 0 {
			err = priceline.Errorf(priceline.KindNotFound, "procedure_not_found",
				"No hospital lists prices for %s %s. Search again by name from the home page.", strings.ToUpper(code.Type), code.Code)
		}
	} else {
		rows, err = st.CompareRows(ctx, code)
	}
	if err != nil {
		return nil, nil, err
	}
	names, err := hospitalNames(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	rows, flags := flagHospitals(rows)
	pm := newPayerMatch(payer, plan)
	c := &Comparison{Code: code, Payer: payer, Plan: plan, Names: names, Flags: flags,
		Comparison: priceline.Compare(pm.forCompare(rows, payer, plan), payer, plan, func(id string) string { return names[id] })}
	slices.SortStableFunc(c.Prices, hospitalOrder(q.Sort, names))
	return c, rows, nil
}

// describe collects the distinct descriptions and settings hospitals give.
func describe(rows []priceline.Charge) (descs, settings []string) {
	for i := range rows {
		if d := strings.TrimSpace(rows[i].Description); d != "" && !slices.Contains(descs, d) && len(descs) < maxDescriptions {
			descs = append(descs, d)
		}
		if st := strings.ToLower(rows[i].Setting); st != "" && !slices.Contains(settings, st) {
			settings = append(settings, st)
		}
	}
	slices.Sort(descs)
	slices.Sort(settings)
	return descs, settings
}

// fold is the key under which spellings of one payer or plan are the same,
// as priceline.Compare matches them.
func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// choices lists the payers in the rows, and the plans of the chosen payer
// (every plan when none is chosen), each once, in alphabetical order.
func choices(rows []priceline.Charge, payer, plan string) (payers, plans []Choice) {
	// Files spell one payer several ways; each is listed once, under its
	// most frequent spelling (ties: the first in byte order), so the list
	// does not depend on the order the store returned the rows in.
	// The lists show normalised names (package payers); the rows keep the
	// hospital's wording.
	payerNames, planNames := spellings{}, spellings{}
	pm := newPayerMatch(payer, "")
	for i := range rows {
		c := &rows[i]
		np, nplan := pm.normalized(c.Payer, c.Plan)
		payerNames.add(np)
		if pm.match(c) {
			planNames.add(nplan)
		}
	}
	for _, name := range payerNames.best() {
		payers = append(payers, Choice{Name: name, Chosen: payer != "" && (sameKey(name, payer) || pm.payerNorm == payerKey(name))})
	}
	for _, name := range planNames.best() {
		plans = append(plans, Choice{Name: name, Chosen: plan != "" && sameKey(name, plan)})
	}
	byName := func(a, b Choice) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) }
	slices.SortFunc(payers, byName)
	slices.SortFunc(plans, byName)
	return payers, plans
}

// spellings counts the spellings of names that fold to the same key.
type spellings map[string]map[string]int

func (sp spellings) add(name string) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return
	}
	key := fold(name)
	if sp[key] == nil {
		sp[key] = map[string]int{}
	}
	sp[key][name]++
}

// best returns each key's most frequent spelling.
func (sp spellings) best() map[string]string {
	out := make(map[string]string, len(sp))
	for key, names := range sp {
		best, n := "", 0
		for name, c := range names {
			if c > n || c == n && name < best {
				best, n = name, c
			}
		}
		out[key] = best
	}
	return out
}
