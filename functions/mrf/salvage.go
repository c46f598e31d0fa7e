package mrf

import (
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"hospitalpriceline/functions/priceline"
)

// Options change how OpenWith reads a file. The zero value is Open: CMS's
// rules, and a file whose header CMS refuses is refused.
type Options struct {
	// Salvage reads what a person could use from a file that breaks CMS's
	// rules: header faults that strict reading refuses are read through
	// (only a file that is not CSV or JSON, has no recognisable header
	// rows, or mixes tall and wide columns is refused), text that is not
	// UTF-8 is read as Windows-1252, lone CRs end lines, and a cell CMS
	// rejects is read when its meaning is plain ("$1,234.50") or left out
	// of the charge (a salvage.cell_dropped warning) when it is not. CMS's
	// problems are still reported with CMS's severities; the salvage.*
	// warnings say what was done about them. The verdict (Validate) never
	// salvages.
	Salvage bool
}

// Salvage rule IDs: warnings that say what salvage reading did. They never
// appear without Options.Salvage.
const (
	RuleSalvageTranscoded   = "salvage.transcoded"    // text was not UTF-8; read as Windows-1252 (a superset of Latin-1)
	RuleSalvageLineEndings  = "salvage.line_endings"  // lone CRs read as line breaks
	RuleSalvageHeader       = "salvage.header"        // a header fault CMS refuses the file for, read through
	RuleSalvagePayerColumns = "salvage.payer_columns" // an incomplete wide payer column set, imported as it is
	RuleSalvagePlaceholder  = "salvage.placeholder"   // a template placeholder ("[payer]", "[Alabama]") read as its content
	RuleSalvageCellRead     = "salvage.cell_read"     // a cell CMS rejects, read anyway ("$1,234.50" as 1234.50)
	RuleSalvageCellDropped  = "salvage.cell_dropped"  // a cell that cannot be read, left out of the charge
	RuleSalvageRagged       = "salvage.ragged_row"    // a row with fewer or more cells than row 3
	RuleSalvageDate         = "salvage.date"          // last_updated_on in a format CMS does not allow, read
)

// AllPlans is the plan stored for a payer whose file names no plan (a wide
// column set with an empty or missing plan segment, a tall row with a payer
// but no plan): the rate applies to all of that payer's plans.
const AllPlans = "All plans"

// salvageText is a streaming transformer for salvage reading: bytes that are
// valid UTF-8 pass through, each byte that is not is decoded as Windows-1252
// (so "’", "–" and "é" written by Windows or Latin-1 tools come out right,
// and a file mixing both is read byte by byte), and a CR not followed by LF
// becomes LF (old Mac line endings, which encoding/csv keeps inside a field).
type salvageText struct {
	transcoded, crs bool
}

// Reset implements transform.Transformer.
func (t *salvageText) Reset() {}

// Transform implements transform.Transformer.
func (t *salvageText) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if c == '\r' {
				if nSrc+1 == len(src) && !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				if nSrc+1 == len(src) || src[nSrc+1] != '\n' {
					c = '\n'
					t.crs = true
				}
			}
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r = charmap.Windows1252.DecodeByte(c)
			t.transcoded = true
			if nDst+utf8.RuneLen(r) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc++
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

// noteText adds the file warnings for what salvageText did, once each.
func (r *Reader) noteText() {
	t := r.text
	if t == nil {
		return
	}
	if t.transcoded && !r.notedTranscode {
		r.notedTranscode = true
		r.file.warnf(0, "", RuleSalvageTranscoded, "the file is not UTF-8; bytes that are not were read as Windows-1252 (Latin-1)")
	}
	if t.crs && !r.notedCR {
		r.notedCR = true
		r.file.warnf(0, "", RuleSalvageLineEndings, "lines end with a bare CR; read as line breaks")
	}
}

// lenientDecimal reads an amount the way a person would: "$1,234.50",
// " 1234.5 ", "62.5%" and "(USD) 10" are numbers; "N/A", "-" and words are
// not. ok is false when nothing numeric is left.
func lenientDecimal(s string) (string, bool) {
	var b strings.Builder
	for _, c := range strings.TrimSpace(s) {
		switch {
		case c >= '0' && c <= '9', c == '.':
			b.WriteRune(c)
		case c == '-' && b.Len() == 0:
			b.WriteRune(c)
		case c == '$', c == ',', c == ' ', c == '%', c == '\u00a0':
		default:
			return "", false
		}
	}
	return parseCSVDecimal(b.String())
}

// stateNames maps the names of states and territories (as template
// placeholders like "[Alabama]" and hand-written headers give them) to
// their codes.
var stateNames = map[string]string{
	"alabama": "AL", "alaska": "AK", "american samoa": "AS", "arizona": "AZ", "arkansas": "AR", "california": "CA",
	"colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL",
	"georgia": "GA", "guam": "GU", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
	"kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
	"michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE",
	"nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
	"north carolina": "NC", "north dakota": "ND", "northern mariana islands": "MP", "ohio": "OH", "oklahoma": "OK",
	"oregon": "OR", "pennsylvania": "PA", "puerto rico": "PR", "rhode island": "RI", "south carolina": "SC",
	"south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virgin islands": "VI",
	"virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
}

// salvageState reads a license state written as a placeholder or a name.
func salvageState(s string) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "[]")))
	if _, ok := states[strings.ToUpper(t)]; ok {
		return strings.ToUpper(t), true
	}
	code, ok := stateNames[t]
	return code, ok
}

// unbracket strips a template's "[…]" from a header segment and reports
// whether it was a placeholder the hospital forgot to fill in ("[payer]",
// "[plan_name]").
func unbracket(s string) (clean string, placeholder, bracketed bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return t, false, false
	}
	t = strings.TrimSpace(t[1 : len(t)-1])
	switch strings.ToLower(strings.NewReplacer("_", " ").Replace(t)) {
	case "payer", "payer name", "plan", "plan name", "":
		return "", true, true
	}
	return t, false, true
}

// codeTypeAliases are spellings of CMS code types seen in real files.
var codeTypeAliases = map[string]string{
	"CPT4": "CPT", "CPT-4": "CPT", "CPT®": "CPT", "HCPC": "HCPCS", "HCPCS/CPT": "HCPCS", "CPT/HCPCS": "CPT",
	"REV": "RC", "REV CODE": "RC", "REVENUE": "RC", "REVENUE CODE": "RC", "MSDRG": "MS-DRG", "MS DRG": "MS-DRG",
	"APRDRG": "APR-DRG", "APR DRG": "APR-DRG", "NDC11": "NDC", "NDC-11": "NDC", "ICD10": "ICD", "ICD-10": "ICD",
}

// inferCodeType names the type of a code written without one when its
// shape leaves no doubt: five digits, or four digits and F, T, U or M, is a
// CPT code; a letter and four digits is a HCPCS Level II code.
func inferCodeType(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) != 5 {
		return ""
	}
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case digits(c):
		return "CPT"
	case digits(c[:4]) && strings.ContainsRune("FTUM", rune(c[4])):
		return "CPT"
	case c[0] >= 'A' && c[0] <= 'V' && digits(c[1:]):
		return "HCPCS"
	}
	return ""
}

// settingAliases and methodologyAliases are spellings seen in real files.
var (
	settingAliases = map[string]string{
		"ip": "inpatient", "op": "outpatient", "in patient": "inpatient", "out patient": "outpatient",
		"inpatient/outpatient": "both", "inpatient and outpatient": "both", "outpatient/inpatient": "both",
	}
	methodologyAliases = map[string]string{
		"percent of billed charges": "percent of total billed charges", "percentage of total billed charges": "percent of total billed charges",
		"percent of charges": "percent of total billed charges", "fee-schedule": "fee schedule", "case-rate": "case rate",
		"per-diem": "per diem",
	}
)

// lenientDate reads the dates real files write besides YYYY-MM-DD and
// M/D/YYYY: YYYY/M/D, M-D-YYYY, YYYY-M-D, M/D/YY and an ISO date with a time.
func lenientDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	for _, layout := range []string{"2006-01-02", "1/2/2006", "2006/1/2", "1-2-2006", "2006-1-2", "1/2/06", "1.2.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// drop reports a cell salvage leaves out of the charge.
func (c *checker) drop(f field, why string) {
	c.warnf(f.column(), RuleSalvageCellDropped, "%q left out: %s", clip(f.val), why)
}

// salvageMoney reads an amount CMS rejects when its meaning is plain
// ("$1,234.50"), and drops it otherwise ("N/A", "-", 999999999). It is the
// zero Money outside salvage.
func (c *checker) salvageMoney(f field) priceline.Money {
	if !c.salvage {
		return priceline.Money{}
	}
	if d, ok := lenientDecimal(f.val); ok && !isNineNines(d) {
		if m, positive, ok := decimalMoney(d); ok && positive {
			c.warnf(f.column(), RuleSalvageCellRead, "%q read as %s", clip(f.val), m.Decimal)
			return m
		}
	}
	c.drop(f, "not an amount")
	return priceline.Money{}
}

// salvageEnum reads a value outside a CMS enumeration when it is a known
// spelling of one (or differs only in case, for JSON), and drops it
// otherwise.
func (c *checker) salvageEnum(f field, set map[string]bool, rule string) string {
	t := strings.ToLower(strings.Join(strings.Fields(f.val), " "))
	alias := ""
	switch rule {
	case RuleEnumSetting:
		alias = settingAliases[t]
	case RuleEnumMethodology:
		alias = methodologyAliases[t]
	case RuleEnumCodeType:
		alias = codeTypeAliases[strings.ToUpper(t)]
	}
	if alias == "" {
		if v, ok := inSet(set, t, true); ok {
			alias = v
		}
	}
	if alias != "" && set[alias] {
		c.warnf(f.column(), RuleSalvageCellRead, "%q read as %q", clip(f.val), alias)
		return alias
	}
	c.drop(f, "not a value CMS defines")
	return ""
}

// inferCodeType gives a code without a (readable) type the type its shape
// implies, with a warning, or "" when the shape says nothing.
func (c *checker) inferCodeType(cd codeIn) string {
	t := inferCodeType(cd.code.str())
	if t != "" {
		c.warnf(cd.typ.column(), RuleSalvageCellRead, "code %q has no code type; read as %s from its shape", clip(cd.code.val), t)
	}
	return t
}
