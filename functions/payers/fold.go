package payers

import (
	"strings"
	"unicode"
)

// word is one word of a name: as written, and folded for comparison.
type word struct {
	raw string
	key string
}

// words splits a name into words at spaces and at the punctuation that
// joins words in payer names ("-", "/", ",", ";", ":", "+"), so that
// "BC/BS", "BCBS-AL" and "Blue Cross-Blue Shield" read like their spaced
// spellings. A word whose folded form is empty (a lone ".") is dropped.
func words(s string) []word {
	var out []word
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("-–—/,;:+|_", r)
	}) {
		if k := foldWord(raw); k != "" {
			out = append(out, word{raw: raw, key: k})
		}
	}
	return out
}

// foldWord lower-cases one word, reads "&" as "and" and drops everything
// that is not a letter or digit, so "Inc.", "INC" and "inc" are one word
// and "Workers'" is "workers".
func foldWord(raw string) string {
	if raw == "&" {
		return "and"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(raw) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else if r == '&' {
			b.WriteString("and")
		}
	}
	return b.String()
}

// Key is the form in which payer and plan names compare: folded words
// joined by single spaces ("BCBS-of AL." and "bcbs of al" have one Key).
// Callers filtering by a normalised name compare Keys.
func Key(name string) string {
	return joinKeys(words(name))
}

func joinKeys(ws []word) string {
	keys := make([]string, len(ws))
	for i, w := range ws {
		keys[i] = w.key
	}
	return strings.Join(keys, " ")
}

func joinRaw(ws []word) string {
	raws := make([]string, len(ws))
	for i, w := range ws {
		raws[i] = w.raw
	}
	return strings.Join(raws, " ")
}
