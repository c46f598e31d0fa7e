package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// The real catalog keeps a description of at most maxCatalogDescription
// characters, and indexes the first maxIndexedWords words of it; a query of
// more than maxIntersectWords words is not matched across descriptions.
const (
	maxCatalogDescription = 300
	maxIndexedWords       = 12
	maxIntersectWords     = 4
)

// descKey is one distinct description of a procedure.
type descKey struct {
	code codeKey
	desc string // lower-cased, clipped
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// PutProcedures adds catalog entries: one per code (the last description
// written wins) and one per distinct description of it.
func (m *Prices) PutProcedures(_ context.Context, ps []priceline.Procedure) error {
	return m.do("PutProcedures", func() {
		m.init()
		for _, p := range ps {
			k := keyOf(priceline.Code{Code: p.Code, Type: p.CodeType})
			if k.code == "" || k.typ == "" {
				continue
			}
			p.Description = clipRunes(p.Description, maxCatalogDescription)
			m.codes[k] = p
			m.descs[descKey{k, strings.ToLower(p.Description)}] = p
		}
	})
}

// Procedures finds code entries whose normalised code starts with q
// (revenue codes also without leading zeros), then entries with a
// description that has a word starting with each word of q: with a single
// description holding them all, or failing any such, for up to
// maxIntersectWords words, across the procedure's descriptions.
func (m *Prices) Procedures(_ context.Context, q string, limit int) ([]priceline.Procedure, error) {
	return answer(&m.base, "Procedures", func() ([]priceline.Procedure, error) {
		if limit <= 0 {
			return nil, nil
		}
		q = strings.TrimSpace(q)
		var found []priceline.Procedure
		if code := strings.ToUpper(q); code != "" && !strings.ContainsAny(code, " \t") {
			found = append(found, m.codeMatches(code, limit)...)
		}
		if words := priceline.SearchWords(q); len(words) > 0 {
			found = append(found, m.wordMatches(words, limit)...)
		}
		var out []priceline.Procedure
		seen := map[codeKey]bool{}
		for _, p := range found {
			k := keyOf(priceline.Code{Code: p.Code, Type: p.CodeType})
			if !seen[k] && len(out) < limit {
				seen[k] = true
				out = append(out, p)
			}
		}
		return out, nil
	})
}

func (m *Prices) codeMatches(code string, limit int) []priceline.Procedure {
	keys := make([]codeKey, 0, len(m.codes))
	for k := range m.codes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b codeKey) int { return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.typ, b.typ)) })
	var out []priceline.Procedure
	for i, prefix := range []string{code, strings.TrimLeft(code, "0")} {
		if prefix == "" || (i == 1 && prefix == code) {
			continue
		}
		for _, k := range keys {
			if len(out) >= limit {
				return out
			}
			if strings.HasPrefix(k.code, prefix) && (i == 0 || strings.EqualFold(m.codes[k].CodeType, "RC")) {
				out = append(out, m.codes[k])
			}
		}
	}
	return out
}

// indexes reports whether one of the indexed words of description starts
// with w.
func indexes(description, w string) bool {
	words := priceline.SearchWords(description)
	return slices.ContainsFunc(words[:min(len(words), maxIndexedWords)], func(h string) bool { return strings.HasPrefix(h, w) })
}

func (m *Prices) wordMatches(words []string, limit int) []priceline.Procedure {
	longest := slices.MaxFunc(words, func(a, b string) int {
		return cmp.Compare(utf8.RuneCountInString(a), utf8.RuneCountInString(b))
	})
	keys := make([]descKey, 0, len(m.descs))
	for k := range m.descs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b descKey) int {
		return cmp.Or(cmp.Compare(a.code.typ, b.code.typ), cmp.Compare(a.code.code, b.code.code), cmp.Compare(a.desc, b.desc))
	})
	var out, all []priceline.Procedure
	seen := map[codeKey]bool{}
	for _, k := range keys {
		p := m.descs[k]
		if !indexes(p.Description, longest) {
			continue
		}
		all = append(all, p)
		if !seen[k.code] && priceline.HasWords(p.Description, words) && len(out) < limit {
			seen[k.code] = true
			out = append(out, p)
		}
	}
	if len(out) > 0 || len(words) == 1 || len(words) > maxIntersectWords {
		return out
	}
	// No single description has every word: a procedure whose descriptions
	// index each of them between them still matches.
	for _, p := range all {
		k := keyOf(priceline.Code{Code: p.Code, Type: p.CodeType})
		if seen[k] || len(out) >= limit {
			continue
		}
		if !slices.ContainsFunc(words, func(w string) bool { return !m.indexedFor(k, w) }) {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// indexedFor reports whether a description of procedure k indexes a word
// starting with w.
func (m *Prices) indexedFor(k codeKey, w string) bool {
	for dk, p := range m.descs {
		if dk.code == k && indexes(p.Description, w) {
			return true
		}
	}
	return false
}
