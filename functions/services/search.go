package services

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// synonym rewrites words people type into words of the catalogue before a
// query is normalised ("c-section" -> "cesarean", "cholesterol" -> "lipid").
type synonym struct {
	phrase    string
	expansion string
}

func parseSynonyms(data []byte) ([]synonym, error) {
	rows, err := readTable(data, "phrase", "expansion")
	if err != nil {
		return nil, fmt.Errorf("synonym table: %w", err)
	}
	var out []synonym
	for _, r := range rows {
		p := strings.Join(strings.Fields(strings.ToLower(r[0])), " ")
		if p == "" {
			return nil, fmt.Errorf("synonym table: empty phrase")
		}
		out = append(out, synonym{phrase: p, expansion: strings.ToLower(strings.TrimSpace(r[1]))})
	}
	// Longest first, so "cholesterol test" wins over "cholesterol".
	slices.SortStableFunc(out, func(a, b synonym) int { return len(b.phrase) - len(a.phrase) })
	return out, nil
}

// searchIndex holds a service's words by where they come from, for ranking:
// a word of the name counts more than one of the description.
type searchIndex struct {
	name, keywords, text []string
	codes                []string
}

func (c *Catalogue) buildIndex() []searchIndex {
	out := make([]searchIndex, len(c.services))
	for i, s := range c.services {
		ix := &out[i]
		ix.name = c.norm.tokens(s.Name)
		ix.keywords = c.norm.tokens(strings.Join(s.Keywords, " "))
		var text []string
		text = append(text, s.Description, s.Category)
		for _, p := range s.match.phrases {
			text = append(text, p.text)
		}
		ix.text = c.norm.tokens(strings.Join(text, " "))
		for _, cd := range s.Codes {
			ix.codes = append(ix.codes, strings.ToLower(cd.Code))
		}
	}
	return out
}

// Hit is one service found by Search, with its rank score.
type Hit struct {
	Service Service
	Score   int
}

// Search finds services for plain words ("knee MRI", "c-section", "blood
// test") or a code ("80061"). The query goes through the synonym table and
// then the abbreviation table; a service is found when every remaining word
// is one of its words (or begins one, for words of three letters or more),
// and ranks by where the words were found: 3 for its name or a code, 2 for
// its keywords, 1 for its description and matching phrases. Ties keep
// catalogue order. An empty query finds nothing; limit <= 0 means no limit.
func (c *Catalogue) Search(query string, limit int) []Hit {
	codes, words := c.queryWords(query)
	if len(words)+len(codes) == 0 {
		return nil
	}
	var hits []Hit
	for i, ix := range c.index {
		total := 0
		for _, cd := range codes {
			if !slices.Contains(ix.codes, cd) {
				total = -1
				break
			}
			total += 3
		}
		for _, w := range words {
			sc := wordScore(ix, w)
			if sc == 0 || total < 0 {
				total = -1
				break
			}
			total += sc
		}
		if total > 0 {
			hits = append(hits, Hit{Service: c.services[i], Score: total})
		}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// queryCode is the shape of a billing code typed into a search: CPT, HCPCS
// or a three-digit DRG.
var queryCode = regexp.MustCompile(`^([a-v]\d{4}|\d{5}|\d{4}[ftu]|\d{3})$`)

// queryWords splits a query into the codes it names and its words: the
// synonym table applied to the lower-cased rest (whole words only), then
// normalised.
func (c *Catalogue) queryWords(query string) (codes, words []string) {
	var rest []string
	for _, f := range strings.Fields(strings.ToLower(query)) {
		if queryCode.MatchString(f) {
			codes = append(codes, f)
		} else {
			rest = append(rest, f)
		}
	}
	q := " " + strings.Join(rest, " ") + " "
	for _, s := range c.synonyms {
		q = strings.ReplaceAll(q, " "+s.phrase+" ", " "+s.expansion+" ")
	}
	return codes, c.norm.tokens(q)
}

func wordScore(ix searchIndex, w string) int {
	has := func(ws []string) bool {
		return slices.ContainsFunc(ws, func(x string) bool { return wordMatches(w, x, 3) })
	}
	switch {
	case slices.Contains(ix.codes, w) || has(ix.name):
		return 3
	case has(ix.keywords):
		return 2
	case has(ix.text):
		return 1
	}
	return 0
}
