package mrf

import (
	"strings"
)

// UnnamedPayer is the payer stored for a wide column set whose payer
// segment is a template placeholder ("[payer]") or empty.
const UnnamedPayer = "Unnamed payer"

// salvageRefuses reports whether a header CMS refuses cannot be read
// through either: row 3 is not recognisable as tall or wide (or is blank),
// or it mixes tall and wide columns, which leaves no way to know which
// columns belong to which payer.
func (r *Reader) salvageRefuses() bool {
	if r.format == "" {
		return true
	}
	for _, p := range r.file {
		if p.Severity == SeverityError && p.Rule == RuleHeaderAmbiguous {
			return true
		}
	}
	return false
}

// payerFields are the last segment of standard_charge|payer|plan|field;
// prefixFields the first of field|payer|plan.
var (
	payerFields  = setOf("negotiated_dollar", "negotiated_percentage", "negotiated_algorithm", "methodology")
	prefixFields = setOf("additional_payer_notes", "estimated_amount", "median_amount", "10th_percentile", "90th_percentile", "count")
)

type salvagedPayerColumn struct {
	payer, plan, field string
	note               string // what was odd, for the column set's warning
}

// salvagePayerColumn recognises a wide payer column however it was written:
// standard_charge|payer|plan|field, standard_charge|payer|field (no plan
// segment), field|payer|plan and field|payer, whatever the version, with
// template brackets removed. parts are the normalised segments, raw the
// segments as written.
func salvagePayerColumn(parts, raw []string) (salvagedPayerColumn, bool) {
	var pc salvagedPayerColumn
	switch {
	case len(parts) == 4 && parts[0] == "standard_charge" && (payerFields[parts[3]] || prefixFields[parts[3]]):
		pc = salvagedPayerColumn{payer: raw[1], plan: raw[2], field: parts[3]}
	case len(parts) == 3 && parts[0] == "standard_charge" && payerFields[parts[2]]:
		pc = salvagedPayerColumn{payer: raw[1], field: parts[2], note: "no plan segment"}
	case len(parts) == 3 && prefixFields[parts[0]]:
		pc = salvagedPayerColumn{payer: raw[1], plan: raw[2], field: parts[0]}
	case len(parts) == 2 && prefixFields[parts[0]]:
		pc = salvagedPayerColumn{payer: raw[1], field: parts[0], note: "no plan segment"}
	default:
		return pc, false
	}
	payer, payerHolder, payerBr := unbracket(pc.payer)
	plan, planHolder, planBr := unbracket(pc.plan)
	switch {
	case payerHolder || planHolder:
		pc.note = "a template placeholder instead of a name"
	case payerBr || planBr:
		pc.note = "brackets left from the template"
	}
	pc.payer, pc.plan = payer, plan
	return pc, true
}

// salvagePayerNames decides the payer and plan a wide column set is stored
// under and warns once for the set when it is incomplete or odd.
func salvagePayerNames(ps *problems, line int, payer, plan string, missing, notes []string) (string, string) {
	col := "standard_charge|" + payer + "|" + plan
	if payer == "" {
		payer = UnnamedPayer
		notes = append(notes, "stored as payer \""+UnnamedPayer+"\"")
	}
	if plan == "" {
		plan = AllPlans
		notes = append(notes, "stored as plan \""+AllPlans+"\"")
	}
	if len(missing) > 0 {
		notes = append(notes, "no "+strings.Join(missing, ", ")+" column")
	}
	if len(notes) > 0 {
		ps.warnf(line, col, RuleSalvagePayerColumns, "payer %q plan %q: %s; the columns it has are imported", clip(payer), clip(plan), strings.Join(notes, "; "))
	}
	return payer, plan
}

// markColumn records column i in a growable set.
func markColumn(set []bool, i int) []bool {
	for len(set) <= i {
		set = append(set, false)
	}
	set[i] = true
	return set
}

// itemHeaders are the row-3 columns CMS defines outside payer column sets
// and code columns.
var itemHeaders = setOf("description", "setting", "modifiers", "drug_unit_of_measurement", "drug_type_of_measurement",
	"standard_charge|gross", "standard_charge|discounted_cash", "standard_charge|min", "standard_charge|max",
	"additional_generic_notes", "payer_name", "plan_name", "standard_charge|negotiated_dollar",
	"standard_charge|negotiated_percentage", "standard_charge|negotiated_algorithm", "standard_charge|methodology",
	"estimated_amount", "median_amount", "10th_percentile", "90th_percentile", "count", "additional_payer_notes")

// warnUnknownItemHeaders names the row-3 columns salvage reading leaves
// out, so that nothing is dropped silently.
func warnUnknownItemHeaders(ps *problems, line int, row3 []string, payerCols []bool) {
	for i, h := range row3 {
		n := normHeader(h)
		if strings.Trim(n, "|") == "" || itemHeaders[n] || (i < len(payerCols) && payerCols[i]) {
			continue
		}
		parts := strings.Split(n, "|")
		if parts[0] == "code" && (len(parts) == 2 || len(parts) == 3 && parts[2] == "type") {
			continue
		}
		ps.warnf(line, h, RuleHeaderUnknown, "row 3 has a column %q that CMS does not define; it is ignored", clip(h))
	}
}

// salvageRecord fits a ragged row to row 3. A row whose description held
// unquoted commas (so every cell after it moved right) is rejoined when
// that puts known values back into the columns that check them (code
// types, setting). Trailing empty cells (a spreadsheet's stray commas) are
// dropped. Otherwise extra cells are ignored and missing ones read as
// empty, with a warning.
func (st *csvState) salvageRecord(rec []string, line int, ps *problems) []string {
	n := len(st.headers)
	if fixed, k, ok := st.rejoin(rec); ok {
		ps.warnf(line, st.headers[st.cols.description], RuleSalvageRagged, "the description held %d unquoted comma(s); its cells were rejoined", k)
		rec = fixed
	}
	for len(rec) > n && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	switch {
	case len(rec) < n:
		ps.warnf(line, "", RuleSalvageRagged, "the row has %d cells, row 3 has %d; the missing ones are read as empty", len(rec), n)
	case len(rec) > n:
		ps.warnf(line, "", RuleSalvageRagged, "the row has %d cells, row 3 has %d; the extra ones are ignored", len(rec), n)
	}
	return rec
}

// rejoin merges the description with the k cells after it (k up to 3) for
// the first k that makes more checked columns (code types, setting) hold
// a known value and none fewer. It does nothing when they all do already.
func (st *csvState) rejoin(rec []string) ([]string, int, bool) {
	d := st.cols.description
	type check struct{ col, code int } // code: the code column of a type column, -1 for the setting
	var checked []check
	for _, cd := range st.cols.codes {
		if cd.typ > d {
			checked = append(checked, check{cd.typ, cd.code})
		}
	}
	if st.cols.setting > d {
		checked = append(checked, check{st.cols.setting, -1})
	}
	cell := func(row []string, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	// fine: a known value, or a code type left empty with its code.
	fine := func(row []string, c check) bool {
		v := cell(row, c.col)
		if c.code >= 0 {
			if v == "" && cell(row, c.code) == "" {
				return true
			}
			_, ok := inSet(codeTypesV3, v, true)
			return ok
		}
		_, ok := inSet(settings, v, true)
		return ok
	}
	score := func(row []string) int {
		n := 0
		for _, c := range checked {
			if fine(row, c) {
				n++
			}
		}
		return n
	}
	if d < 0 || len(checked) == 0 {
		return nil, 0, false
	}
	base := score(rec)
	if base == len(checked) {
		return nil, 0, false
	}
	for k := 1; k <= 3 && d+k < len(rec); k++ {
		fixed := make([]string, 0, len(rec)-k)
		fixed = append(fixed, rec[:d]...)
		fixed = append(fixed, strings.Join(rec[d:d+k+1], ","))
		fixed = append(fixed, rec[d+k+1:]...)
		if score(fixed) > base {
			return fixed, k, true
		}
	}
	return nil, 0, false
}
