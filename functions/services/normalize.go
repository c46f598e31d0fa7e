package services

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// normalizer turns free text (a chargemaster description, a search query, a
// reference phrase) into canonical tokens through the abbreviation table, so
// that "US-ABDOMEN COMP W/O" and "ultrasound abdomen complete without" become
// the same words. The same normalizer serves the matcher and the search, so a
// spelling taught to one is known to both.
type normalizer struct {
	punct     []rewrite           // forms with punctuation (w/o, x-ray), longest first
	words     map[string][]string // one word or a phrase of words -> canonical words; empty drops it
	maxPhrase int                 // longest phrase key, in words
}

// rewrite replaces a form that contains punctuation before the text is split
// into words, because splitting would destroy it (w/o would become w and o).
type rewrite struct {
	from, to string
}

var (
	// noiseMarks are the asterisk-fenced warnings hospitals put in
	// descriptions (*NAME ALERT*, *HIGH ALERT*): about safety, not the service.
	noiseMarks = regexp.MustCompile(`\*[^*]*\*`)
	// numberRange joins 18-39 into one word (18to39) so age bands survive
	// the splitting on punctuation.
	numberRange = regexp.MustCompile(`\b(\d+)\s*-\s*(\d+)\b`)
	// dose is a number with a unit of amount (20mg, 5ml, 2.5mcg): it says
	// how much, never which service.
	dose = regexp.MustCompile(`^\d+(mg|ml|mcg|gm|g|l|cc|meq|units?|u|iu|kg|mm|cm|oz)$`)
)

// unitWords follow a number that is worth keeping: minutes and views tell
// services apart (a 30- from a 60-minute session, 2 views from 4).
var unitWords = map[string]string{
	"min": "min", "mins": "min", "minute": "min", "minutes": "min",
	"view": "view", "views": "view", "vw": "view", "vws": "view",
}

// parseAbbreviations reads the abbreviation table: CSV rows "from,to", lines
// starting with # are comments, the first data row is the header.
func parseAbbreviations(data []byte) (*normalizer, error) {
	n := &normalizer{words: map[string][]string{}}
	rows, err := readTable(data, "from", "to")
	if err != nil {
		return nil, fmt.Errorf("abbreviation table: %w", err)
	}
	for _, r := range rows {
		from := strings.ToLower(strings.TrimSpace(r[0]))
		to := strings.Fields(strings.ToLower(r[1]))
		if from == "" {
			return nil, errors.New("abbreviation table: empty from")
		}
		if strings.ContainsFunc(from, func(c rune) bool { return !isWordRune(c) && c != ' ' }) {
			n.punct = append(n.punct, rewrite{from: from, to: strings.Join(to, " ")})
			continue
		}
		key := strings.Join(strings.Fields(from), " ")
		if _, dup := n.words[key]; dup {
			return nil, fmt.Errorf("abbreviation table: %q twice", key)
		}
		n.words[key] = to
		n.maxPhrase = max(n.maxPhrase, len(strings.Fields(key)))
	}
	// Longest first, so that w/o is rewritten before w/ can take its w.
	slices.SortStableFunc(n.punct, func(a, b rewrite) int { return len(b.from) - len(a.from) })
	return n, nil
}

// readTable parses a small embedded CSV table with the given header, skipping
// # comment lines.
func readTable(data []byte, header ...string) ([][]string, error) {
	var lines [][]byte
	for l := range bytes.Lines(data) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			lines = append(lines, l)
		}
	}
	r := csv.NewReader(bytes.NewReader(bytes.Join(lines, nil)))
	r.FieldsPerRecord = len(header)
	var rows [][]string
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if first {
			if !slices.Equal(rec, header) {
				return nil, fmt.Errorf("header %v, want %v", rec, header)
			}
			continue
		}
		rows = append(rows, rec)
	}
	return rows, nil
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// tokens normalises text into canonical words, in order, without repeats:
// lower case; *WARNINGS* removed; punctuated abbreviations rewritten; split
// on anything that is not a letter or digit; a number kept only when joined
// with a unit of time or views (30min, 4view) or a range (18to39) or a level
// (level3); doses and bare numbers dropped; then each word or phrase replaced
// through the abbreviation table (an empty replacement drops it).
func (n *normalizer) tokens(text string) []string {
	s := strings.ToLower(text)
	s = noiseMarks.ReplaceAllString(s, " ")
	s = numberRange.ReplaceAllString(s, "${1}to${2}")
	s = n.rewritePunct(s)
	raw := strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) })
	raw = joinUnits(raw)
	var out []string
	add := func(ws ...string) {
		for _, w := range ws {
			if w != "" && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	for i := 0; i < len(raw); {
		matched := false
		for k := min(n.maxPhrase, len(raw)-i); k >= 1; k-- {
			if to, ok := n.words[strings.Join(raw[i:i+k], " ")]; ok {
				add(to...)
				i += k
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		w := raw[i]
		i++
		if isNumber(w) || dose.MatchString(w) {
			continue
		}
		add(w)
	}
	return out
}

// rewritePunct applies the punctuated forms of the table where they start a
// word (and, when they end in a letter or digit, also end one), so that the
// "w/" of "W/O" or "W-PLT" is rewritten but the "w-" inside "LOW-DOSE" is not.
func (n *normalizer) rewritePunct(s string) string {
	for _, rw := range n.punct {
		var b strings.Builder
		for i := 0; i < len(s); {
			j := strings.Index(s[i:], rw.from)
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			at := i + j
			end := at + len(rw.from)
			startOK := at == 0 || !isWordRune(rune(s[at-1]))
			last := rune(rw.from[len(rw.from)-1])
			endOK := !isWordRune(last) || end == len(s) || !isWordRune(rune(s[end]))
			b.WriteString(s[i:at])
			if startOK && endOK {
				b.WriteString(" " + rw.to + " ")
			} else {
				b.WriteString(rw.from)
			}
			i = end
		}
		s = b.String()
	}
	return s
}

// joinUnits joins a number with a following unit word (30 min -> 30min,
// 4 views -> 4view), a "level" with a following number (level 3 ->
// level3), and normalises units already attached (15mins -> 15min).
func joinUnits(raw []string) []string {
	var out []string
	for i := 0; i < len(raw); i++ {
		w := raw[i]
		if isNumber(w) && i+1 < len(raw) && unitWords[raw[i+1]] != "" {
			out = append(out, w+unitWords[raw[i+1]])
			i++
			continue
		}
		if (w == "level" || w == "lvl") && i+1 < len(raw) && isNumber(raw[i+1]) {
			out = append(out, "level"+raw[i+1])
			i++
			continue
		}
		if d := strings.TrimRightFunc(w, unicode.IsLetter); d != "" && d != w && isNumber(d) {
			if u := unitWords[w[len(d):]]; u != "" {
				w = d + u
			}
		}
		out = append(out, w)
	}
	return out
}

func isNumber(w string) bool {
	return w != "" && strings.IndexFunc(w, func(r rune) bool { return r < '0' || r > '9' }) < 0
}
