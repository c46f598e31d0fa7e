package mrf

import "strings"

// The usual item of standard_charge_information is read straight into
// flat structs (rawItem) in one pass over its text, with no tree: no
// member lists, no strings boxed in an `any`, unknown keys skipped. Only
// items in the expected shape take this path; anything else (a value of
// the wrong type, a duplicate key, a v2 drug_information before v2.2.0)
// makes it give up before a problem is reported, and the item is built as
// a tree and checked by item (json.go), which reports those cases. The
// checks of checkRawItem are item's, in the same order, so the problems
// and charges are the same either way (TestRawItemMatchesTree).

// jraw is one scalar as the file writes it: a string (decoded), a number
// (its literal) or nothing.
type jraw struct {
	s    string
	kind byte // 0 absent, '"' a string, '0' a number
}

type rawCode struct{ code, typ jraw }

type rawPayer struct {
	payer, plan, dollar, pct, alg, est, methodology, notes, median, p10, p90, count jraw
}

type rawCharge struct {
	setting, gross, cash, min, max, notes jraw
	mods                                  [2]int // range of rawItem.mods
	payers                                [2]int // range of rawItem.payers
	hasMods, hasPayers                    bool
}

// rawItem is one item in flat form. Its slices are reused from item to
// item by one goroutine.
type rawItem struct {
	description        jraw
	codes              []rawCode
	drugUnit, drugType jraw
	charges            []rawCharge
	payers             []rawPayer
	mods               []string
	hasCodes, hasDrug  bool
	hasCharges         bool
}

// rawParser fills a rawItem from an item's text, already checked by
// jsontext. Every method returns false when the item is not in the shape
// it handles.
type rawParser struct {
	valueParser
	it  *rawItem
	ver cmsVersion
	fam family
}

// parseRawItem reads raw into it; false means use the tree instead.
func parseRawItem(raw []byte, it *rawItem, fam family, ver cmsVersion) bool {
	*it = rawItem{codes: it.codes[:0], charges: it.charges[:0], payers: it.payers[:0], mods: it.mods[:0]}
	p := rawParser{valueParser: valueParser{s: string(raw)}, it: it, ver: ver, fam: fam}
	return p.object(p.itemKey)
}

// object walks an object, handing each key to member, which reads the
// value. It gives up on a key seen twice when member knows it (bit > 0).
func (p *rawParser) object(member func(key string) (bit uint32, ok bool)) bool {
	p.space()
	if p.s[p.i] != '{' {
		return false
	}
	var seen uint32
	for more := p.enter('}'); more; more = p.next() {
		bit, ok := member(p.key())
		if !ok || bit&seen != 0 {
			return false
		}
		seen |= bit
	}
	return true
}

// array walks an array, calling elem for each element.
func (p *rawParser) array(elem func() bool) bool {
	p.space()
	if p.s[p.i] != '[' {
		return false
	}
	for more := p.enter(']'); more; more = p.next() {
		if !elem() {
			return false
		}
	}
	return true
}

// scalar reads a string (want '"') or a number (want '0') into dst.
func (p *rawParser) scalar(dst *jraw, want byte) bool {
	p.space()
	c := p.s[p.i]
	switch {
	case c == '"' && want == '"':
		*dst = jraw{s: p.str(), kind: '"'}
		return true
	case (c == '-' || c >= '0' && c <= '9') && want == '0':
		start := p.i
		for p.i < len(p.s) && numberByte(p.s[p.i]) {
			p.i++
		}
		*dst = jraw{s: p.s[start:p.i], kind: '0'}
		return true
	}
	return false
}

// skip passes over one value of any kind.
func (p *rawParser) skip() bool {
	p.space()
	depth := 0
	for {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			for p.s[p.i] != '"' {
				if p.s[p.i] == '\\' {
					p.i++
				}
				p.i++
			}
			p.i++
		case '{', '[':
			depth++
			p.i++
		case '}', ']':
			depth--
			p.i++
		case ',', ':', ' ', '\t', '\n', '\r':
			p.i++
		default: // a number or a literal
			for p.i < len(p.s) && !jsonDelim(p.s[p.i]) {
				p.i++
			}
		}
		if depth == 0 {
			return true
		}
	}
}

func jsonDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r', ':':
		return true
	}
	return false
}

func (p *rawParser) itemKey(key string) (uint32, bool) {
	it := p.it
	switch key {
	case "description":
		return 1, p.scalar(&it.description, '"')
	case "code_information":
		it.hasCodes = true
		return 2, p.array(func() bool {
			it.codes = append(it.codes, rawCode{})
			c := &it.codes[len(it.codes)-1]
			return p.withType("code", &c.code, '"', &c.typ)
		})
	case "drug_information":
		if p.ver < v220 && p.fam == familyV2 {
			return 0, false // read with fmt.Sprint by item
		}
		it.hasDrug = true
		unit := byte('"')
		if p.fam == familyV3 {
			unit = '0'
		}
		return 4, p.withType("unit", &it.drugUnit, unit, &it.drugType)
	case "standard_charges":
		it.hasCharges = true
		return 8, p.array(p.charge)
	}
	return 0, p.skip()
}

// withType reads an object of a value and its type, the shape of
// code_information's elements ({code, type}) and of drug_information
// ({unit, type}): key's value (a string, or a number when want is '0') into
// v, the type (a string) into typ; other keys are skipped.
func (p *rawParser) withType(key string, v *jraw, want byte, typ *jraw) bool {
	return p.object(func(k string) (uint32, bool) {
		switch k {
		case key:
			return 1, p.scalar(v, want)
		case "type":
			return 2, p.scalar(typ, '"')
		}
		return 0, p.skip()
	})
}

func (p *rawParser) charge() bool {
	it := p.it
	it.charges = append(it.charges, rawCharge{})
	n := len(it.charges) - 1
	return p.object(func(k string) (uint32, bool) {
		c := &it.charges[n] // payers do not grow charges, but stay safe
		switch k {
		case "setting":
			return 1, p.scalar(&c.setting, '"')
		case "gross_charge":
			return 2, p.scalar(&c.gross, '0')
		case "discounted_cash":
			return 4, p.scalar(&c.cash, '0')
		case "minimum":
			return 8, p.scalar(&c.min, '0')
		case "maximum":
			return 16, p.scalar(&c.max, '0')
		case "additional_generic_notes":
			return 32, p.scalar(&c.notes, '"')
		case "modifier_code":
			c.hasMods = true
			c.mods[0] = len(it.mods)
			ok := p.array(func() bool {
				var m jraw
				if !p.scalar(&m, '"') || strings.TrimSpace(m.s) == "" {
					return false // item reports it
				}
				it.mods = append(it.mods, m.s)
				return true
			})
			c.mods[1] = len(it.mods)
			return 64, ok
		case "payers_information":
			c.hasPayers = true
			c.payers[0] = len(it.payers)
			ok := p.array(p.payer)
			it.charges[n].payers[1] = len(it.payers)
			return 128, ok
		}
		return 0, p.skip()
	})
}

func (p *rawParser) payer() bool {
	it := p.it
	it.payers = append(it.payers, rawPayer{})
	y := &it.payers[len(it.payers)-1]
	v3 := p.fam == familyV3
	return p.object(func(k string) (uint32, bool) {
		switch k {
		case "payer_name":
			return 1, p.scalar(&y.payer, '"')
		case "plan_name":
			return 2, p.scalar(&y.plan, '"')
		case "standard_charge_dollar":
			return 4, p.scalar(&y.dollar, '0')
		case "standard_charge_percentage":
			return 8, p.scalar(&y.pct, '0')
		case "standard_charge_algorithm":
			return 16, p.scalar(&y.alg, '"')
		case "estimated_amount":
			return 32, p.scalar(&y.est, '0')
		case "methodology":
			return 64, p.scalar(&y.methodology, '"')
		case "additional_payer_notes":
			return 128, p.scalar(&y.notes, '"')
		}
		if v3 {
			switch k {
			case "median_amount":
				return 256, p.scalar(&y.median, '0')
			case "10th_percentile":
				return 512, p.scalar(&y.p10, '0')
			case "90th_percentile":
				return 1024, p.scalar(&y.p90, '0')
			case "count":
				return 2048, p.scalar(&y.count, '"')
			}
		}
		return 0, p.skip()
	})
}
