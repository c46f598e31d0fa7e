package payers

import (
	"regexp"
	"strings"
	"unicode"
)

// brackets finds one bracketed group: (…), […] or {…}.
var brackets = regexp.MustCompile(`\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}`)

// planLabel finds "Plan: X", "Plans - X", "Plan X" inside brackets.
var planLabel = regexp.MustCompile(`(?i)^plans?\b\s*[:#=-]?\s*(.*)$`)

// separators split a payer name from a plan or product written after it
// ("Aetna - COMMERCIAL", "UHC: Medicare Advantage", "Cigna | PPO"). A
// hyphen counts only with spaces around it, so "Blue Cross-Blue Shield"
// stays one name.
var separators = []string{" - ", " – ", " — ", " -- ", ": ", " | "}

// corporate are trailing words of a company's legal form, dropped so that
// "Simpra Advantage Inc" and "Simpra Advantage" are one payer.
var corporate = map[string]bool{"inc": true, "incorporated": true, "llc": true, "corp": true, "corporation": true,
	"co": true, "company": true, "ltd": true, "lp": true, "plc": true}

// MaxNameBytes is the longest payer or plan name the rules read; a longer
// one is only tidied. Real names are under a hundred bytes.
const MaxNameBytes = 256

// Normalize returns the normalised payer and plan of a payer name and a
// plan name as a hospital's file writes them. The rules are in
// docs/payers.md; in short: tidy case, spaces and punctuation; drop
// bracketed ids; move plan words ("(Plan: All)", "- COMMERCIAL", "PPO",
// "MCR ADV") from the payer to the plan; and give the large national and
// Blue plans one name through the alias table. A payer the table does not
// know keeps its own words, tidied, and is never guessed into another.
func Normalize(rawPayer, rawPlan string) (payer, plan string) {
	if len(rawPayer) > MaxNameBytes || len(rawPlan) > MaxNameBytes {
		// No real name is this long; the rules would only cost time on it.
		return tidy(rawPayer), tidy(rawPlan)
	}
	t := aliases()
	text, hints := splitPayer(rawPayer)
	name, implied, more := t.resolve(words(text))
	hints = append(hints, implied)
	hints = append(hints, more...)
	hints = append(hints, rawPlan)
	return name, t.composePlan(hints)
}

// splitPayer takes what is not the payer's name out of a raw payer name:
// bracketed groups (a plan label becomes a plan hint, an id is dropped, any
// other words become a plan hint) and whatever follows a separator.
func splitPayer(raw string) (name string, hints []string) {
	s := strings.Map(func(r rune) rune {
		if r == '_' || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, raw)
	s = brackets.ReplaceAllStringFunc(s, func(g string) string {
		inner := strings.TrimSpace(g[1 : len(g)-1])
		switch {
		case inner == "":
		case planLabel.MatchString(inner):
			hints = append(hints, planLabel.FindStringSubmatch(inner)[1])
		case strings.ContainsFunc(inner, unicode.IsDigit):
			// A payer id, contract or plan number: not a name.
		default:
			hints = append(hints, inner)
		}
		return " "
	})
	s = " " + strings.Join(strings.Fields(s), " ") + " "
	cut := len(s)
	for _, sep := range separators {
		if i := strings.Index(s, sep); i > 0 && i < cut {
			cut = i
		}
	}
	if cut < len(s) {
		rest := s[cut:]
		for _, sep := range separators {
			rest = strings.ReplaceAll(rest, sep, " \x00 ")
		}
		for _, h := range strings.Split(rest, "\x00") {
			hints = append(hints, h)
		}
		s = s[:cut]
	}
	return strings.TrimSpace(s), hints
}

// resolve names the payer of ws: by the alias table, as a Blue plan, after
// taking plan words off its end, by a brand at its start, or as written.
// implied is the plan an alias implies; more are plan words found in the
// name, in the order written.
func (t *table) resolve(ws []word) (name, implied string, more []string) {
	for {
		ws = trimCorporate(ws)
		if len(ws) == 0 {
			return "", "", more
		}
		if e, ok := t.lookup(ws); ok {
			return e.name, e.plan, more
		}
		if n, rest, ok := t.parseBlue(ws); ok {
			return n, "", prepend(joinRaw(rest), more)
		}
		if n, plan := t.trailingPlan(ws); n > 0 {
			ws, more = ws[:len(ws)-n], prepend(plan, more)
			continue
		}
		if e, n := t.brandPrefix(ws); n > 0 {
			rest := ws[n:]
			if len(rest) > 0 && rest[0].key == "of" {
				rest = rest[1:]
			}
			return e.name, e.plan, prepend(joinRaw(rest), more)
		}
		if n, phrase := t.phraseAt(ws, 0, t.plans); n == len(ws) {
			// The whole name is a plan word ("MCR ADV" as a payer): say it
			// one way, but do not invent an insurer for it.
			return phrase, "", more
		}
		return joinRaw(ws), "", more
	}
}

// trailingPlan finds plan words at the end of ws and returns how many words
// they are and the plan they name; 0 when there are none, or when taking
// them would leave nothing. Medicare, Medicaid and Tricare are taken only
// when what is left is a payer the table knows ("Humana Medicare", but not
// "Alabama Medicaid").
func (t *table) trailingPlan(ws []word) (int, string) {
	for n := min(t.maxWords, len(ws)-1); n > 0; n-- {
		key := joinKeys(ws[len(ws)-n:])
		if e, ok := t.plans[key]; ok {
			return n, e.name
		}
		if e, ok := t.programs[key]; ok && t.knows(trimCorporate(ws[:len(ws)-n])) {
			return n, e.name
		}
	}
	return 0, ""
}

// knows reports whether ws is a payer of the table, as a whole, a Blue
// plan or a brand at its start.
func (t *table) knows(ws []word) bool {
	if _, ok := t.lookup(ws); ok {
		return true
	}
	if _, _, ok := t.parseBlue(ws); ok {
		return true
	}
	_, n := t.brandPrefix(ws)
	return n > 0
}

// lookup finds ws as a whole in the payer aliases.
func (t *table) lookup(ws []word) (entry, bool) {
	if len(ws) > t.maxWords {
		return entry{}, false
	}
	e, ok := t.payers[joinKeys(ws)]
	return e, ok
}

// brandPrefix finds a brand at the start of ws: an alias marked " *"
// followed by at least one more word. The longest alias of the same payer
// that starts ws is taken, so "Kaiser Foundation Health Plan of Colorado"
// leaves "Colorado", not "Foundation Health Plan of Colorado".
func (t *table) brandPrefix(ws []word) (entry, int) {
	brand := ""
	for n := 1; n <= min(t.maxWords, len(ws)-1); n++ {
		if e, ok := t.payers[joinKeys(ws[:n])]; ok && e.prefix {
			brand = e.name
			break
		}
	}
	if brand == "" {
		return entry{}, 0
	}
	for n := min(t.maxWords, len(ws)-1); n > 0; n-- {
		if e, ok := t.payers[joinKeys(ws[:n])]; ok && e.name == brand {
			return e, n
		}
	}
	return entry{}, 0
}

// phraseAt finds the longest alias of m that starts at ws[i].
func (t *table) phraseAt(ws []word, i int, m map[string]entry) (int, string) {
	for n := min(t.maxWords, len(ws)-i); n > 0; n-- {
		if e, ok := m[joinKeys(ws[i:i+n])]; ok {
			return n, e.name
		}
	}
	return 0, ""
}

// composePlan joins the plan hints into one plan name: each tidied and its
// plan words said one way, duplicates dropped, and "All plans" only when
// nothing narrower was said.
func (t *table) composePlan(hints []string) string {
	var parts []string
	seen := map[string]bool{}
	all := false
	for _, h := range hints {
		p := t.planText(h)
		if p == "" || seen[Key(p)] {
			continue
		}
		if p == allPlans {
			all = true
			continue
		}
		seen[Key(p)] = true
		parts = append(parts, p)
	}
	if len(parts) == 0 && all {
		return allPlans
	}
	return strings.Join(parts, " ")
}

const allPlans = "All plans"

// planText tidies one plan hint, replacing each plan word or phrase (the
// longest first) with its name and keeping other words as written.
func (t *table) planText(s string) string {
	ws := words(s)
	switch joinKeys(ws) {
	case "":
		return ""
	case "all", "plan all", "all plan":
		return allPlans
	}
	var out []string
	for i := 0; i < len(ws); {
		if n, name := t.phraseAt(ws, i, t.plans); n > 0 {
			out, i = append(out, name), i+n
			continue
		}
		if n, name := t.phraseAt(ws, i, t.programs); n > 0 {
			out, i = append(out, name), i+n
			continue
		}
		out, i = append(out, ws[i].raw), i+1
	}
	return strings.Join(out, " ")
}

func trimCorporate(ws []word) []word {
	for len(ws) > 1 && corporate[ws[len(ws)-1].key] {
		ws = ws[:len(ws)-1]
	}
	return ws
}

func prepend(s string, list []string) []string {
	if s == "" {
		return list
	}
	return append([]string{s}, list...)
}
