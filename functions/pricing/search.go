package pricing

import (
	"context"
	"slices"
	"strings"
	"sync"

	"hospitalpriceline/functions/priceline"
)

// Limits of the price questions. The web layer reads the same constants to
// bound its parameters, so the numbers in docs/api.md are these.
const (
	MaxPriceLimit         = 100 // rows per page of Search
	DefaultPriceLimit     = 20
	MaxProcedureLimit     = 50 // catalog entries per Procedures answer
	DefaultProcedureLimit = 10
	// maxCodesForQ is how many procedures Search reads when it is asked by
	// words instead of a code: enough for a useful answer, few enough that
	// one request cannot read the whole catalog.
	maxCodesForQ = 10
)

// Settings are the care settings a search may filter by.
var Settings = []string{"inpatient", "outpatient", "both"}

// PriceQuery asks for the charge rows of one procedure (Code and CodeType),
// or of the procedures whose descriptions match Q, filtered, sorted and
// paged. Empty filters do not filter.
type PriceQuery struct {
	Code, CodeType string
	Q              string // words of the description; alone, it finds the procedures
	Payer, Plan    string // case-insensitive names
	Setting        string // one of Settings, any case
	HospitalID     string // an ID from Hospitals
	Sort           string // one of priceline.SortOrders; "" is "hospital"
	Limit          int    // rows per page, 1 to MaxPriceLimit; 0 is DefaultPriceLimit
	Cursor         string // NextCursor of the previous page of the same query
	// Zip and RadiusMiles measure each row's hospital's distance (see
	// ParseOrigin): rows outside the radius are left out, and Sort may be
	// "distance" (nearest first; hospitals without a ZIP last, never
	// dropped).
	Zip, RadiusMiles string
}

// PriceRow is one charge row of an answer with the code it was found under.
type PriceRow struct {
	Code   priceline.Code
	Charge priceline.Charge
	// Flags are the row's amounts that are placeholders or outliers among
	// the hospital's rows for the code (flagRows): they are removed from
	// Charge, so they are neither shown nor sorted as prices, and kept here.
	Flags []AmountFlag
}

// PricePage is one page of a Search.
type PricePage struct {
	Rows       []PriceRow
	Total      int               // rows of the whole answer, every page
	NextCursor string            // "" on the last page
	Names      map[string]string // hospital ID to name, for every row
	// Distances are the miles from the query's ZIP to each row's hospital
	// that has a known ZIP; nil when the query gave no ZIP.
	Distances map[string]float64
}

// Search answers q: it checks every parameter (in the order the API has
// always reported them), reads the charges of the procedure, or of the
// catalog's procedures matching q.Q, keeps the rows that pass the filters,
// sorts them and cuts the page the cursor points at.
func (s *Service) Search(ctx context.Context, q PriceQuery) (*PricePage, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	limit, err := checkLimit(q.Limit, DefaultPriceLimit, MaxPriceLimit)
	if err != nil {
		return nil, err
	}
	code, hasCode, err := codeOf(q.Code, q.CodeType, false)
	if err != nil {
		return nil, err
	}
	// Payer and plan are normalised names (payerMatch), not the rows' own.
	filter := priceline.PriceQuery{HospitalID: q.HospitalID}
	pm := newPayerMatch(strings.TrimSpace(q.Payer), strings.TrimSpace(q.Plan))
	if q.Setting != "" {
		if !slices.Contains(Settings, strings.ToLower(q.Setting)) {
			return nil, invalid("invalid_setting", "setting must be inpatient, outpatient or both.")
		}
		filter.Setting = q.Setting
	}
	if q.HospitalID != "" && !priceline.IsLowerHex(q.HospitalID, 32) {
		return nil, invalid("invalid_hospital", "hospital must be an id from /api/hospitals.")
	}
	if q.Sort != "" && q.Sort != SortDistance && !slices.Contains(priceline.SortOrders, q.Sort) {
		return nil, invalid("invalid_sort", "sort must be one of %s or %s.", strings.Join(priceline.SortOrders, ", "), SortDistance)
	}
	origin, near, err := ParseOrigin(strings.TrimSpace(q.Zip), strings.TrimSpace(q.RadiusMiles))
	if err != nil {
		return nil, err
	}
	if q.Sort == SortDistance && !near {
		return nil, invalid("missing_zip", "sort=distance needs a zip.")
	}
	if !hasCode && q.Q == "" {
		return nil, invalid("missing_code", "Give code and codeType, or q to search descriptions.")
	}
	if q.Q != "" && len(priceline.SearchWords(q.Q)) == 0 {
		// Ignoring a q with nothing to search for would return rows it
		// did not ask for.
		return nil, invalid("invalid_query", "q needs at least one word of two or more letters or digits.")
	}
	offset := 0
	if q.Cursor != "" {
		if offset, err = s.readCursor(q.Cursor, q); err != nil {
			return nil, err
		}
	}

	var codes []priceline.Code
	if hasCode {
		codes = []priceline.Code{code}
		filter.Words = priceline.SearchWords(q.Q)
	} else if codes, err = catalogCodes(ctx, st, q.Q); err != nil {
		return nil, err
	}
	rows, err := readCharges(ctx, st, codes)
	if err != nil {
		return nil, err
	}
	flagPriceRows(rows)
	// The hospitals themselves, not only their names: distances need them.
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return nil, err
	}
	names := namesOf(hs)
	var dist map[string]float64
	if near {
		dist = origin.Distances(hs)
	}
	kept := slices.DeleteFunc(rows, func(r PriceRow) bool {
		if near {
			miles, known := dist[r.Charge.HospitalID]
			if !origin.Keep(miles, known) {
				return true
			}
		}
		return !filter.Match(&r.Charge) || !pm.match(&r.Charge)
	})
	if q.Sort == SortDistance {
		slices.SortStableFunc(kept, distanceOrder(dist, rowOrder("", names)))
	} else {
		slices.SortStableFunc(kept, rowOrder(q.Sort, names))
	}

	end := min(offset+limit, len(kept))
	page := &PricePage{Total: len(kept), Names: names, Distances: dist}
	if offset < end {
		page.Rows = kept[offset:end]
	}
	if end < len(kept) {
		page.NextCursor = s.makeCursor(end, q)
	}
	return page, nil
}

// catalogCodes finds the distinct codes of the procedures whose code or
// description matches q.
func catalogCodes(ctx context.Context, st priceline.PriceStore, q string) ([]priceline.Code, error) {
	ps, err := st.Procedures(ctx, q, maxCodesForQ)
	if err != nil {
		return nil, err
	}
	var codes []priceline.Code
	seen := map[priceline.Code]bool{}
	for _, pr := range ps {
		c := priceline.Code{Code: pr.Code, Type: pr.CodeType}
		if n := priceline.NormalizeCode(c); !seen[n] {
			seen[n] = true
			codes = append(codes, c)
		}
	}
	return codes, nil
}

// readCharges reads each code's partition concurrently.
func readCharges(ctx context.Context, st priceline.PriceStore, codes []priceline.Code) ([]PriceRow, error) {
	results := make([][]priceline.Charge, len(codes))
	errs := make([]error, len(codes))
	var wg sync.WaitGroup
	for i, c := range codes {
		wg.Go(func() { results[i], errs[i] = st.ChargesFor(ctx, c) })
	}
	wg.Wait()
	var out []PriceRow
	for i := range codes {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, ch := range results[i] {
			out = append(out, PriceRow{Code: codes[i], Charge: ch})
		}
	}
	return out, nil
}

// flagPriceRows applies the placeholder and outlier rules to each
// hospital's rows of each code, before any filter, so that a row's flags do
// not depend on the page or the filters it was asked with.
func flagPriceRows(rows []PriceRow) {
	type key struct {
		code     priceline.Code
		hospital string
	}
	groups := map[key][]int{}
	for i := range rows {
		k := key{rows[i].Code, rows[i].Charge.HospitalID}
		groups[k] = append(groups[k], i)
	}
	for _, idx := range groups {
		cs := make([]priceline.Charge, len(idx))
		for k, i := range idx {
			cs[k] = rows[i].Charge
		}
		perRow := flagRows(cs)
		for k, i := range idx {
			rows[i].Charge = cs[k]
			if perRow != nil {
				rows[i].Flags = perRow[k]
			}
		}
	}
}

// checkLimit returns the page size limit asks for: def for 0, an error
// outside 1 to max.
func checkLimit(limit, def, max int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 0 || limit > max:
		return 0, invalid("invalid_limit", "limit must be a whole number from 1 to %d.", max)
	}
	return limit, nil
}

// codeOf checks a code and its code type; required makes the code
// mandatory. ok is false when neither is given.
func codeOf(code, typ string, required bool) (c priceline.Code, ok bool, err error) {
	code, typ = strings.TrimSpace(code), strings.TrimSpace(typ)
	if code == "" {
		if required {
			return priceline.Code{}, false, invalid("missing_code", "code is required (with codeType).")
		}
		if typ != "" {
			return priceline.Code{}, false, invalid("missing_code", "codeType needs a code.")
		}
		return priceline.Code{}, false, nil
	}
	if typ == "" {
		return priceline.Code{}, false, invalid("missing_code_type", "codeType is required with code (for example CPT, HCPCS, MS-DRG or RC).")
	}
	for _, c := range typ {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return priceline.Code{}, false, invalid("invalid_code_type", "codeType may contain only letters, digits and dashes.")
		}
	}
	return priceline.Code{Code: code, Type: typ}, true, nil
}
