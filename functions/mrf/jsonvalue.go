package mrf

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonObject is a JSON object as its members in file order. Items have a
// dozen keys at most, so a scan finds one faster than a map, and building
// a map per object was the largest cost of reading JSON.
type jsonObject []jsonMember

type jsonMember struct {
	key string
	val any
}

// get returns the value of key; a duplicate key's last value counts, as in
// encoding/json and JSON.parse.
func (o jsonObject) get(key string) (any, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if o[i].key == key {
			return o[i].val, true
		}
	}
	return nil, false
}

// val is get without the presence flag.
func (o jsonObject) val(key string) any {
	v, _ := o.get(key)
	return v
}

// parseJSONValue builds the value of one JSON text that the jsontext
// decoder has already checked, in the shapes encoding/json gives an `any`
// with UseNumber ([]any, string, json.Number, bool, nil), objects aside:
// they are jsonObjects. It is several times cheaper than encoding/json: the
// text is copied once and its strings are slices of that copy unless they
// hold escapes or invalid UTF-8, and nothing is checked twice.
func parseJSONValue(raw []byte) any {
	p := valueParser{s: string(raw)}
	return p.value()
}

// valueParser walks valid JSON text; it does not check the syntax again.
type valueParser struct {
	s string
	i int
}

func (p *valueParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *valueParser) value() any {
	p.space()
	switch p.s[p.i] {
	case '{':
		m := make(jsonObject, 0, 8)
		for more := p.enter('}'); more; more = p.next() {
			k := p.key()
			m = append(m, jsonMember{key: k, val: p.value()})
		}
		return m
	case '[':
		a := []any{}
		for more := p.enter(']'); more; more = p.next() {
			a = append(a, p.value())
		}
		return a
	case '"':
		return p.str()
	case 't':
		p.i += len("true")
		return true
	case 'f':
		p.i += len("false")
		return false
	case 'n':
		p.i += len("null")
		return nil
	}
	start := p.i
	for p.i < len(p.s) && numberByte(p.s[p.i]) {
		p.i++
	}
	return json.Number(p.s[start:p.i])
}

// enter steps into the object or array whose opening bracket is at p.i and
// reports whether an element follows; an empty one is passed whole (close
// is its closing bracket). With next and key it is the one reading of JSON's
// punctuation, for the tree (value) and the flat items (rawParser) alike.
func (p *valueParser) enter(close byte) bool {
	p.i++
	p.space()
	if p.s[p.i] == close {
		p.i++
		return false
	}
	return true
}

// next passes what follows an element and reports whether it was a comma
// (another element follows) rather than the closing bracket.
func (p *valueParser) next() bool {
	p.space()
	c := p.s[p.i]
	p.i++
	return c == ','
}

// key reads an object member's key and the colon after it.
func (p *valueParser) key() string {
	p.space()
	k := p.str()
	p.space()
	p.i++ // ':'
	return k
}

func numberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// str reads the string at p.i (its opening quote).
func (p *valueParser) str() string {
	p.i++
	start := p.i
	plain := true
	for {
		c := p.s[p.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			p.i += 2
			continue
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		p.i++
	}
	raw := p.s[start:p.i]
	p.i++
	if plain || (strings.IndexByte(raw, '\\') < 0 && utf8.ValidString(raw)) {
		return raw
	}
	return unescapeJSON(raw)
}

// unescapeJSON decodes the escapes of a JSON string's contents and replaces
// invalid UTF-8 and unpaired surrogates with U+FFFD, byte for byte as
// encoding/json does.
func unescapeJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			e := s[i+1]
			i += 2
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r := hex4(s[i:])
				i += 4
				if utf16.IsSurrogate(r) {
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if d := utf16.DecodeRune(r, hex4(s[i+2:])); d != utf8.RuneError {
							b.WriteRune(d)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
			default: // '"', '\\', '/'
				b.WriteByte(e)
			}
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r) // RuneError for an invalid byte, which size 1 skips
			i += size
		}
	}
	return b.String()
}

// hex4 reads the four hex digits of a \u escape (already validated).
func hex4(s string) rune {
	var r rune
	for _, c := range []byte(s[:4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// Paths of the first elements, made once: building "/standard_charges/0/
// payers_information/3" for every payer of every item was a tenth of the
// JSON reader's allocations, and most items have few charges.
const (
	cachedCharges = 4
	cachedPayers  = 64
)

var (
	chargePaths [cachedCharges]string
	payerPaths  [cachedCharges][cachedPayers]string
)

func init() {
	for i := range cachedCharges {
		chargePaths[i] = "/standard_charges/" + strconv.Itoa(i)
		for k := range cachedPayers {
			payerPaths[i][k] = chargePaths[i] + "/payers_information/" + strconv.Itoa(k)
		}
	}
}

// indexPath is prefix followed by i.
func indexPath(prefix string, i int) string {
	if prefix == "/standard_charges/" && i < cachedCharges {
		return chargePaths[i]
	}
	return prefix + strconv.Itoa(i)
}

// payerPath is the path of payers_information element k of charge i, whose
// path is p.
func payerPath(i int, p string, k int) string {
	if i < cachedCharges && k < cachedPayers {
		return payerPaths[i][k]
	}
	return p + "/payers_information/" + strconv.Itoa(k)
}
