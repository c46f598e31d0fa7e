package mrf

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// normHeader lower-cases a header cell and removes the spaces CMS allows
// around "|", so "Code | 1 | Type" and "code|1|type" are the same column.
func normHeader(s string) string {
	parts := strings.Split(s, "|")
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, "|")
}

// sniffDelimiter looks at the first record and refuses files that use a
// tab or semicolon where CMS requires commas.
func sniffDelimiter(br *bufio.Reader) *Problem {
	buf, _ := br.Peek(sniffBufferSize)
	var commas, tabs, semis int
	inQuote := false
	for _, c := range buf {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if c == '\n' {
			break
		}
		switch c {
		case ',':
			commas++
		case '\t':
			tabs++
		case ';':
			semis++
		}
	}
	kind := ""
	switch {
	case tabs > commas && tabs >= semis:
		kind = "tab"
	case semis > commas:
		kind = "semicolon"
	}
	if kind == "" {
		return nil
	}
	return &Problem{Row: 1, Rule: RuleCSVDelimiter, Severity: SeverityError,
		Message: fmt.Sprintf("the CMS format requires comma-separated values; this file looks %s-delimited", kind)}
}

// csvCols locates the columns of a CSV layout by their index in the row.
type csvCols struct {
	description, modifiers, setting, drugUnit, drugType int
	gross, cash, min, max, genericNotes                 int
	codes                                               []struct{ code, typ int }
	tall                                                csvPayerCols // tall: the one set of payer columns
	wide                                                []csvPayerCols
}

type csvPayerCols struct {
	payerName, planName                                               string // wide: from the header
	payer, plan, dollar, pct, alg, est, median, p10, p90, count, meth int
	notes                                                             int
}

// csvState is the CSV side of a Reader.
type csvState struct {
	cr      *csv.Reader
	cols    csvCols
	headers []string // row-3 header names as written, for messages
	rd      *Reader
	lim     *recordLimiter
}

func (r *Reader) openCSV(br *bufio.Reader) error {
	if p := sniffDelimiter(br); p != nil {
		r.file = append(r.file, *p)
		return r.formatErr()
	}
	lim := &recordLimiter{r: br}
	cr := csv.NewReader(lim)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	st := &csvState{cr: cr, rd: r, lim: lim}

	read := func(which string) ([]string, int, int, error) {
		lim.reset()
		rec, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.file.errorf(0, "", RuleHeaderBlank, "the file ends before header %s", which)
				return nil, 0, 0, r.formatErr()
			}
			return nil, 0, 0, r.csvErr(err)
		}
		start, _ := cr.FieldPos(0)
		endLine, _ := cr.FieldPos(len(rec) - 1)
		endLine += strings.Count(rec[len(rec)-1], "\n")
		return append([]string(nil), rec...), start, endLine, nil
	}
	row1, _, end1, err := read("row 1")
	if err != nil {
		return err
	}
	row2, start2, end2, err := read("row 2 (the values of row 1)")
	if err != nil {
		return err
	}
	row3, start3, _, err := read("row 3 (the item headers)")
	if err != nil {
		return err
	}
	// encoding/csv skips blank lines, but a blank header row shifts every
	// row after it, so it must be caught here.
	if start2 != end1+1 {
		r.file.errorf(end1+1, "", RuleHeaderBlank, "row %d is blank; row 2 must hold the values of the row-1 headers", end1+1)
		return r.formatErr()
	}
	if start3 != end2+1 {
		r.file.errorf(end2+1, "", RuleHeaderBlank, "row %d is blank; row 3 must hold the item and service headers", end2+1)
		return r.formatErr()
	}
	r.readGeneralHeaders(row1, row2)
	st.readItemHeaders(row3, start3)
	if hasErrors(r.file) && headerBroken(r.file) {
		return r.formatErr()
	}
	r.src = newCSVPipeline(st).next
	return nil
}

// headerBroken reports whether ps holds a header-structure error, the kind
// that makes every data row unreadable, as opposed to a bad value in row 2.
func headerBroken(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError && strings.HasPrefix(p.Rule, "header.") {
			return true
		}
	}
	return false
}

// csvErr records a CSV syntax error as a problem and returns it as a
// FormatError; other errors are I/O failures and pass through.
func (r *Reader) csvErr(err error) error {
	if limitErr(err) {
		return r.tooLarge(0)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		r.file.errorf(pe.StartLine, "", RuleCSVSyntax, "CSV syntax error on line %d: %v", pe.Line, pe.Err)
		return r.formatErr()
	}
	return fmt.Errorf("read %s: %w", r.name, err)
}

// readGeneralHeaders checks rows 1 and 2 and fills in the hospital.
func (r *Reader) readGeneralHeaders(row1, row2 []string) {
	ps := &r.file
	val := func(i int) string {
		if i < 0 || i >= len(row2) {
			return ""
		}
		return strings.TrimSpace(row2[i])
	}
	idx := map[string]int{}
	state, attest, affirm := "", -1, -1
	licenseCol := -1
	var layout family
	for i, h := range row1 {
		n := normHeader(h)
		switch {
		case n == "":
			continue
		case sameText(h, attestationV3):
			attest = i
			layout = familyV3
			continue
		case sameText(h, affirmationV2):
			affirm = i
			if layout == 0 {
				layout = familyV2
			}
			continue
		case strings.HasPrefix(n, "license_number|"):
			licenseCol, state = i, strings.ToUpper(strings.TrimPrefix(n, "license_number|"))
			continue
		}
		if _, dup := idx[n]; dup {
			ps.errorf(1, h, RuleHeaderDuplicate, "column %q appears twice in row 1", h)
			continue
		}
		idx[n] = i
		switch n {
		case "hospital_name", "last_updated_on", "version", "hospital_address", "general_contract_provisions":
		case "location_name", "type_2_npi", "attester_name":
			layout = familyV3
		case "hospital_location":
			if layout == 0 {
				layout = familyV2
			}
		default:
			ps.warnf(1, h, RuleHeaderUnknown, "row 1 has a column %q that CMS does not define; it is ignored", clip(h))
		}
	}
	col := func(n string) int {
		if i, ok := idx[n]; ok {
			return i
		}
		return -1
	}
	r.version = val(col("version"))
	r.fam = chooseFamily(r.version, layout, ps, "version")

	required := []string{"hospital_name", "last_updated_on", "version", "hospital_address"}
	locCol := "hospital_location"
	if r.fam == familyV3 {
		locCol = "location_name"
		required = append(required, "type_2_npi", "attester_name")
	}
	required = append(required, locCol)
	for _, n := range required {
		if col(n) < 0 {
			ps.errorf(1, n, RuleHeaderMissingColumn, "row 1 has no %q column", n)
		} else if val(col(n)) == "" {
			ps.errorf(2, n, RuleRequired, "%s is required in row 2", n)
		}
	}
	if licenseCol < 0 {
		ps.errorf(1, "license_number|[state]", RuleHeaderMissingColumn, "row 1 has no license_number|[state] column")
	} else if _, ok := states[state]; !ok {
		ps.errorf(1, row1[licenseCol], RuleEnumState, "%q is not a US state or territory code", state)
	}
	statementCol, statementName := affirm, "affirmation"
	if r.fam == familyV3 {
		statementCol, statementName = attest, "attestation"
	}
	if statementCol < 0 {
		ps.errorf(1, statementName, RuleHeaderMissingColumn, "row 1 has no %s statement column with the exact CMS wording", statementName)
	} else {
		switch v := strings.ToLower(val(statementCol)); v {
		case "true":
		case "false":
			ps.warnf(2, statementName, RuleAttestationFalse, "the hospital did not confirm the %s", statementName)
		case "":
			ps.errorf(2, statementName, RuleRequired, "the %s must be confirmed with true or false", statementName)
		default:
			ps.errorf(2, statementName, RuleEnumBoolean, "the %s value %q must be true or false", statementName, clip(val(statementCol)))
		}
	}
	date := val(col("last_updated_on"))
	if date != "" {
		d, ok := parseDate(date, true)
		if !ok {
			ps.errorf(2, "last_updated_on", RuleDate, "%q is not a date in the form YYYY-MM-DD or MM/DD/YYYY", clip(date))
		}
		date = d
	}
	h := priceline.Hospital{
		Name:          val(col("hospital_name")),
		Locations:     splitPipe(val(col(locCol))),
		Addresses:     splitPipe(val(col("hospital_address"))),
		LicenseNumber: val(licenseCol),
		LicenseState:  state,
		LastUpdatedOn: date,
		Version:       r.version,
	}
	h.ID = priceline.HospitalID(h.Name, h.LicenseNumber, h.LicenseState)
	r.hospital = h
}

// readItemHeaders maps row 3 to columns and decides tall or wide.
func (st *csvState) readItemHeaders(row3 []string, line int) {
	r := st.rd
	ps := &r.file
	st.headers = append([]string(nil), row3...)
	idx := map[string]int{}
	type group struct {
		payer, plan string
		cols        map[string]int
	}
	var groups []*group
	byKey := map[string]*group{}
	codeIdx := map[string]bool{}
	has22 := false
	for _, h := range row3 {
		has22 = has22 || is22Header(normHeader(h))
	}
	r.ver = chooseVersion(r.version, r.fam, has22, ps, "version")
	allBlank := true
	for i, h := range row3 {
		n := normHeader(h)
		if strings.Trim(n, "|") == "" {
			continue // blank header cells are ignored (CMS validator 2.6)
		}
		allBlank = false
		if _, dup := idx[n]; dup {
			ps.errorf(line, h, RuleHeaderDuplicate, "column %q appears twice in row 3", h)
			continue
		}
		idx[n] = i
		parts := strings.Split(n, "|")
		raw := strings.Split(h, "|")
		switch {
		case len(parts) == 2 && parts[0] == "code", len(parts) == 3 && parts[0] == "code" && parts[2] == "type":
			codeIdx[parts[1]] = true
		case (len(parts) == 4 && parts[0] == "standard_charge") || (len(parts) == 3 && isWidePrefix(parts[0], r.ver)):
			field := parts[len(parts)-1]
			if len(parts) == 3 {
				field = parts[0]
			}
			key := parts[1] + "|" + parts[2]
			g := byKey[key]
			if g == nil {
				g = &group{payer: strings.TrimSpace(raw[1]), plan: strings.TrimSpace(raw[2]), cols: map[string]int{}}
				byKey[key] = g
				groups = append(groups, g)
			}
			g.cols[field] = i
		}
	}
	if allBlank {
		ps.errorf(line, "", RuleHeaderBlank, "row 3 must hold the item and service headers")
		return
	}
	col := func(n string) int {
		if i, ok := idx[n]; ok {
			return i
		}
		return -1
	}
	need := func(n string) int {
		i := col(n)
		if i < 0 {
			ps.errorf(line, n, RuleHeaderMissingColumn, "row 3 has no %q column", n)
		}
		return i
	}
	c := &st.cols
	// CMS calls row 3 tall when it has both payer_name and plan_name.
	_, hasPayer := idx["payer_name"]
	_, hasPlan := idx["plan_name"]
	tall := hasPayer && hasPlan
	switch {
	case tall:
		r.format = FormatCSVTall
	case len(groups) > 0:
		r.format = FormatCSVWide
	case col("description") >= 0:
		// Neither tall nor wide for CMS (its AmbiguousFormatError). Read
		// on as wide without payers, so ingest keeps the gross and cash
		// prices; the verdict is invalid.
		r.format = FormatCSVWide
		ps.errorf(line, "", RuleLayoutNoPayers, "row 3 has neither payer_name and plan_name (tall) nor standard_charge|[payer]|[plan]|… columns (wide)")
	default:
		ps.errorf(line, "", RuleHeaderUnrecognized, "row 3 is neither a tall header (with payer_name) nor a wide header (with standard_charge|[payer]|[plan]|… columns)")
		return
	}
	c.description = need("description")
	c.setting = need("setting")
	// v2.2.0 added these columns; earlier files may lack them.
	needFrom22 := col
	if r.ver >= v220 {
		needFrom22 = need
	}
	c.drugUnit = needFrom22("drug_unit_of_measurement")
	c.drugType = needFrom22("drug_type_of_measurement")
	c.modifiers = needFrom22("modifiers")
	c.gross = need("standard_charge|gross")
	c.cash = need("standard_charge|discounted_cash")
	c.min = need("standard_charge|min")
	c.max = need("standard_charge|max")
	c.genericNotes = need("additional_generic_notes")
	if !codeIdx["1"] {
		need("code|1")
	}
	for i := 1; i <= len(codeIdx)+1; i++ {
		k := fmt.Sprint(i)
		if !codeIdx[k] {
			continue
		}
		cd := struct{ code, typ int }{need("code|" + k), need("code|" + k + "|type")}
		c.codes = append(c.codes, cd)
	}
	if len(c.codes) != len(codeIdx) {
		ps.errorf(line, "code|[i]", RuleHeaderUnrecognized, "code columns must be numbered 1, 2, 3, … without gaps")
	}
	v3 := r.fam == familyV3
	if tall {
		p := csvPayerCols{median: -1, p10: -1, p90: -1, count: -1, est: -1}
		p.payer = need("payer_name")
		p.plan = need("plan_name")
		p.dollar = need("standard_charge|negotiated_dollar")
		p.pct = need("standard_charge|negotiated_percentage")
		p.alg = need("standard_charge|negotiated_algorithm")
		p.meth = need("standard_charge|methodology")
		p.notes = col("additional_payer_notes")
		if v3 {
			p.median, p.p10, p.p90, p.count = need("median_amount"), need("10th_percentile"), need("90th_percentile"), need("count")
			p.est = col("estimated_amount")
		} else if r.ver.is22() {
			p.est = need("estimated_amount")
		} else {
			p.est = col("estimated_amount")
		}
		c.tall = p
		if len(groups) > 0 {
			g := groups[0]
			ps.errorf(line, "standard_charge|"+g.payer+"|"+g.plan, RuleHeaderAmbiguous, "row 3 has both tall columns (payer_name) and wide payer columns (%s|%s); a file must be one or the other", g.payer, g.plan)
		}
		return
	}
	for _, g := range groups {
		gcol := func(field string, required bool) int {
			if i, ok := g.cols[field]; ok {
				return i
			}
			if required {
				name := field + "|" + g.payer + "|" + g.plan
				if strings.HasPrefix(field, "negotiated_") || field == "methodology" {
					name = "standard_charge|" + g.payer + "|" + g.plan + "|" + field
				}
				ps.errorf(line, name, RuleHeaderMissingColumn, "row 3 has no %q column for payer %q plan %q", name, g.payer, g.plan)
			}
			return -1
		}
		p := csvPayerCols{payerName: g.payer, planName: g.plan, payer: -1, plan: -1}
		p.dollar = gcol("negotiated_dollar", true)
		p.pct = gcol("negotiated_percentage", true)
		p.alg = gcol("negotiated_algorithm", true)
		p.meth = gcol("methodology", true)
		p.notes = gcol("additional_payer_notes", true)
		p.median, p.p10, p.p90, p.count = gcol("median_amount", v3), gcol("10th_percentile", v3), gcol("90th_percentile", v3), gcol("count", v3)
		p.est = gcol("estimated_amount", r.ver.is22())
		for f := range g.cols {
			switch f {
			case "negotiated_dollar", "negotiated_percentage", "negotiated_algorithm", "methodology", "additional_payer_notes",
				"median_amount", "10th_percentile", "90th_percentile", "count", "estimated_amount":
			default:
				ps.warnf(line, g.payer+"|"+g.plan+"|"+f, RuleHeaderUnknown, "unknown payer column %q is ignored", f)
			}
		}
		c.wide = append(c.wide, p)
	}
}

// isWidePrefix reports the first parts of wide payer columns "x|payer|plan"
// in version v, as CMS's getPayersPlans reads them.
func isWidePrefix(s string, v cmsVersion) bool {
	switch s {
	case "additional_payer_notes":
		return true
	case "estimated_amount":
		return v.is22()
	case "median_amount", "10th_percentile", "90th_percentile", "count":
		return v >= v300
	}
	return false
}

// is22Header reports a row-3 header v2.2.0 added.
func is22Header(n string) bool {
	return n == "modifiers" || n == "drug_unit_of_measurement" || n == "drug_type_of_measurement" ||
		n == "estimated_amount" || strings.HasPrefix(n, "estimated_amount|")
}

func (st *csvState) row(rec []string, line int) ([]priceline.Charge, []Problem, error) {
	get := func(i int) field {
		if i < 0 {
			return field{}
		}
		f := field{col: st.headers[i]}
		if i < len(rec) {
			f.val = rec[i]
			f.set = strings.TrimSpace(rec[i]) != ""
		}
		return f
	}
	named := func(i int, name string) field {
		f := get(i)
		if f.col == "" {
			f.col = name
		}
		return f
	}
	c := &st.cols
	it := itemIn{
		description: get(c.description),
		modifiers:   get(c.modifiers),
		drugUnit:    get(c.drugUnit),
		drugType:    get(c.drugType),
	}
	for _, cd := range c.codes {
		it.codes = append(it.codes, codeIn{code: get(cd.code), typ: get(cd.typ)})
	}
	ci := chargesIn{
		setting: get(c.setting), gross: get(c.gross), cash: get(c.cash),
		min: get(c.min), max: get(c.max), genericNotes: get(c.genericNotes),
	}
	payer := func(p csvPayerCols) payerIn {
		return payerIn{
			payer: get(p.payer), plan: get(p.plan), dollar: get(p.dollar), pct: get(p.pct), alg: get(p.alg),
			est: named(p.est, "estimated_amount"), median: named(p.median, "median_amount"), p10: named(p.p10, "10th_percentile"),
			p90: named(p.p90, "90th_percentile"), count: named(p.count, "count"), methodology: get(p.meth),
			notes: named(p.notes, "additional_generic_notes"),
		}
	}
	if st.rd.format == FormatCSVTall {
		p := payer(c.tall)
		if c.tall.notes < 0 {
			p.notes = ci.genericNotes // v3 tall has one notes column for both uses
		} else {
			p.altNotes = ci.genericNotes
		}
		p.condNotes = ci.genericNotes
		if p.payer.set || p.plan.set || p.dollar.set || p.pct.set || p.alg.set || p.methodology.set || p.est.set ||
			p.median.set || p.p10.set || p.p90.set || p.count.set {
			ci.payers = append(ci.payers, p)
		}
	} else {
		for _, pc := range c.wide {
			p := payer(pc)
			p.payer = field{col: "payer", val: pc.payerName, set: true}
			p.plan = field{col: "plan", val: pc.planName, set: true}
			p.altNotes = ci.genericNotes
			p.condNotes = p.notes
			if p.dollar.set || p.pct.set || p.alg.set || p.methodology.set || p.est.set || p.median.set ||
				p.p10.set || p.p90.set || p.count.set || p.notes.set {
				ci.payers = append(ci.payers, p)
			}
		}
	}
	var ps problems
	ck := checker{fam: st.rd.fam, ver: st.rd.ver, csv: true, row: line, ps: &ps, hosp: st.rd.hospital.ID}
	base := ck.item(&it)
	chs := ck.charges(base, &ci, ck.modifierOnly(&it, base))
	return chs, ps, nil
}
