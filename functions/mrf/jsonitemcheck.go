package mrf

import (
	"strings"

	"hospitalpriceline/functions/priceline"
)

// rawItemsOff makes every item take the tree path; tests compare the two.
var rawItemsOff bool

// rstr is jctx.str for a value parseRawItem read (a string or nothing).
func (j jctx) rstr(v jraw, key, path string, nonEmpty bool) field {
	f := field{col: key, path: path, inJSON: true}
	if v.kind == 0 {
		return f
	}
	if v.s == "" {
		if nonEmpty || j.fam == familyV3 {
			j.ck.errf(f.column(), RuleEmpty, "%s must not be empty", f.column())
		}
		return f
	}
	f.val, f.set = v.s, true
	return f
}

// rnum is jctx.num for a value parseRawItem read (a number or nothing).
func (j jctx) rnum(v jraw, key, path string) field {
	f := field{col: key, path: path, inJSON: true}
	if v.kind != 0 {
		f.val, f.set = v.s, true
	}
	return f
}

// rarr reports what jctx.arr reports of an array that is there (present)
// with n elements, or is missing.
func (j jctx) rarr(present bool, n int, key, path string, required bool) {
	switch {
	case !present && required:
		j.ck.errf(path+"/"+key, RuleRequired, "%s/%s is required", path, key)
	case present && n == 0:
		j.ck.errf(path+"/"+key, RuleEmpty, "%s/%s must have at least one element", path, key)
	}
}

// checkText checks one item's text: read flat when it has the usual shape,
// else as a tree.
func (st *jsonState) checkText(text []byte, row int, ps *problems, sc *rowScratch) []priceline.Charge {
	if sc.raw == nil {
		sc.raw = &rawItem{}
	}
	if !rawItemsOff && parseRawItem(text, sc.raw, st.rd.fam, st.rd.ver) {
		return st.checkRawItem(sc.raw, row, ps, sc)
	}
	return st.item(parseJSONValue(text), row, ps, sc)
}

// checkRawItem is item for an item parseRawItem read: the same checks in
// the same order.
func (st *jsonState) checkRawItem(it *rawItem, row int, ps *problems, sc *rowScratch) []priceline.Charge {
	ck := &checker{fam: st.rd.fam, ver: st.rd.ver, row: row, ps: ps, hosp: st.rd.hospital.ID, salvage: st.rd.salvage,
		arena: sc.arena}
	j := jctx{ck: ck, fam: st.rd.fam}
	in := itemIn{description: j.rstr(it.description, "description", "", true), codes: sc.codes[:0]}
	j.rarr(it.hasCodes, len(it.codes), "code_information", "", false)
	for i, c := range it.codes {
		p := indexPath("/code_information/", i)
		cd := codeIn{code: j.rstr(c.code, "code", p, true), typ: j.rstr(c.typ, "type", p, true)}
		if !cd.code.set && !cd.typ.set {
			ck.errf(p+"/code", RuleRequired, "%s needs a code and a type", p)
		}
		in.codes = append(in.codes, cd)
	}
	if !it.hasCodes {
		ck.errf("/code_information", RuleRequired, "/code_information is required")
	}
	switch {
	case st.rd.ver < v220 && st.rd.fam == familyV2:
		// parseRawItem gave up on a drug_information here.
	case it.hasDrug:
		if st.rd.fam == familyV3 {
			in.drugUnit = j.rnum(it.drugUnit, "unit", "/drug_information")
			in.drugUnitNum = true
		} else {
			in.drugUnit = j.rstr(it.drugUnit, "unit", "/drug_information", true)
		}
		in.drugType = j.rstr(it.drugType, "type", "/drug_information", true)
		if !in.drugUnit.set && !in.drugType.set && st.rd.ver >= v220 {
			ck.errf("/drug_information", RuleRequired, "drug_information needs unit and type")
		}
	default:
		in.drugUnit.col, in.drugType.col = "/drug_information/unit", "/drug_information/type"
	}
	sc.codes = in.codes
	base := ck.item(&in)
	j.rarr(it.hasCharges, len(it.charges), "standard_charges", "", true)
	var out []priceline.Charge
	for i := range it.charges {
		c := &it.charges[i]
		p := indexPath("/standard_charges/", i)
		ci := chargesIn{
			setting: j.rstr(c.setting, "setting", p, true),
			gross:   j.rnum(c.gross, "gross_charge", p), cash: j.rnum(c.cash, "discounted_cash", p),
			min: j.rnum(c.min, "minimum", p), max: j.rnum(c.max, "maximum", p),
			genericNotes: j.rstr(c.notes, "additional_generic_notes", p, false),
			payers:       sc.payers[:0],
		}
		b := base
		if c.hasMods {
			mods := it.mods[c.mods[0]:c.mods[1]]
			j.rarr(true, len(mods), "modifier_code", p, false)
			var ms []string
			for _, m := range mods {
				ms = append(ms, strings.TrimSpace(m))
			}
			b.Modifiers = ms
		}
		if c.hasPayers {
			j.rarr(true, c.payers[1]-c.payers[0], "payers_information", p, false)
		}
		for k := range c.payers[1] - c.payers[0] {
			y := &it.payers[c.payers[0]+k]
			pp := payerPath(i, p, k)
			ci.payers = append(ci.payers, payerIn{})
			pin := &ci.payers[len(ci.payers)-1]
			pin.payer, pin.plan = j.rstr(y.payer, "payer_name", pp, true), j.rstr(y.plan, "plan_name", pp, true)
			pin.dollar, pin.pct = j.rnum(y.dollar, "standard_charge_dollar", pp), j.rnum(y.pct, "standard_charge_percentage", pp)
			pin.alg, pin.est = j.rstr(y.alg, "standard_charge_algorithm", pp, false), j.rnum(y.est, "estimated_amount", pp)
			pin.methodology, pin.notes = j.rstr(y.methodology, "methodology", pp, true), j.rstr(y.notes, "additional_payer_notes", pp, false)
			if st.rd.fam == familyV3 {
				pin.median = j.rnum(y.median, "median_amount", pp)
				pin.p10 = j.rnum(y.p10, "10th_percentile", pp)
				pin.p90 = j.rnum(y.p90, "90th_percentile", pp)
				pin.count = j.rstr(y.count, "count", pp, true)
			}
		}
		out = appendCharges(out, ck, &b, &ci, sc)
	}
	if len(out) == 0 {
		out = append(out, base)
	}
	return out
}
