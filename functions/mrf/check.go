package mrf

import (
	"strings"

	"hospitalpriceline/functions/priceline"
)

// field is one value of a row or item with the column (CSV) or path (JSON)
// to report it under. set is false when the value is absent or blank.
type field struct {
	col string
	val string
	// path, when inJSON, is the JSON path of the object col is a key of:
	// the full path is built only for a problem (column), since joining it
	// for every value was a tenth of the JSON reader's time.
	path string
	// The flags share a word: 56 bytes a field instead of 64, and a row
	// copies some sixty fields.
	set    bool
	inJSON bool
}

// column is the name f is reported under: the CSV header or the JSON path.
func (f field) column() string {
	if f.inJSON {
		return f.path + "/" + f.col
	}
	return f.col
}

func (f field) str() string {
	if !f.set {
		return ""
	}
	return strings.TrimSpace(f.val)
}

type codeIn struct{ code, typ field }

// itemIn is what the CSV and JSON readers extract from one item before the
// shared rules run: the item part (description, codes, drug) and its
// charges (setting, amounts, payers).
type itemIn struct {
	description field
	codes       []codeIn
	modifiers   field // pipe-separated in CSV; joined with "|" for JSON
	drugUnit    field
	drugType    field
	drugUnitNum bool // JSON v3 unit was a number, so it needs no decimal check
}

type chargesIn struct {
	setting      field
	gross        field
	cash         field
	min          field
	max          field
	genericNotes field
	payers       []payerIn
}

type payerIn struct {
	payer, plan, dollar, pct, alg, est, median, p10, p90, count, methodology, notes field
	// altNotes is another notes column that also satisfies a notes
	// requirement in JSON.
	altNotes field
	// condNotes, when csv, is the one notes column CMS's conditional rules
	// ("other" methodology, count 0) read: tall additional_generic_notes,
	// wide additional_payer_notes|payer|plan.
	condNotes field
}

// checker applies the rules of one template family.
type checker struct {
	fam  family
	ver  cmsVersion
	csv  bool // CSV compares enumerations ignoring case and accepts M/D/YYYY dates
	row  int
	ps   *problems
	hosp string // hospital ID stamped on every charge
	// salvage reads or drops what CMS rejects (Options.Salvage); the
	// problems reported stay CMS's, plus salvage.* warnings.
	salvage bool
	// arena, when set, is where charges puts its Charges (see chargeArena).
	arena *chargeArena
}

// chargeArena hands out the Charges of a batch's rows from one slice that
// the batch reuses: the rows' charges are handed to the caller before the
// batch is checked again, so allocating a Charge per row only fed the
// garbage collector.
type chargeArena struct{ buf []priceline.Charge }

// take returns an empty slice with room for n Charges, backed by the arena.
func (a *chargeArena) take(n int) []priceline.Charge {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]priceline.Charge, 0, max(2*cap(a.buf), 256, n))
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l : l+n]
}

func (c *checker) errf(col, rule, format string, args ...any) {
	c.ps.errorf(c.row, col, rule, format, args...)
}

func (c *checker) warnf(col, rule, format string, args ...any) {
	c.ps.warnf(c.row, col, rule, format, args...)
}

// money checks a positive amount and returns it.
func (c *checker) money(f field) priceline.Money {
	if !f.set {
		return priceline.Money{}
	}
	s := strings.TrimSpace(f.val)
	if c.csv {
		d, ok := parseCSVDecimal(s)
		if !ok {
			c.errf(f.column(), RuleNumber, "%q is not a number; CMS allows digits and a decimal point only (no $, commas or spaces)", clip(f.val))
			return c.salvageMoney(f)
		}
		s = d
	}
	m, positive, ok := decimalMoney(s)
	switch {
	case !ok && positive:
		c.errf(f.column(), RuleNumberTooLarge, "%q is too large to be an amount", clip(f.val))
	case !ok:
		c.errf(f.column(), RuleNumber, "%q is not a number", clip(f.val))
	case !positive:
		c.errf(f.column(), RuleNumberPositive, "%q must be a positive number", clip(f.val))
	}
	if c.salvage && (!ok || !positive || isNineNines(s)) {
		c.drop(f, "not a positive amount (999999999 is a placeholder)")
		return priceline.Money{}
	}
	return m
}

// decimal checks a positive number that is not money (percentage, drug
// unit) and returns its canonical decimal string.
func (c *checker) decimal(f field) string {
	m := c.money(f)
	return m.Decimal
}

func (c *checker) enum(f field, set map[string]bool, rule, what string) string {
	if !f.set {
		return ""
	}
	v, ok := inSet(set, f.val, c.csv)
	if !ok {
		c.errf(f.column(), rule, "%q is not an allowed %s", clip(f.val), what)
		if c.salvage {
			return c.salvageEnum(f, set, rule)
		}
	}
	return v
}

func (c *checker) required(f field, what string) {
	if !f.set {
		c.errf(f.column(), RuleRequired, "%s is required", what)
	}
}

// item checks the rules of an item as a whole and returns the fields its
// charges share.
func (c *checker) item(it *itemIn) priceline.Charge {
	var ch priceline.Charge
	ch.HospitalID = c.hosp
	c.required(it.description, "a description")
	ch.Description = it.description.str()
	codeTypes := codeTypesV2
	if c.fam == familyV3 {
		codeTypes = codeTypesV3
	}
	hasNDC := false
	for _, cd := range it.codes {
		switch {
		case cd.code.set && !cd.typ.set:
			c.errf(cd.typ.column(), RuleCodeNeedsType, "code %q has no code type", clip(cd.code.val))
		case !cd.code.set && cd.typ.set:
			c.errf(cd.code.column(), RuleRequired, "a code is required when its code type (%q) is given", clip(cd.typ.val))
		}
		t := c.enum(cd.typ, codeTypes, RuleEnumCodeType, "code type")
		if c.salvage && t == "" && cd.code.set {
			t = c.inferCodeType(cd)
		}
		if t == "NDC" {
			hasNDC = true
		}
		if cd.code.set {
			ch.Codes = append(ch.Codes, priceline.Code{Code: cd.code.str(), Type: t})
		}
	}
	if it.modifiers.set {
		ch.Modifiers = splitPipe(it.modifiers.val)
	}
	if !hasCodeInfo(it) && (len(ch.Modifiers) == 0 || !c.csv || c.ver < v220) {
		// Before v2.2.0 there are no modifier rows: every row needs a code.
		col := "code|1"
		if len(it.codes) > 0 {
			col = it.codes[0].code.column()
		}
		c.errf(col, RuleChargeNeedsCode, "every item needs at least one code and code type (or, in CSV from v2.2.0, a modifier)")
	}
	if c.ver < v220 {
		// The drug columns and their rules arrived with v2.2.0: read, not judged.
		ch.DrugUnit, ch.DrugType = it.drugUnit.str(), strings.ToUpper(it.drugType.str())
		return ch
	}
	if it.drugUnit.set != it.drugType.set {
		missing := it.drugType
		if !it.drugUnit.set {
			missing = it.drugUnit
		}
		c.errf(missing.column(), RuleDrugUnitNeedsType, "drug unit and drug type of measurement go together; %s is missing", missing.column())
	}
	if it.drugUnit.set {
		if it.drugUnitNum || c.csv || c.fam == familyV3 {
			ch.DrugUnit = c.decimal(it.drugUnit)
		} else {
			// The v2 JSON schema types the unit as a string.
			ch.DrugUnit = it.drugUnit.str()
		}
	}
	ch.DrugType = c.enum(it.drugType, drugTypes, RuleEnumDrugType, "drug type of measurement")
	if hasNDC && (!it.drugUnit.set || !it.drugType.set) {
		col := it.drugUnit.column()
		if it.drugUnit.set {
			col = it.drugType.column()
		}
		c.errf(col, RuleNDCNeedsDrugInfo, "an NDC-coded item needs the drug unit and type of measurement")
	}
	return ch
}

// hasCodeInfo is CMS's "found at least one code": a code or a code type.
func hasCodeInfo(it *itemIn) bool {
	for _, cd := range it.codes {
		if cd.code.set || cd.typ.set {
			return true
		}
	}
	return false
}

// modifierOnly reports a CSV row CMS treats as a modifier row: from v2.2.0,
// no code at all but a modifier.
func (c *checker) modifierOnly(it *itemIn, base priceline.Charge) bool {
	return c.csv && c.ver >= v220 && !hasCodeInfo(it) && len(base.Modifiers) > 0
}

// charges checks one set of charges of an item and returns one Charge per
// payer (or one without a payer). base carries the item's fields.
func (c *checker) charges(base priceline.Charge, ci *chargesIn, modifierOnly bool) []priceline.Charge {
	if modifierOnly && c.csv {
		// CMS checks no setting on a modifier row; keep what it says.
		base.Setting, _ = inSet(settings, ci.setting.str(), true)
	} else {
		base.Setting = c.enum(ci.setting, settings, RuleEnumSetting, "setting (inpatient, outpatient, both)")
		c.required(ci.setting, "a setting")
	}
	// CSV's conditional rules start with v2.1.0 (CMS's applicableVersion
	// ">=2.1.0"); JSON's are in each version's schema.
	conditional := !c.csv || c.ver >= v210
	anyExtra := ci.genericNotes.set
	base.Gross = c.money(ci.gross)
	base.DiscountedCash = c.money(ci.cash)
	base.Min = c.money(ci.min)
	base.Max = c.money(ci.max)
	base.GenericNotes = ci.genericNotes.str()

	var out []priceline.Charge
	if c.arena != nil {
		out = c.arena.take(max(1, len(ci.payers)))
	} else {
		out = make([]priceline.Charge, 0, max(1, len(ci.payers)))
	}
	anyDollar, anyCharge := false, ci.gross.set || ci.cash.set
	for i := range ci.payers {
		p := &ci.payers[i]
		// Filled in place: a Charge is a few hundred bytes, copied twice otherwise.
		out = append(out, base)
		ch := &out[len(out)-1]
		ch.Payer, ch.Plan = p.payer.str(), p.plan.str()
		if c.salvage && ch.Payer != "" && ch.Plan == "" {
			ch.Plan = AllPlans
		}
		ch.NegotiatedDollar = c.money(p.dollar)
		ch.NegotiatedPercentage = c.decimal(p.pct)
		ch.NegotiatedAlgorithm = p.alg.str()
		ch.Methodology = c.enum(p.methodology, methodologys, RuleEnumMethodology, "methodology")
		ch.PayerNotes = p.notes.str()
		hasCharge := p.dollar.set || p.pct.set || p.alg.set
		hasNotes := p.notes.set || p.altNotes.set
		anyDollar = anyDollar || p.dollar.set
		anyCharge = anyCharge || hasCharge
		condNotes := hasNotes
		if c.csv {
			condNotes = p.condNotes.set
		}
		anyExtra = anyExtra || hasCharge || (p.notes.set && p.payer.col == "payer")
		if !c.csv && (hasCharge || p.methodology.set || p.payer.set || p.plan.set) {
			c.required(p.payer, "a payer name")
			c.required(p.plan, "a plan name")
		}
		switch {
		case modifierOnly:
		case !conditional:
		case !hasCharge:
			// CSV: only v3.0.0 asks a tall row with a payer and plan for a
			// charge; v2 rows with only min, max and methodology are fine.
			// JSON: the v3.0.0 schema requires one.
			if (!c.csv && c.ver >= v300) || (c.ver >= v300 && p.payer.set && p.plan.set && p.payer.col != "payer") {
				c.errf(p.dollar.column(), RulePayerNeedsCharge, "payer %q plan %q has no negotiated dollar, percentage or algorithm", ch.Payer, ch.Plan)
			}
		default:
			if c.csv && p.payer.col != "payer" { // tall: payer and plan columns
				c.required(p.payer, "a payer name")
				c.required(p.plan, "a plan name")
			}
			if !p.methodology.set {
				c.errf(p.methodology.column(), RulePayerNeedsMethodology, "a payer-specific negotiated charge needs a methodology")
			}
		}
		if conditional && !modifierOnly && ch.Methodology == "other" && !condNotes {
			c.errf(p.notes.column(), RuleOtherNeedsNotes, "methodology \"other\" needs additional notes explaining it")
		}
		pctOrAlg := p.pct.set || p.alg.set
		switch c.fam {
		case familyV2:
			if !c.csv || c.ver.is22() {
				ch.EstimatedAmount = c.money(p.est)
			}
			if pctOrAlg && !p.dollar.set && !p.est.set && !modifierOnly && c.ver.is22() {
				c.errf(p.est.column(), RulePercentageNeedsEst, "a negotiated percentage or algorithm without a dollar amount needs an estimated amount")
			}
		case familyV3:
			if p.est.set {
				c.warnf(p.est.column(), RuleRemovedInV3, "estimated_amount was removed in v3.0.0 and is ignored")
			}
			for _, f := range []field{p.median, p.p10, p.p90, p.count} {
				if f.set && isNineNines(f.val) {
					c.warnf(f.column(), RuleNineNines, "999999999 is a placeholder, not an allowed amount")
				}
			}
			ch.Median, ch.P10, ch.P90 = c.money(p.median), c.money(p.p10), c.money(p.p90)
			ch.Count = p.count.str()
			if p.count.set && !validCount(ch.Count) {
				c.errf(p.count.column(), RuleCount, "count of allowed amounts %q must be 0, \"1 through 10\" or a whole number of 11 or more", clip(p.count.val))
				if c.salvage {
					c.drop(p.count, "not a count")
					ch.Count = ""
				}
			}
			if c.csv && !pctOrAlg && !modifierOnly && ch.Count == "0" && !condNotes {
				// CSV: CMS asks for notes on any count of 0, not only with a percentage or algorithm.
				c.errf(p.notes.column(), RuleZeroCountNeedsNotes, "a count of 0 allowed amounts needs notes explaining it")
			}
			if pctOrAlg && !modifierOnly {
				switch {
				case !p.count.set:
					c.errf(p.count.column(), RulePercentageNeedsCount, "a negotiated percentage or algorithm needs the count of allowed amounts")
				case ch.Count == "0":
					if !condNotes {
						c.errf(p.notes.column(), RuleZeroCountNeedsNotes, "a count of 0 allowed amounts needs notes explaining it")
					}
				default:
					for _, f := range []field{p.median, p.p10, p.p90} {
						if !f.set {
							c.errf(f.column(), RuleCountNeedsAmounts, "with allowed amounts counted, %s is required", f.column())
						}
					}
				}
			}
		}
	}
	if modifierOnly && !anyExtra {
		c.errf(ci.genericNotes.column(), RuleModifierNeedsCharge, "a modifier row needs a negotiated dollar, percentage or algorithm, or notes")
	}
	if !conditional {
		if len(out) == 0 {
			out = append(out, base)
		}
		return out
	}
	if anyDollar && !modifierOnly && (!ci.min.set || !ci.max.set) {
		col := ci.min.column()
		if ci.min.set {
			col = ci.max.column()
		}
		c.errf(col, RuleDollarNeedsMinMax, "a negotiated dollar amount needs the de-identified minimum and maximum")
	}
	if !anyCharge && !modifierOnly {
		c.errf(ci.gross.column(), RuleItemNeedsCharge, "an item needs at least one charge: gross, discounted cash or a payer-specific negotiated charge")
	}
	if len(out) == 0 {
		out = append(out, base)
	}
	return out
}

// clip keeps messages short when a cell holds a whole paragraph.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
