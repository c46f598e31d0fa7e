package services

import (
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// labelledRow is one row of testdata/labelled.csv.
type labelledRow struct {
	description, expected, revenueCode, split, source string
}

func readLabelled(t *testing.T) []labelledRow {
	t.Helper()
	f, err := os.Open("testdata/labelled.csv")
	if err != nil {
		t.Fatalf("open labelled set: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read labelled set: %v", err)
	}
	if got := strings.Join(recs[0], ","); got != "description,expected,revenue_code,split,source" {
		t.Fatalf("labelled set header %q", got)
	}
	var rows []labelledRow
	for _, r := range recs[1:] {
		rows = append(rows, labelledRow{r[0], r[1], r[2], r[3], r[4]})
	}
	return rows
}

var splitWords = regexp.MustCompile(`[^a-z]+`)

// splitOf is the rule that put a description in the training half, the
// development quarter or the held-out test quarter: FNV-1a of its first two
// words of letters (even: train; odd: dev or test by the next bit), so that
// descriptions that differ only in a suffix (a surgeon's name, a contrast
// brand) fall in the same part and cannot leak across. docs/services.md
// tells why there is a dev quarter.
func splitOf(desc string) string {
	var words []string
	for _, w := range splitWords.Split(strings.ToLower(desc), -1) {
		if len(w) >= 2 && len(words) < 2 {
			words = append(words, w)
		}
	}
	h := fnv.New32a()
	h.Write([]byte(strings.Join(words, " ")))
	switch sum := h.Sum32(); {
	case sum%2 == 0:
		return "train"
	case sum>>1%2 == 0:
		return "dev"
	default:
		return "test"
	}
}

// standardNames are reference phrases that are the usual names of their
// tests, written into the catalogue before the labelled set was built; a
// held-out row that is exactly such a name is allowed to equal it.
var standardNames = map[string]bool{
	"basic metabolic panel": true, "lipid panel": true, "renal function panel": true, "therapeutic exercise": true,
	"cbc": true, "ptt": true,
}

// TestLabelledSetIsHonest checks the labelled set against its own rules: at
// least 300 real chargemaster rows; every real row's label is what its
// hospital's billing code says (the service that code belongs to, or none),
// so no label was chosen by hand; every row sits in the half its split rule
// gives; and no held-out description appears in the matcher's tables.
func TestLabelledSetIsHonest(t *testing.T) {
	c := Default()
	rows := readLabelled(t)
	real := 0
	tableEntries := map[string]bool{}
	for _, s := range c.services {
		for _, p := range s.match.phrases {
			tableEntries[strings.ToLower(p.text)] = true
		}
	}
	for k := range c.norm.words {
		tableEntries[k] = true
	}
	for _, r := range rows {
		if r.split != splitOf(r.description) {
			t.Errorf("%q is in %s, its rule says %s", r.description, r.split, splitOf(r.description))
		}
		if r.expected != "" {
			if _, ok := c.ByID(r.expected); !ok {
				t.Errorf("%q: unknown service %q", r.description, r.expected)
			}
		}
		switch {
		case strings.HasPrefix(r.source, "real-cdm "):
			real++
			code := strings.TrimPrefix(r.source, "real-cdm ")
			want := ""
			if s, ok := c.ForCode(priceline.Code{Code: code, Type: "HCPCS"}); ok {
				want = s.ID
			}
			if r.expected != want {
				t.Errorf("%q billed as %s is labelled %q, its code says %q", r.description, code, r.expected, want)
			}
		case r.source == "ours":
			if r.expected != "" {
				t.Errorf("%q: our own rows are negatives", r.description)
			}
		default:
			t.Errorf("%q: unknown source %q", r.description, r.source)
		}
		if r.split != "train" && tableEntries[strings.ToLower(r.description)] && !standardNames[strings.ToLower(r.description)] {
			t.Errorf("held-out description %q is an entry of the matcher's tables", r.description)
		}
	}
	if real < 300 {
		t.Fatalf("%d real chargemaster rows, want at least 300", real)
	}
}

// scores counts a matcher's decisions on labelled rows.
type scores struct{ tp, fp, fn, tn int }

func (s scores) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s scores) recall() float64    { return ratio(s.tp, s.tp+s.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// evaluate matches every row of one half by description (with the row's
// revenue code, as a price file's code pairs would carry it) and scores it
// against the label. A match to the wrong service is a false positive and a
// false negative.
func evaluate(c *Catalogue, rows []labelledRow, split string, source string, report func(string)) scores {
	var s scores
	for _, r := range rows {
		if r.split != split || (source != "" && !strings.HasPrefix(r.source, source)) {
			continue
		}
		var codes []priceline.Code
		if r.revenueCode != "" {
			codes = append(codes, priceline.Code{Code: r.revenueCode, Type: "RC"})
		}
		m := c.Match(codes, r.description)
		switch {
		case m.ServiceID != "" && m.ServiceID == r.expected:
			s.tp++
		case m.ServiceID != "":
			s.fp++
			if r.expected != "" {
				s.fn++
			}
			report(fmt.Sprintf("FP %q -> %s (%.2f by %q), want %q", r.description, m.ServiceID, m.Score, m.Phrase, r.expected))
		case r.expected != "":
			s.fn++
			report(fmt.Sprintf("FN %q want %s: %s %v", r.description, r.expected, m.Reason, c.Candidates(r.description)))
		default:
			s.tn++
		}
	}
	return s
}

// TestMatcherPrecisionOnHeldOut measures the description matcher on the
// held-out half of the labelled set at Threshold: precision must be at
// least 0.95; recall is reported (docs/services.md quotes both).
func TestMatcherPrecisionOnHeldOut(t *testing.T) {
	c := Default()
	rows := readLabelled(t)
	for _, half := range []string{"train", "dev", "test"} {
		for _, source := range []string{"", "real-cdm"} {
			report := func(msg string) { t.Logf("%s: %s", half, msg) }
			if half == "test" && os.Getenv("SERVICES_SHOW_HELDOUT") == "" {
				// The held-out rows' individual mistakes stay hidden while
				// tuning, so that they cannot shape the tables; set
				// SERVICES_SHOW_HELDOUT=1 to list them once the tables are frozen.
				report = func(string) {}
			}
			s := evaluate(c, rows, half, source, report)
			name := "all rows"
			if source != "" {
				name = "real chargemaster rows"
			}
			t.Logf("%s, %s: %d TP, %d FP, %d FN, %d TN: precision %.3f, recall %.3f (threshold %.2f)",
				half, name, s.tp, s.fp, s.fn, s.tn, s.precision(), s.recall(), Threshold)
			if half == "test" && s.precision() < 0.95 {
				t.Errorf("held-out precision %.3f on %s, want at least 0.95", s.precision(), name)
			}
		}
	}
}
