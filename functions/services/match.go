package services

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// How a row was matched to a service.
const (
	ByCode        = "code"
	ByDescription = "description"
)

// Threshold is the lowest description score (see Candidates) that counts as
// a match. It was chosen on the training half of testdata/labelled.csv and
// holds precision at or above 0.95 on the held-out half (match_eval_test.go).
const Threshold = 0.5

// Match is the service a price row was matched to, how, and why. A zero
// ServiceID means no match; Reason then says why not.
type Match struct {
	ServiceID string
	By        string         // ByCode or ByDescription; "" when there is no match
	Score     float64        // 1 for a code match; the description score otherwise
	Reason    string         // for people: "matched by code: CPT 80061", "matched by description: LIPID PANEL"
	Code      priceline.Code // the row's code that matched, when By is ByCode
	Phrase    string         // the catalogue's reference phrase that matched, when By is ByDescription
}

// Found reports whether the row matched a service.
func (m Match) Found() bool { return m.ServiceID != "" }

// Candidate is one service a description could be, with its score.
type Candidate struct {
	ServiceID string
	Score     float64 // Dice coefficient of the description's and the phrase's words
	Phrase    string  // the reference phrase that scored best
}

// Match finds the service of one price row from its codes (all of the
// row's code pairs) and its description.
//
// Codes win: the first of the row's CPT, HCPCS, MS-DRG or APR-DRG codes that
// belongs to a service decides, and the match says so (By: ByCode). A row
// that carries such a code but none in the catalogue is another service and
// is not matched by description. Only rows without such codes (chargemaster
// codes only, for example) are matched by description, and not when their
// NDC or revenue code says they are a drug, a supply or an anesthesia fee:
// then the best Candidate at or above Threshold wins, unless two services
// tie for it.
func (c *Catalogue) Match(codes []priceline.Code, description string) Match {
	serviceCode := false
	for _, code := range codes {
		key, ok := codeKey(code)
		if !ok {
			continue
		}
		serviceCode = true
		if i, ok := c.byCode[key]; ok {
			n := priceline.NormalizeCode(code)
			return Match{ServiceID: c.services[i].ID, By: ByCode, Score: 1, Code: n,
				Reason: fmt.Sprintf("matched by code: %s %s", n.Type, n.Code)}
		}
	}
	if serviceCode {
		return Match{Reason: "no match: the row's own billing code is not one of the catalogue's"}
	}
	for _, code := range codes {
		if why := notAService(code); why != "" {
			return Match{Reason: "no match: " + why}
		}
	}
	cands := c.Candidates(description)
	if len(cands) == 0 || cands[0].Score < Threshold {
		return Match{Reason: "no match: no service's description is close enough"}
	}
	if len(cands) > 1 && cands[1].Score == cands[0].Score {
		return Match{Reason: fmt.Sprintf("no match: the description fits %s and %s equally", cands[0].ServiceID, cands[1].ServiceID)}
	}
	best := cands[0]
	return Match{ServiceID: best.ServiceID, By: ByDescription, Score: best.Score, Phrase: best.Phrase,
		Reason: "matched by description: " + strings.Join(strings.Fields(description), " ")}
}

// notAService says why a row with this code is not a shoppable service, or
// "" when the code does not say. A drug code, or a revenue code of pharmacy
// (025x, 063x), IV therapy (026x), supplies (027x) or anesthesia (037x, and
// the anesthesiologist's and anesthetist's fees 0963 and 0964), marks a
// charge that accompanies a service rather than the service: a row
// "LAPAROSCOPIC CHOLECYSTECTOMY" under revenue code 0964 is the anesthetist's
// fee for it.
func notAService(code priceline.Code) string {
	n := priceline.NormalizeCode(code)
	switch n.Type {
	case "NDC":
		return "the row is a drug (NDC " + n.Code + ")"
	case "RC":
		rc, err := strconv.Atoi(n.Code)
		if err != nil {
			return ""
		}
		switch {
		case rc/10 == 25 || rc/10 == 63:
			return "revenue code " + n.Code + " is pharmacy"
		case rc/10 == 26:
			return "revenue code " + n.Code + " is IV therapy"
		case rc/10 == 27:
			return "revenue code " + n.Code + " is supplies"
		case rc/10 == 37 || rc == 963 || rc == 964:
			return "revenue code " + n.Code + " is anesthesia"
		}
	}
	return ""
}

// Candidates scores a description against every service and returns those
// it could be, best first. A service is a candidate only when the
// description has a word of each of its anchor groups and none of its
// excluded words; its score is then the best, over its reference phrases,
// of the Dice coefficient 2·|D∩P| / (|D|+|P|) of the description's words D
// and the phrase's words P after normalisation. The last word of the
// description, when five letters or more, also matches a word it begins
// (PERFO for performed), because chargemaster descriptions are cut at a
// fixed width.
func (c *Catalogue) Candidates(description string) []Candidate {
	d := c.norm.tokens(description)
	if len(d) == 0 {
		return nil
	}
	var out []Candidate
	for _, s := range c.services {
		if !admits(s.match, d) {
			continue
		}
		best := Candidate{ServiceID: s.ID}
		for _, p := range s.match.phrases {
			if sc := dice(d, p.tokens); sc > best.Score {
				best.Score, best.Phrase = sc, p.text
			}
		}
		if best.Score > 0 {
			out = append(out, best)
		}
	}
	slices.SortStableFunc(out, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

// Similarity is the Dice coefficient of two texts' normalised words, for
// comparing a row's description with a reference description of a code.
func (c *Catalogue) Similarity(a, b string) float64 {
	return dice(c.norm.tokens(a), c.norm.tokens(b))
}

// Tokens returns the normalised words of a text, to show how the matcher
// reads a description.
func (c *Catalogue) Tokens(text string) []string { return c.norm.tokens(text) }

func admits(p profile, d []string) bool {
	for _, w := range d {
		if slices.Contains(p.exclude, w) {
			return false
		}
	}
	for _, group := range p.anchors {
		if !slices.ContainsFunc(group, func(a string) bool { return hasWord(d, a) }) {
			return false
		}
	}
	return true
}

func dice(d, p []string) float64 {
	if len(d) == 0 || len(p) == 0 {
		return 0
	}
	n := 0
	for _, pw := range p {
		if hasWord(d, pw) {
			n++
		}
	}
	return 2 * float64(n) / float64(len(d)+len(p))
}

// minPrefix is the shortest truncated word the matcher accepts for a longer
// one: five letters, so that "contr" stands for contrast but "with" never
// stands for without.
const minPrefix = 5

// hasWord reports whether description words d contain want, or end with a
// truncation of it: only the last word can have been cut by the width of a
// chargemaster field, and allowing it elsewhere would let "colon" stand for
// colonoscopy.
func hasWord(d []string, want string) bool {
	return slices.Contains(d, want) || (len(d) > 0 && wordMatches(d[len(d)-1], want, minPrefix))
}

// wordMatches reports whether w stands for word want: equal, or a
// truncation of it at least minPrefix letters long.
func wordMatches(w, want string, minPrefix int) bool {
	return w == want || (len(w) >= minPrefix && len(w) < len(want) && strings.HasPrefix(want, w))
}
