package pricing

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/services"
)

// MaxServiceLimit bounds the services one search returns.
const MaxServiceLimit = 70

// Services finds the catalogue's services for plain words or a code; an
// empty q lists them all, by category.
func (s *Service) Services(q string) []services.Service {
	cat := services.Default()
	if strings.TrimSpace(q) == "" {
		var out []services.Service
		for _, c := range cat.Categories() {
			out = append(out, c.Services...)
		}
		return out
	}
	var out []services.Service
	for _, h := range cat.Search(q, MaxServiceLimit) {
		out = append(out, h.Service)
	}
	return out
}

// ServiceQuery asks for one catalogue service's prices across hospitals,
// whatever code each hospital files it under.
type ServiceQuery struct {
	ServiceID string
	// DescriptionMatches includes hospitals whose rows were matched by
	// description only (chargemaster codes); false leaves them out.
	DescriptionMatches bool
	Payer, Plan        string // normalised names (GET /api/payers)
	Sort               string // one of CompareOrders
	Benefits           estimate.Benefits
}

// ParseDescriptionMatches reads the descriptionMatches switch of a
// comparison by service: "" or "true" includes the hospitals matched by
// description only (the default), "false" leaves them out.
func ParseDescriptionMatches(v string) (bool, error) {
	switch v {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid("invalid_description_matches", "descriptionMatches must be true or false.")
}

// ServiceMatch says how a hospital's rows were put under the service, in
// the hospital's own words.
type ServiceMatch struct {
	By          string         // services.ByCode or services.ByDescription
	Code        priceline.Code // the hospital's own code
	Description string         // the hospital's own description
	Score       float64
}

// ServiceComparison is a service's prices across hospitals: each hospital
// says how its rows matched, which of its amounts were left out and why, and
// what the person would pay.
type ServiceComparison struct {
	Comparison
	Service   services.Service
	Matches   map[string]ServiceMatch       // hospital ID → how it matched
	Estimates map[string]estimate.Estimate  // hospital ID → what the person would pay
	Rows      map[string][]priceline.Charge // hospital ID → the matched rows (amounts flagged removed)
	// CodesLeftOut counts the matched codes not read because the comparison
	// reached MaxServiceCodes (the weakest matches are the ones left out).
	CodesLeftOut int
}

// MaxServiceCodes bounds the procedure partitions one service comparison
// reads, so that one anonymous request costs a number of storage requests
// set by the server, not by how many chargemaster codes hospitals use.
// Code matches come first, then description matches by score.
const MaxServiceCodes = 64

// CompareService compares one service across hospitals from the service
// index: code matches where a hospital has them, otherwise (and only when
// asked) description matches, never both for one hospital.
func (s *Service) CompareService(ctx context.Context, q ServiceQuery) (*ServiceComparison, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	svc, ok := services.Default().ByID(strings.TrimSpace(q.ServiceID))
	if !ok {
		return nil, priceline.Errorf(priceline.KindNotFound, "service_not_found", "There is no such service. GET /api/services lists them.")
	}
	payer, plan := strings.TrimSpace(q.Payer), strings.TrimSpace(q.Plan)
	if plan != "" && payer == "" {
		return nil, MissingPayer.Err()
	}
	if q.Sort != "" && !slices.Contains(CompareOrders, q.Sort) {
		return nil, invalid("invalid_sort", "The table can be sorted only by hospital, gross, cash, negotiated, min or max.")
	}
	idx, ok := st.(priceline.ServiceIndex)
	if !ok {
		return nil, priceline.Errorf(priceline.KindUnavailable, "prices_unavailable", "Prices by service are not available right now.")
	}
	index, err := idx.ServiceRows(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	matches, keep := chooseMatches(index, q.DescriptionMatches)
	byCode := map[priceline.Code][]priceline.ServiceRow{}
	best := map[priceline.Code]float64{}
	var codes []priceline.Code
	for _, r := range keep {
		k := priceline.NormalizeCode(r.Code)
		if _, ok := byCode[k]; !ok {
			codes = append(codes, k)
		}
		byCode[k] = append(byCode[k], r)
		best[k] = max(best[k], r.Score)
	}
	leftOut := 0
	if len(codes) > MaxServiceCodes {
		slices.SortFunc(codes, func(a, b priceline.Code) int {
			return cmp.Or(-cmp.Compare(best[a], best[b]), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Code, b.Code))
		})
		leftOut = len(codes) - MaxServiceCodes
		codes = codes[:MaxServiceCodes]
	}
	perHospital := map[string][]priceline.Charge{}
	for _, code := range codes {
		cs, err := st.ChargesFor(ctx, code)
		if err != nil {
			return nil, err
		}
		for i := range cs {
			if slices.ContainsFunc(byCode[code], func(r priceline.ServiceRow) bool { return covers(r, &cs[i]) }) {
				perHospital[cs[i].HospitalID] = append(perHospital[cs[i].HospitalID], cs[i])
			}
		}
	}
	names, err := hospitalNames(ctx, st)
	if err != nil {
		return nil, err
	}
	out := &ServiceComparison{Service: svc, Matches: map[string]ServiceMatch{},
		Estimates: map[string]estimate.Estimate{}, Rows: perHospital, CodesLeftOut: leftOut}
	flags := map[string][]string{}
	var rows []priceline.Charge
	for id, cs := range perHospital {
		if fl := flagAmounts(cs); len(fl) > 0 {
			flags[id] = fl
		}
		out.Matches[id] = matches[id]
		rows = append(rows, cs...)
	}
	pm := newPayerMatch(payer, plan)
	out.Comparison = Comparison{Payer: payer, Plan: plan, Names: names, Flags: flags,
		Comparison: priceline.Compare(pm.forCompare(rows, payer, plan), payer, plan, func(id string) string { return names[id] })}
	slices.SortStableFunc(out.Prices, hospitalOrder(q.Sort, names))
	for id, cs := range perHospital {
		if e := estimateFor(cs, pm, q.Benefits); e.Basis != estimate.BasisNone {
			out.Estimates[id] = e
		}
	}
	return out, nil
}

// chooseMatches keeps, per hospital, its code matches, or its description
// matches when it has none and they are asked for, and names the best of
// them (highest score, then code order) as how the hospital matched.
func chooseMatches(index []priceline.ServiceRow, withDescriptions bool) (map[string]ServiceMatch, []priceline.ServiceRow) {
	hasCode := map[string]bool{}
	for _, r := range index {
		if r.By == services.ByCode {
			hasCode[r.HospitalID] = true
		}
	}
	slices.SortFunc(index, func(a, b priceline.ServiceRow) int {
		return cmp.Or(cmp.Compare(a.HospitalID, b.HospitalID), -cmp.Compare(a.Score, b.Score),
			cmp.Compare(a.Code.Type, b.Code.Type), cmp.Compare(a.Code.Code, b.Code.Code), cmp.Compare(a.Description, b.Description))
	})
	matches := map[string]ServiceMatch{}
	var keep []priceline.ServiceRow
	for _, r := range index {
		switch {
		case r.By == services.ByCode:
		case r.By == services.ByDescription && withDescriptions && !hasCode[r.HospitalID]:
		default:
			continue
		}
		keep = append(keep, r)
		if _, ok := matches[r.HospitalID]; !ok {
			matches[r.HospitalID] = ServiceMatch{By: r.By, Code: r.Code, Description: r.Description, Score: r.Score}
		}
	}
	return matches, keep
}

// covers reports whether charge c is one of the rows index row r stands
// for: the same hospital, and for a description match the same wording
// (a chargemaster code may carry other rows).
func covers(r priceline.ServiceRow, c *priceline.Charge) bool {
	return r.HospitalID == c.HospitalID && (r.By == services.ByCode || c.Description == r.Description)
}

// estimateFor is what the person would pay one hospital: the lowest
// estimate over the rows of the chosen payer and plan when benefits are
// given, or the lowest discounted cash price when no payer is chosen.
func estimateFor(cs []priceline.Charge, pm *payerMatch, b estimate.Benefits) estimate.Estimate {
	var best estimate.Estimate
	for i := range cs {
		var e estimate.Estimate
		switch {
		case !pm.active():
			e = estimate.Cash(&cs[i])
		case b.Given() && pm.match(&cs[i]):
			e = estimate.ForPlan(&cs[i], b)
		default:
			continue
		}
		if e.Basis != estimate.BasisNone && (best.Basis == estimate.BasisNone || e.YouPay.Cents < best.YouPay.Cents) {
			best = e
		}
	}
	return best
}

// Estimates is estimateFor of every hospital of a comparison's rows, for
// the comparison by code.
func Estimates(rows []priceline.Charge, payer, plan string, b estimate.Benefits) map[string]estimate.Estimate {
	pm := newPayerMatch(strings.TrimSpace(payer), strings.TrimSpace(plan))
	by := map[string][]priceline.Charge{}
	for _, c := range rows {
		by[c.HospitalID] = append(by[c.HospitalID], c)
	}
	out := map[string]estimate.Estimate{}
	for id, cs := range by {
		if e := estimateFor(cs, pm, b); e.Basis != estimate.BasisNone {
			out[id] = e
		}
	}
	return out
}

// CompareRows is Compare with the rows it was built from, so that the
// caller can estimate what a person would pay at each hospital.
func (s *Service) CompareRows(ctx context.Context, q CompareQuery) (*Comparison, []priceline.Charge, error) {
	return s.compare(ctx, q, false)
}

// Detail is the comparison as a procedure page shows it: the payers and
// plans of the matched rows (normalised names, as CompareDetail lists
// them) and the hospitals' own descriptions.
func (c *ServiceComparison) Detail() *ComparisonDetail {
	var rows []priceline.Charge
	for _, cs := range c.Rows {
		rows = append(rows, cs...)
	}
	d := &ComparisonDetail{Comparison: c.Comparison, Rows: rows}
	d.Descriptions, d.Settings = describe(rows)
	d.Payers, d.Plans = choices(rows, c.Payer, c.Plan)
	return d
}
