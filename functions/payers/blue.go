package payers

import "strings"

// blueKind is which of the two Blue marks a name carries.
type blueKind int

const (
	both   blueKind = iota // Blue Cross Blue Shield, BCBS
	cross                  // Blue Cross alone
	shield                 // Blue Shield alone
)

// bluePrefixes are the spellings of the Blue marks, folded, longest first
// so that "blue cross blue shield" wins over "blue cross".
var bluePrefixes = []struct {
	words []string
	kind  blueKind
}{
	{[]string{"blue", "cross", "and", "blue", "shield"}, both},
	{[]string{"blue", "cross", "blue", "shield"}, both},
	{[]string{"bluecross", "and", "blueshield"}, both},
	{[]string{"bluecross", "blueshield"}, both},
	{[]string{"blue", "cross", "blueshield"}, both},
	{[]string{"bc", "and", "bs"}, both},
	{[]string{"bc", "bs"}, both},
	{[]string{"blue", "cross"}, cross},
	{[]string{"blue", "shield"}, shield},
	{[]string{"bluecross"}, cross},
	{[]string{"blueshield"}, shield},
	{[]string{"bcbs"}, both},
}

// wordCodes are state codes that are also English words or plan
// abbreviations ("BCBS In-Network", "BCBS MA" for Medicare Advantage): they
// name a state only after "of" or glued to BCBS ("BCBSMA").
var wordCodes = map[string]bool{"in": true, "or": true, "me": true, "hi": true, "ok": true, "oh": true, "ma": true, "de": true, "la": true, "pa": true, "co": true, "id": true}

func blueName(s state, k blueKind) string {
	if s.split {
		switch k {
		case cross:
			return "Blue Cross of " + s.name
		case shield:
			return "Blue Shield of " + s.name
		}
	}
	return "Blue Cross Blue Shield of " + s.name
}

// parseBlue reads a Blue Cross / Blue Shield name: the mark, then
// optionally "of" and a state, or a state then the mark ("Alabama BCBS"),
// or BCBS glued to a state code ("BCBSAL"). What follows is returned as
// the plan words. ok is false for names that are not Blue, and for "of"
// followed by a place the table does not know ("Blue Cross of the Rio
// Grande" stays as written rather than be guessed).
func (t *table) parseBlue(ws []word) (name string, rest []word, ok bool) {
	st := -1
	// A state first: "Alabama Blue Cross", "AL BCBS".
	if n, i := t.matchState(ws, false); n > 0 {
		if k, m := matchBlue(ws[n:]); m > 0 {
			return blueName(t.states[i], k), ws[n+m:], true
		}
	}
	if len(ws) > 0 && strings.HasPrefix(ws[0].key, "bcbs") && len(ws[0].key) == 6 {
		if i, found := t.byName[ws[0].key[4:]]; found && len(t.states[i].code) == 2 {
			return blueName(t.states[i], both), ws[1:], true
		}
	}
	k, m := matchBlue(ws)
	if m == 0 {
		return "", nil, false
	}
	rest = ws[m:]
	of := len(rest) > 0 && rest[0].key == "of"
	if of {
		rest = rest[1:]
		if len(rest) > 0 && rest[0].key == "the" {
			rest = rest[1:]
		}
	}
	if n, i := t.matchState(rest, of); n > 0 {
		st, rest = i, rest[n:]
	} else if of {
		return "", nil, false
	}
	if st < 0 {
		switch k {
		case cross:
			return "Blue Cross", rest, true
		case shield:
			return "Blue Shield", rest, true
		}
		return "Blue Cross Blue Shield", rest, true
	}
	return blueName(t.states[st], k), rest, true
}

// matchBlue finds a Blue mark at the start of ws and returns its kind and
// length in words (0 for none).
func matchBlue(ws []word) (blueKind, int) {
	for _, p := range bluePrefixes {
		if hasPrefix(ws, p.words) {
			return p.kind, len(p.words)
		}
	}
	return both, 0
}

// matchState finds a state name (up to three words: "District of
// Columbia") or code at the start of ws. Codes that are also words count
// only when afterOf.
func (t *table) matchState(ws []word, afterOf bool) (n, idx int) {
	for n := min(3, len(ws)); n > 0; n-- {
		key := joinKeys(ws[:n])
		i, found := t.byName[key]
		if !found {
			continue
		}
		if key == t.states[i].code && wordCodes[key] && !afterOf {
			continue
		}
		return n, i
	}
	return 0, -1
}

func hasPrefix(ws []word, keys []string) bool {
	if len(ws) < len(keys) {
		return false
	}
	for i, k := range keys {
		if ws[i].key != k {
			return false
		}
	}
	return true
}
