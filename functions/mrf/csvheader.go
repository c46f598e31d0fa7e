package mrf

import (
	"fmt"
	"slices"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// readGeneralHeaders checks rows 1 and 2 and fills in the hospital.
func (r *Reader) readGeneralHeaders(row1, row2 []string) {
	ps := &r.file
	val := func(i int) string {
		if i < 0 || i >= len(row2) {
			return ""
		}
		return strings.TrimSpace(row2[i])
	}
	idx := headerIndex{}
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
	col := idx.col
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
		if r.salvage {
			st, known := salvageState(state)
			if known {
				ps.warnf(1, row1[licenseCol], RuleSalvagePlaceholder, "license state %q read as %s", clip(state), st)
			} else {
				ps.warnf(1, row1[licenseCol], RuleSalvageCellDropped, "license state %q left out", clip(state))
			}
			state = st
		}
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
			if r.salvage {
				if d, ok = lenientDate(date); ok {
					ps.warnf(2, "last_updated_on", RuleSalvageDate, "last_updated_on %q read as %s", clip(date), d)
				}
			}
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
	idx := headerIndex{}
	type group struct {
		payer, plan string
		cols        map[string]int
		notes       []string // salvage: what was odd about its headers
	}
	var groups []*group
	byKey := map[string]*group{}
	// groupFor finds the payer and plan's group by key, or starts it.
	groupFor := func(key, payer, plan string) *group {
		g := byKey[key]
		if g == nil {
			g = &group{payer: payer, plan: plan, cols: map[string]int{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		return g
	}
	codeIdx := map[string]bool{}
	var codeKeys []string // the code columns' i, in header order (salvage pairs them as written)
	var payerCols []bool  // salvage: row-3 columns read as payer columns
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
		if r.salvage {
			if pc, ok := salvagePayerColumn(parts, raw); ok {
				g := groupFor(strings.ToLower(pc.payer+"|"+pc.plan), pc.payer, pc.plan)
				g.cols[pc.field] = i
				if pc.note != "" && !slices.Contains(g.notes, pc.note) {
					g.notes = append(g.notes, pc.note)
				}
				payerCols = markColumn(payerCols, i)
				continue
			}
		}
		switch {
		case len(parts) == 2 && parts[0] == "code", len(parts) == 3 && parts[0] == "code" && parts[2] == "type":
			if !codeIdx[parts[1]] {
				codeKeys = append(codeKeys, parts[1])
			}
			codeIdx[parts[1]] = true
		case (len(parts) == 4 && parts[0] == "standard_charge") || (len(parts) == 3 && isWidePrefix(parts[0], r.ver)):
			field := parts[len(parts)-1]
			if len(parts) == 3 {
				field = parts[0]
			}
			g := groupFor(parts[1]+"|"+parts[2], strings.TrimSpace(raw[1]), strings.TrimSpace(raw[2]))
			g.cols[field] = i
		}
	}
	if allBlank {
		ps.errorf(line, "", RuleHeaderBlank, "row 3 must hold the item and service headers")
		return
	}
	col := idx.col
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
	switch {
	case r.salvage:
		// Any numbering, placeholders ("code|[i]") and a code without its
		// type column: each code column is read with its type if it has one.
		for _, k := range codeKeys {
			if i := col("code|" + k); i >= 0 {
				c.codes = append(c.codes, struct{ code, typ int }{i, col("code|" + k + "|type")})
			}
		}
		if len(c.codes) == 0 {
			need("code|1")
		}
	default:
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
	}
	if r.salvage {
		warnUnknownItemHeaders(ps, line, row3, payerCols)
	}
	v3 := r.fam == familyV3
	if tall {
		p := csvPayerCols{median: -1, p10: -1, p90: -1, count: -1, est: -1}
		p.payer = need("payer_name")
		p.plan = need("plan_name")
		p.locate(func(field string, required bool) int {
			n := field
			if underStandardCharge(field) {
				n = "standard_charge|" + field
			}
			if required {
				return need(n)
			}
			return col(n)
		}, v3, r.ver, false)
		c.tall = p
		if len(groups) > 0 {
			g := groups[0]
			ps.errorf(line, "standard_charge|"+g.payer+"|"+g.plan, RuleHeaderAmbiguous, "row 3 has both tall columns (payer_name) and wide payer columns (%s|%s); a file must be one or the other", g.payer, g.plan)
		}
		return
	}
	for _, g := range groups {
		var missing []string
		gcol := func(field string, required bool) int {
			if i, ok := g.cols[field]; ok {
				return i
			}
			if required && r.salvage {
				missing = append(missing, field)
				return -1
			}
			if required {
				name := field + "|" + g.payer + "|" + g.plan
				if underStandardCharge(field) {
					name = "standard_charge|" + g.payer + "|" + g.plan + "|" + field
				}
				ps.errorf(line, name, RuleHeaderMissingColumn, "row 3 has no %q column for payer %q plan %q", name, g.payer, g.plan)
			}
			return -1
		}
		p := csvPayerCols{payerName: g.payer, planName: g.plan, payer: -1, plan: -1}
		p.locate(gcol, v3, r.ver, true)
		if r.salvage {
			p.payerName, p.planName = salvagePayerNames(ps, line, g.payer, g.plan, missing, g.notes)
		}
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

// headerIndex maps a header row's normalized names to their columns.
type headerIndex map[string]int

// col is the column of header n, or -1 when the row has none.
func (h headerIndex) col(n string) int {
	if i, ok := h[n]; ok {
		return i
	}
	return -1
}

// locate finds a payer's price columns through col, which looks one up by
// its field name (the last part of a wide header, as negotiated_dollar) and
// reports it when required and missing. Tall and wide rows ask for the same
// fields under the same versions but for two: the payer notes, a column
// wide rows must have, and the v3 allowed amounts, which a v2 tall row never
// reads (a salvaged v2 wide row may carry them).
func (p *csvPayerCols) locate(col func(field string, required bool) int, v3 bool, ver cmsVersion, wide bool) {
	p.dollar = col("negotiated_dollar", true)
	p.pct = col("negotiated_percentage", true)
	p.alg = col("negotiated_algorithm", true)
	p.meth = col("methodology", true)
	p.notes = col("additional_payer_notes", wide)
	if v3 || wide {
		p.median, p.p10, p.p90, p.count = col("median_amount", v3), col("10th_percentile", v3), col("90th_percentile", v3), col("count", v3)
	}
	p.est = col("estimated_amount", ver.is22())
}

// underStandardCharge reports the payer fields whose headers are written
// under standard_charge (standard_charge|negotiated_dollar in a tall row,
// standard_charge|[payer]|[plan]|methodology in a wide one).
func underStandardCharge(field string) bool {
	return strings.HasPrefix(field, "negotiated_") || field == "methodology"
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
