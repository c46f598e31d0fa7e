package mrf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"hospitalpriceline/functions/priceline"
)

// jsonState is the JSON side of a Reader. The decoder walks the top-level
// object token by token; only one element of standard_charge_information
// (or modifier_information) is held in memory at a time (a batch of them,
// see jsonbatch.go). The jsontext decoder checks the syntax; items are
// read flat (jsonitem.go), other values built by parseJSONValue.
type jsonState struct {
	dec      *jsontext.Decoder
	lim      *recordLimiter
	rd       *Reader
	meta     jsonObject // top-level values other than the two arrays
	seen     map[string]bool
	inItems  bool // positioned inside standard_charge_information
	metaDone bool
	itemsSet bool // standard_charge_information was present
	// provisional is set when the items came before the version, so the
	// family used for them was a guess.
	provisional bool
	nItems      int
	nMods       int
	batches     readAhead[jsonBatch] // the items, read ahead (jsonbatch.go)
}

func (r *Reader) openJSON(br *bufio.Reader) error {
	r.format = FormatJSON
	lim := &recordLimiter{r: br}
	// encoding/json, which this reader replaced, accepted both; so does
	// CMS's validator (JSON.parse keeps the last duplicate).
	dec := jsontext.NewDecoder(lim, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	st := &jsonState{dec: dec, rd: r, lim: lim, seen: map[string]bool{}}
	st.batches.fill = st.readBatch
	tok, err := dec.ReadToken()
	if err != nil {
		return st.syntax(err)
	}
	if tok.Kind() != '{' {
		r.file.errorf(0, "", RuleJSONSyntax, "a JSON price file must be one object")
		return r.formatErr()
	}
	if err := st.walkTop(); err != nil {
		return err
	}
	r.src = st.next
	return nil
}

// syntax records a JSON syntax error as a problem.
func (st *jsonState) syntax(err error) error {
	var se *jsontext.SyntacticError
	if f := st.lim.failed; f != nil && !limitErr(f) {
		return fmt.Errorf("read %s: %w", st.rd.name, f)
	}
	switch {
	case limitErr(err) || limitErr(st.lim.failed):
		return st.rd.tooLarge(st.nItems)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		st.rd.file.errorf(st.nItems, "", RuleJSONSyntax, "the JSON ends before the object is complete")
	case errors.As(err, &se):
		st.rd.file.errorf(st.nItems, "", RuleJSONSyntax, "invalid JSON at byte %d: %v", se.ByteOffset, se.Err)
	default:
		return fmt.Errorf("read %s: %w", st.rd.name, err)
	}
	return st.rd.formatErr()
}

// walkTop reads top-level keys until standard_charge_information opens (it
// returns with inItems set) or the object ends.
func (st *jsonState) walkTop() error {
	for st.more() {
		st.lim.reset()
		tok, err := st.dec.ReadToken()
		if err != nil {
			return st.syntax(err)
		}
		key := tok.String()
		if st.seen[key] {
			st.rd.file.warnf(0, "/"+key, RuleHeaderDuplicate, "key %q appears twice; the last value counts", key)
		}
		st.seen[key] = true
		switch key {
		case "standard_charge_information", "modifier_information":
			if st.dec.PeekKind() != '[' {
				st.rd.file.errorf(0, "/"+key, RuleType, "%s must be an array", key)
				if err := st.dec.SkipValue(); err != nil {
					return st.syntax(err)
				}
				continue
			}
			if _, err := st.dec.ReadToken(); err != nil {
				return st.syntax(err)
			}
			if key == "modifier_information" {
				if err := st.modifiers(); err != nil {
					return err
				}
				continue
			}
			st.itemsSet = true
			st.inItems = true
			st.startItems()
			return nil
		default:
			raw, err := st.dec.ReadValue()
			if err != nil {
				return st.syntax(err)
			}
			st.meta = append(st.meta, jsonMember{key: key, val: parseJSONValue(raw)})
		}
	}
	if _, err := st.dec.ReadToken(); err != nil { // the closing '}'
		return st.syntax(err)
	}
	if _, err := st.dec.ReadToken(); !errors.Is(err, io.EOF) {
		st.rd.file.errorf(0, "", RuleJSONSyntax, "unexpected data after the JSON object")
	}
	st.finishMeta()
	return nil
}

// more reports whether the array or object being read has another
// element, as encoding/json's Decoder.More: a syntax error counts as more,
// so that reading it reports it.
func (st *jsonState) more() bool {
	k := st.dec.PeekKind()
	return k != ']' && k != '}' && !(k == 0 && st.atEOF())
}

// atEOF reports whether the input ended (PeekKind found nothing).
func (st *jsonState) atEOF() bool {
	_, err := st.dec.ReadValue()
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// layoutFamily tells the template family from which keys the file has.
func (st *jsonState) layoutFamily() family {
	switch {
	case st.seen["attestation"] || st.seen["location_name"] || st.seen["type_2_npi"]:
		return familyV3
	case st.seen["affirmation"] || st.seen["hospital_location"]:
		return familyV2
	}
	return 0
}

// startItems fixes the family and hospital from the keys before the items.
func (st *jsonState) startItems() {
	if st.rd.fam != 0 {
		return
	}
	r := st.rd
	r.version, _ = st.meta.val("version").(string)
	_, hasName := st.meta.get("hospital_name")
	_, hasVersion := st.meta.get("version")
	if st.inItems && (!hasName || !hasVersion && st.layoutFamily() == 0) {
		// The items come first. Streaming cannot wait for the rest, so they
		// are read as v3.0.0 without a hospital ID and finishMeta settles
		// the version once the keys arrive.
		r.file.warnf(0, "/standard_charge_information", RuleJSONOrder, "standard_charge_information comes before the hospital's data; its items are checked as v3.0.0 and read without a hospital ID")
		r.fam, r.ver, st.provisional = familyV3, v300, true
		return
	}
	r.fam = chooseFamily(r.version, st.layoutFamily(), &r.file, "/version")
	r.ver = chooseVersion(r.version, r.fam, true, &r.file, "/version")
	r.hospital = st.hospital()
}

func (st *jsonState) hospital() priceline.Hospital {
	strs := func(k string) []string {
		arr, _ := st.meta.val(k).([]any)
		var out []string
		for _, v := range arr {
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out
	}
	h := priceline.Hospital{Version: st.rd.version, Addresses: strs("hospital_address")}
	h.Name, _ = st.meta.val("hospital_name").(string)
	h.Name = strings.TrimSpace(h.Name)
	if st.rd.fam == familyV3 {
		h.Locations = strs("location_name")
	} else {
		h.Locations = strs("hospital_location")
	}
	if li, ok := st.meta.val("license_information").(jsonObject); ok {
		h.LicenseNumber, _ = li.val("license_number").(string)
		h.LicenseState, _ = li.val("state").(string)
	}
	if d, ok := st.meta.val("last_updated_on").(string); ok {
		h.LastUpdatedOn, _ = parseDate(d, false)
		if h.LastUpdatedOn == "" && st.rd.salvage {
			if h.LastUpdatedOn, ok = lenientDate(d); ok {
				st.rd.file.warnf(0, "/last_updated_on", RuleSalvageDate, "last_updated_on %q read as %s", clip(d), h.LastUpdatedOn)
			}
		}
	}
	if _, known := states[h.LicenseState]; !known && st.rd.salvage && h.LicenseState != "" {
		h.LicenseState, _ = salvageState(h.LicenseState)
	}
	h.ID = priceline.HospitalID(h.Name, h.LicenseNumber, h.LicenseState)
	return h
}

// next returns the charges of the next element of standard_charge_information
// (decoded and checked in batches: jsonbatch.go).
func (st *jsonState) next() ([]priceline.Charge, []Problem, error) {
	for st.inItems {
		chs, ps, done, err := st.nextItem()
		if err != nil {
			return nil, nil, err
		}
		if !done {
			return chs, ps, nil
		}
		if _, err := st.dec.ReadToken(); err != nil { // ']'
			return nil, nil, st.syntax(err)
		}
		st.inItems = false
		if err := st.walkTop(); err != nil {
			return nil, nil, err
		}
		break
	}
	if !st.metaDone {
		st.finishMeta()
	}
	return nil, nil, io.EOF
}

// item checks one decoded element, the row'th (1-based). It only reads st,
// so several items are checked at once.
func (st *jsonState) item(v any, row int, ps *problems, sc *rowScratch) []priceline.Charge {
	ck := &checker{fam: st.rd.fam, ver: st.rd.ver, row: row, ps: ps, hosp: st.rd.hospital.ID, salvage: st.rd.salvage,
		arena: sc.arena}
	j := jctx{ck: ck, fam: st.rd.fam}
	m, ok := v.(jsonObject)
	if !ok {
		ck.errf("", RuleType, "each element of standard_charge_information must be an object")
		return []priceline.Charge{{HospitalID: st.rd.hospital.ID}}
	}
	it := itemIn{description: j.str(m, "description", "", true), codes: sc.codes[:0]}
	codes, hasCodes := j.arr(m, "code_information", "", false)
	for i, c := range codes {
		p := indexPath("/code_information/", i)
		cm, ok := j.elem(c, p)
		if !ok {
			continue
		}
		cd := codeIn{code: j.str(cm, "code", p, true), typ: j.str(cm, "type", p, true)}
		if !cd.code.set && !cd.typ.set {
			ck.errf(p+"/code", RuleRequired, "%s needs a code and a type", p)
		}
		it.codes = append(it.codes, cd)
	}
	if !hasCodes {
		ck.errf("/code_information", RuleRequired, "/code_information is required")
	}
	if st.rd.ver < v220 && st.rd.fam == familyV2 {
		// drug_information arrived with v2.2.0; earlier schemas ignore it.
		if di, ok := m.val("drug_information").(jsonObject); ok {
			it.drugUnit = field{col: "/drug_information/unit", val: fmt.Sprint(di.val("unit")), set: di.val("unit") != nil}
			it.drugType = field{col: "/drug_information/type", val: fmt.Sprint(di.val("type")), set: di.val("type") != nil}
		}
	} else if di, ok := j.obj(m, "drug_information", ""); ok {
		if st.rd.fam == familyV3 {
			it.drugUnit = j.num(di, "unit", "/drug_information")
			it.drugUnitNum = true
		} else {
			it.drugUnit = j.str(di, "unit", "/drug_information", true)
		}
		it.drugType = j.str(di, "type", "/drug_information", true)
		if !it.drugUnit.set && !it.drugType.set && st.rd.ver >= v220 {
			ck.errf("/drug_information", RuleRequired, "drug_information needs unit and type")
		}
	} else {
		it.drugUnit.col, it.drugType.col = "/drug_information/unit", "/drug_information/type"
	}
	sc.codes = it.codes
	base := ck.item(&it)
	scs, _ := j.arr(m, "standard_charges", "", true)
	var out []priceline.Charge
	for i, sv := range scs {
		p := indexPath("/standard_charges/", i)
		sm, ok := j.elem(sv, p)
		if !ok {
			continue
		}
		ci := chargesIn{
			setting: j.str(sm, "setting", p, true),
			gross:   j.num(sm, "gross_charge", p), cash: j.num(sm, "discounted_cash", p),
			min: j.num(sm, "minimum", p), max: j.num(sm, "maximum", p),
			genericNotes: j.str(sm, "additional_generic_notes", p, false),
			payers:       sc.payers[:0],
		}
		b := base
		if mods, ok := j.arr(sm, "modifier_code", p, false); ok {
			var ms []string
			for k, mv := range mods {
				s, isStr := mv.(string)
				if !isStr || strings.TrimSpace(s) == "" {
					ck.errf(fmt.Sprintf("%s/modifier_code/%d", p, k), RuleType, "a modifier code must be a non-empty string")
					continue
				}
				ms = append(ms, strings.TrimSpace(s))
			}
			b.Modifiers = ms
		}
		pays, _ := j.arr(sm, "payers_information", p, false)
		for k, pv := range pays {
			pp := payerPath(i, p, k)
			pm, ok := j.elem(pv, pp)
			if !ok {
				continue
			}
			// Filled in place in the reused scratch: a payerIn is about 900 bytes.
			ci.payers = append(ci.payers, payerIn{})
			pin := &ci.payers[len(ci.payers)-1]
			pin.payer, pin.plan = j.str(pm, "payer_name", pp, true), j.str(pm, "plan_name", pp, true)
			pin.dollar, pin.pct = j.num(pm, "standard_charge_dollar", pp), j.num(pm, "standard_charge_percentage", pp)
			pin.alg, pin.est = j.str(pm, "standard_charge_algorithm", pp, false), j.num(pm, "estimated_amount", pp)
			pin.methodology, pin.notes = j.str(pm, "methodology", pp, true), j.str(pm, "additional_payer_notes", pp, false)
			if st.rd.fam == familyV3 {
				pin.median = j.num(pm, "median_amount", pp)
				pin.p10 = j.num(pm, "10th_percentile", pp)
				pin.p90 = j.num(pm, "90th_percentile", pp)
				pin.count = j.str(pm, "count", pp, true)
			}
		}
		out = appendCharges(out, ck, &b, &ci, sc)
	}
	if len(out) == 0 {
		out = append(out, base)
	}
	return out
}

// appendCharges checks one element of an item's standard_charges (ci, with
// the item's fields in b) and appends its charges to out, for both readings
// of an item (item and checkRawItem). The usual item has one element, whose
// charges are taken without a copy.
func appendCharges(out []priceline.Charge, ck *checker, b *priceline.Charge, ci *chargesIn, sc *rowScratch) []priceline.Charge {
	sc.payers = ci.payers // the scratch keeps the grown slice for the next item
	chs := ck.charges(*b, ci, false)
	if out == nil {
		return chs
	}
	return append(out, chs...)
}

// modifiers streams modifier_information; its problems are file problems.
func (st *jsonState) modifiers() error {
	r := st.rd
	if r.fam == 0 {
		r.version, _ = st.meta.val("version").(string)
		r.fam = chooseFamily(r.version, st.layoutFamily(), &r.file, "/version")
		r.ver = chooseVersion(r.version, r.fam, true, &r.file, "/version")
		// The hospital's keys came first too (startItems will not run
		// again to read them).
		r.hospital = st.hospital()
	}
	for st.more() {
		st.lim.reset()
		raw, err := st.dec.ReadValue()
		if err != nil {
			return st.syntax(err)
		}
		v := parseJSONValue(raw)
		p := "/modifier_information/" + strconv.Itoa(st.nMods)
		st.nMods++
		ck := &checker{fam: r.fam, ver: r.ver, ps: &r.file}
		j := jctx{ck: ck, fam: r.fam}
		m, ok := j.elem(v, p)
		if !ok {
			continue
		}
		ck.required(j.str(m, "description", p, true), p+"/description")
		ck.required(j.str(m, "code", p, true), p+"/code")
		if r.fam == familyV3 {
			ck.enum(j.str(m, "setting", p, true), settings, RuleEnumSetting, "setting (inpatient, outpatient, both)")
		}
		mps, _ := j.arr(m, "modifier_payer_information", p, true)
		for k, mv := range mps {
			pp := fmt.Sprintf("%s/modifier_payer_information/%d", p, k)
			pm, ok := j.elem(mv, pp)
			if !ok {
				continue
			}
			ck.required(j.str(pm, "payer_name", pp, true), pp+"/payer_name")
			ck.required(j.str(pm, "plan_name", pp, true), pp+"/plan_name")
			ck.required(j.str(pm, "description", pp, true), pp+"/description")
		}
	}
	_, err := st.dec.ReadToken() // ']'
	if err != nil {
		return st.syntax(err)
	}
	return nil
}

// finishMeta checks the top-level keys once all of them have been seen.
func (st *jsonState) finishMeta() {
	if st.metaDone {
		return
	}
	st.metaDone = true
	r := st.rd
	switch {
	case r.fam == 0:
		st.startItems()
	case st.provisional:
		r.version, _ = st.meta.val("version").(string)
		r.fam = chooseFamily(r.version, st.layoutFamily(), &r.file, "/version")
		r.ver = chooseVersion(r.version, r.fam, true, &r.file, "/version")
		if r.fam != familyV3 {
			r.file.warnf(0, "/version", RuleJSONOrder, "the file is v%d.0 but its items came before its version and were checked as v3.0.0", r.fam)
		}
		r.hospital = st.hospital()
	}
	ck := &checker{fam: r.fam, ver: r.ver, ps: &r.file}
	j := jctx{ck: ck, fam: r.fam}
	m := st.meta
	ck.required(j.str(m, "hospital_name", "", true), "hospital_name")
	ck.required(j.str(m, "version", "", true), "version")
	if d := j.str(m, "last_updated_on", "", true); !d.set {
		ck.required(d, "last_updated_on")
	} else if _, ok := parseDate(d.val, false); !ok {
		ck.errf(d.column(), RuleDate, "last_updated_on %q must be a date in the form YYYY-MM-DD", clip(d.val))
	}
	strArray := func(key string) {
		a, ok := j.arr(m, key, "", true)
		if !ok {
			return
		}
		for i, v := range a {
			s, isStr := v.(string)
			col := fmt.Sprintf("/%s/%d", key, i)
			switch {
			case !isStr:
				ck.errf(col, RuleType, "%s must be a string", col)
			case strings.TrimSpace(s) == "" && r.fam == familyV3:
				ck.errf(col, RuleEmpty, "%s must not be empty", col)
			}
		}
	}
	strArray("hospital_address")
	if r.fam == familyV3 {
		strArray("location_name")
		strArray("type_2_npi")
	} else {
		strArray("hospital_location")
	}
	if li, ok := j.obj(m, "license_information", ""); ok {
		if st := j.str(li, "state", "/license_information", true); !st.set {
			ck.required(st, "license_information/state")
		} else {
			ck.enum(st, states, RuleEnumState, "US state or territory code")
		}
		j.str(li, "license_number", "/license_information", r.fam == familyV3)
	} else if _, present := m.get("license_information"); !present {
		ck.errf("/license_information", RuleRequired, "/license_information is required")
	}
	key, text, confirm := "affirmation", affirmationV2, "confirm_affirmation"
	if r.fam == familyV3 {
		key, text, confirm = "attestation", attestationV3, "confirm_attestation"
	}
	if a, ok := j.obj(m, key, ""); ok {
		if t := j.str(a, key, "/"+key, true); !t.set {
			ck.required(t, key+"/"+key)
		} else if t.val != text {
			ck.errf(t.column(), RuleAttestationText, "the %s must be the exact CMS wording", key)
		}
		switch c := a.val(confirm).(type) {
		case bool:
			if !c {
				ck.warnf("/"+key+"/"+confirm, RuleAttestationFalse, "the hospital did not confirm the %s", key)
			}
		case nil:
			ck.errf("/"+key+"/"+confirm, RuleRequired, "/%s/%s is required", key, confirm)
		default:
			ck.errf("/"+key+"/"+confirm, RuleEnumBoolean, "/%s/%s must be true or false", key, confirm)
		}
		if r.fam == familyV3 {
			ck.required(j.str(a, "attester_name", "/"+key, true), "attestation/attester_name")
		}
	} else if _, present := m.get(key); !present {
		ck.errf("/"+key, RuleRequired, "/%s is required", key)
	}
	if !st.itemsSet {
		ck.errf("/standard_charge_information", RuleRequired, "/standard_charge_information is required")
	}
}
