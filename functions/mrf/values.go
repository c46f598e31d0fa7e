package mrf

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
)

// The enumerations of the CMS data dictionary and JSON schemas. v2 and v3
// share them except for the code types that v3 added (CMG, MS-LTC-DRG).
var (
	codeTypesV2 = setOf("CPT", "HCPCS", "ICD", "DRG", "MS-DRG", "R-DRG", "S-DRG", "APS-DRG", "AP-DRG", "APR-DRG",
		"TRIS-DRG", "APC", "NDC", "HIPPS", "LOCAL", "EAPG", "CDT", "RC", "CDM")
	codeTypesV3  = union(codeTypesV2, setOf("CMG", "MS-LTC-DRG"))
	settings     = setOf("inpatient", "outpatient", "both")
	methodologys = setOf("case rate", "fee schedule", "percent of total billed charges", "per diem", "other")
	drugTypes    = setOf("GR", "ML", "ME", "UN", "F2", "GM", "EA")
	states       = setOf("AL", "AK", "AS", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FM", "FL", "GA", "GU", "HI", "ID",
		"IL", "IN", "IA", "KS", "KY", "LA", "ME", "MH", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
		"NM", "NY", "NC", "ND", "MP", "OH", "OK", "OR", "PW", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VI",
		"VA", "WA", "WV", "WI", "WY")
)

// The attestation (v3) and affirmation (v2) statements, which CSV files use
// as a header and JSON files as a constant value.
const (
	attestationV3 = "To the best of its knowledge and belief, this hospital has included all applicable standard charge information in accordance with the requirements of 45 CFR 180.50, and the information encoded is true, accurate, and complete as of the date in the file. This hospital has included all payer-specific negotiated charges in dollars that can be expressed as a dollar amount. For payer-specific negotiated charges that cannot be expressed as a dollar amount in the machine-readable file or not knowable in advance, the hospital attests that the payer-specific negotiated charge is based on a contractual algorithm, percentage or formula that precludes the provision of a dollar amount and has provided all necessary information available to the hospital for the public to be able to derive the dollar amount, including, but not limited to, the specific fee schedule or components referenced in such percentage, algorithm or formula."
	affirmationV2 = "To the best of its knowledge and belief, the hospital has included all applicable standard charge information in accordance with the requirements of 45 CFR 180.50, and the information encoded is true, accurate, and complete as of the date indicated."
)

func setOf(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// inSet reports whether v is one of set; CSV values are compared ignoring
// case and surrounding spaces (the CMS CSV guidance ignores case), JSON values
// exactly (the JSON schema's enum is exact).
func inSet(set map[string]bool, v string, fold bool) (canonical string, ok bool) {
	if set[v] {
		return v, true
	}
	if !fold {
		return v, false
	}
	t := strings.TrimSpace(v)
	for k := range set {
		if strings.EqualFold(k, t) {
			return k, true
		}
	}
	return v, false
}

// sameText compares statement texts ignoring case and runs of white space,
// because spreadsheet tools rewrap and recase long header cells.
func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// parseCSVDecimal parses a CSV amount. CMS allows plain numbers only: digits
// with an optional decimal point, no thousands separators, currency signs or
// exponents. ok is false for anything else.
func parseCSVDecimal(s string) (dec string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case c == '-' && i == 0:
			// A sign parses, so that "-5" is reported as not positive rather
			// than as not a number.
		default:
			return "", false
		}
	}
	if digits == 0 {
		return "", false
	}
	return s, true
}

// decimalMoney turns an exact decimal string (a CSV amount or a JSON number
// literal) into Money. positive is false for zero and negative amounts; ok is
// false when s is not a number or is too large for int64 cents.
func decimalMoney(s string) (m priceline.Money, positive, ok bool) {
	if m, positive, ok, done := plainMoney(s); done {
		return m, positive, ok
	}
	if len(s) > 64 {
		// A longer literal is not an amount; refusing it also keeps big.Rat
		// from doing unbounded work on hostile exponents like 1e999999999.
		return priceline.Money{}, false, false
	}
	if strings.ContainsAny(s, "eE") {
		exp := s[strings.IndexAny(s, "eE")+1:]
		if n, err := strconv.Atoi(exp); err != nil || n > 30 || n < -30 {
			return priceline.Money{}, false, false
		}
	}
	r, good := new(big.Rat).SetString(s)
	if !good {
		return priceline.Money{}, false, false
	}
	cents := roundHalfEven(new(big.Rat).Mul(r, big.NewRat(100, 1)))
	if !cents.IsInt64() {
		return priceline.Money{}, r.Sign() > 0, false
	}
	return priceline.Money{Decimal: canonicalDecimal(r, s), Cents: cents.Int64(), Set: true}, r.Sign() > 0, true
}

// plainMoney is decimalMoney's fast path for the common case, a plain
// decimal of at most 15 integer digits, done in integer arithmetic; done is
// false when s needs the general path.
func plainMoney(s string) (m priceline.Money, positive, ok, done bool) {
	neg := strings.HasPrefix(s, "-")
	lit := strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(lit, ".")
	if len(intPart) > 15 || intPart == "" && frac == "" {
		return m, false, false, false
	}
	for _, part := range [2]string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return m, false, false, false
			}
		}
	}
	var cents int64
	for i := 0; i < len(intPart); i++ {
		cents = cents*10 + int64(intPart[i]-'0')
	}
	for i := 0; i < 2; i++ {
		cents *= 10
		if i < len(frac) {
			cents += int64(frac[i] - '0')
		}
	}
	if len(frac) > 2 {
		rest := frac[2:]
		tail := strings.Trim(rest[1:], "0") != ""
		if rest[0] > '5' || rest[0] == '5' && (tail || cents%2 == 1) {
			cents++
		}
	}
	nonzero := strings.Trim(intPart, "0") != "" || strings.Trim(frac, "0") != ""
	// The canonical form (no leading zeros, no trailing fractional zeros)
	// is a substring of the literal unless the integer part is missing
	// (".5"), so most amounts cost no allocation.
	lead := len(intPart) - len(strings.TrimLeft(intPart, "0"))
	if lead == len(intPart) && lead > 0 {
		lead-- // keep one zero: "00.5" is "0.5"
	}
	frac = strings.TrimRight(frac, "0")
	var dec string
	switch {
	case intPart == "" && frac == "":
		dec = "0"
	case intPart == "":
		dec = "0." + frac
	case frac == "":
		dec = intPart[lead:]
	default:
		dec = lit[lead : len(intPart)+1+len(frac)]
	}
	if neg && nonzero {
		dec, cents = "-"+dec, -cents
	}
	return priceline.Money{Decimal: dec, Cents: cents, Set: true}, nonzero && !neg, true, true
}

// roundHalfEven rounds r to the nearest integer, ties to even.
func roundHalfEven(r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// QuoRem truncates toward zero; compare 2|m| with den to decide.
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	switch c := twice.Cmp(den); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// canonicalDecimal writes r as a plain decimal with exactly as many
// fraction digits as it needs. Every finite decimal literal has a finite
// expansion, so this is exact.
func canonicalDecimal(r *big.Rat, literal string) string {
	if !strings.ContainsAny(literal, "eE") && !strings.HasPrefix(literal, "+") {
		intPart, frac, _ := strings.Cut(strings.TrimPrefix(literal, "-"), ".")
		out := priceline.CanonicalDecimal(intPart, frac)
		if r.Sign() < 0 {
			out = "-" + out
		}
		return out
	}
	for prec := 0; prec <= 64; prec++ {
		s := r.FloatString(prec)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(64)
}

// parseDate accepts YYYY-MM-DD everywhere and, for CSV, M/D/YYYY and
// MM/DD/YYYY, and returns the date as YYYY-MM-DD.
func parseDate(s string, csv bool) (string, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2006-01-02"), true
	}
	if csv {
		if t, err := time.Parse("1/2/2006", s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// validCount matches the v3 count of allowed amounts: "0", "1 through 10"
// or a whole number of 11 or more (the schema's pattern).
func validCount(s string) bool {
	if s == "0" || s == "1 through 10" {
		return true
	}
	if len(s) < 2 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != "10"
}

// splitPipe splits a CSV multi-value cell ("a | b|c") into trimmed,
// non-empty values.
func splitPipe(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isNineNines reports the 999999999 placeholder some hospitals write for
// allowed amounts they will not disclose; CMS flags it.
func isNineNines(s string) bool {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return false
		}
		s = s[:i]
	}
	return s == "999999999"
}
