package mrf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/transform"
)

// salvaged reads a fault file in salvage mode and returns one line per
// charge ("description|codes|setting|gross|cash|min|max|payer|plan|dollar")
// and every rule reported (file and rows).
func salvaged(t *testing.T, name string) (charges []string, rules []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "salvage", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := OpenWith(iotest.OneByteReader(f), name, Options{Salvage: true})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for {
		c, ps, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, cd := range c.Codes {
			codes = append(codes, cd.Type+" "+cd.Code)
		}
		charges = append(charges, strings.Join([]string{c.Description, strings.Join(codes, "+"), c.Setting, c.Gross.Decimal,
			c.DiscountedCash.Decimal, c.Min.Decimal, c.Max.Decimal, c.Payer, c.Plan, c.NegotiatedDollar.Decimal}, "|"))
		for _, p := range ps {
			rules = append(rules, fmt.Sprintf("%d %s", p.Row, p.Rule))
		}
	}
	for _, p := range rd.FileProblems() {
		rules = append(rules, fmt.Sprintf("%d %s", p.Row, p.Rule))
	}
	return charges, rules
}

func TestSalvage_FaultFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		charges []string
		rules   []string // each must be reported
	}{
		{"wide-incomplete-payers.csv", []string{
			"Office visit|CPT 99213|outpatient|200|150|80|120|MEDICARE|All plans|80",
			"Office visit|CPT 99213|outpatient|200|150|80|120|AETNA|All plans|100",
			"Office visit|CPT 99213|outpatient|200|150|80|120|Cigna|PPO|120",
			"MRI brain|CPT 70551|outpatient|2000|1500|900|1100|MEDICARE|All plans|900",
			"MRI brain|CPT 70551|outpatient|2000|1500|900|1100|Cigna|PPO|1100",
			"Payer rates only|CPT 85025|outpatient|||||MEDICARE|All plans|12",
			"Payer rates only|CPT 85025|outpatient|||||AETNA|All plans|14",
		}, []string{"3 " + RuleSalvagePayerColumns}},
		{"header-faults.csv", []string{
			"Office visit|CPT 99213|outpatient|200|150|80|120|Aetna|PPO|90",
			"Blood count|CPT 85025|outpatient|30|20|10|15|Aetna|PPO|12",
		}, []string{"1 " + RuleEnumState, "1 " + RuleSalvagePlaceholder, "1 " + RuleHeaderUnknown, "3 " + RuleHeaderUnknown, "3 " + RuleSalvagePayerColumns}},
		{"cr-line-endings.csv", []string{
			"Office visit|CPT 99213|outpatient|200|150|80|120|Aetna|PPO|90",
			"Blood count|CPT 85025|outpatient|30|20|10|15|Aetna|PPO|12",
		}, []string{"0 " + RuleSalvageLineEndings}},
		{"v2-rules.csv", []string{
			"Office visit|CPT 99213|outpatient|200|150|80|120|Aetna|PPO|",
			"Blood count|CPT 85025|outpatient|30|20|10|15|Aetna|PPO|",
		}, nil},
		{"money.csv", []string{
			"Dollar sign and commas|CPT 99213|outpatient|1234.5|1234.5|||Aetna|PPO|900",
			"Placeholder|CPT 85025|outpatient||20|||Aetna|PPO|",
			"Only N/A|CPT 80053|outpatient|||||||",
			// The 999999999 placeholder in min and max costs those cells, not the row.
			"Placeholder range|CPT 80048|outpatient|50|40|||Aetna|PPO|30",
		}, []string{"4 " + RuleNumber, "4 " + RuleSalvageCellRead, "4 " + RuleSalvageCellDropped, "5 " + RuleSalvageCellDropped, "6 " + RuleSalvageCellDropped, "7 " + RuleSalvageCellDropped}},
		{"windows-1252.csv", []string{
			"Patient’s visit – café|CPT 99213|outpatient|200|150|||||",
		}, []string{"0 " + RuleSalvageTranscoded}},
		{"ragged.csv", []string{
			"Short row|CPT 99213|outpatient|200||||||",
			"INJECTION, FLOOR|CPT 96372|outpatient|64|32|||||",
			"Long row|CPT 85025|outpatient|30|20|||||",
			"Trailing commas|CPT 80053|outpatient|40|25|||||",
		}, []string{"4 " + RuleSalvageRagged, "5 " + RuleSalvageRagged, "6 " + RuleSalvageRagged}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			charges, rules := salvaged(t, tc.file)
			if !slices.Equal(charges, tc.charges) {
				t.Errorf("charges:\n%s\nwant:\n%s", strings.Join(charges, "\n"), strings.Join(tc.charges, "\n"))
			}
			for _, r := range tc.rules {
				if !slices.Contains(rules, r) {
					t.Errorf("rule %q not reported; got %v", r, rules)
				}
			}
			// The verdict never salvages: Validate reports no salvage.* rule.
			data, err := os.ReadFile(filepath.Join("testdata", "salvage", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Validate(bytes.NewReader(data), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			for r := range rep.CountsByRule {
				if strings.HasPrefix(r, "salvage.") {
					t.Errorf("Validate reported %s", r)
				}
			}
		})
	}
}

func TestSalvage_StrictOpenStillRefusesIncompletePayerColumns(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "salvage", "wide-incomplete-payers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	if _, err := Open(bytes.NewReader(data), "x.csv"); !errors.As(err, &fe) {
		t.Fatalf("strict Open: %v, want a FormatError", err)
	}
}

func TestSalvage_Dates(t *testing.T) {
	for file, want := range map[string]string{"date-m-d-yyyy.csv": "2024-07-01", "date-mm-dd-yyyy.csv": "2024-07-01", "date-iso.csv": "2024-07-01", "date-slashes-iso.csv": "2024-07-01"} {
		f, err := os.Open(filepath.Join("testdata", "salvage", file))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := OpenWith(f, file, Options{Salvage: true})
		f.Close()
		if err != nil || rd.Hospital().LastUpdatedOn != want {
			t.Errorf("%s: %v, last_updated_on %q, want %s", file, err, rd.Hospital().LastUpdatedOn, want)
		}
	}
}

func TestSalvage_RefusedOnlyForWhatCannotBeRead(t *testing.T) {
	for file, code := range map[string]string{"refused-tab.csv": "mrf_not_comma_separated", "refused-mixed.csv": "mrf_bad_header"} {
		f, err := os.Open(filepath.Join("testdata", "salvage", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = OpenWith(f, file, Options{Salvage: true})
		f.Close()
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(fmt.Sprint(err), code) {
			t.Errorf("%s: %v, want %s", file, err, code)
		}
	}
	// A file without CMS header rows (a chargemaster's single header).
	cdm := "CDM Item Number,Revenue Code,Service ID,Service Description,Gross Charge\n1,250,J1815,INSULIN,17\n2,250,,TABLET,7\n3,250,,TABLET,7\n"
	if _, err := OpenWith(strings.NewReader(cdm), "cdm.csv", Options{Salvage: true}); err == nil {
		t.Error("a file without CMS header rows was read")
	}
}

// TestSalvage_TextDecoding splits every multi-byte sequence and CR LF
// across reads: valid UTF-8 passes, Windows-1252 bytes are decoded, CR LF
// stays, a bare CR becomes LF.
func TestSalvage_TextDecoding(t *testing.T) {
	in := []byte("caf\xc3\xa9 \xe2\x80\x99|caf\xe9 \x92 \x96|a\r\nb\rc\r")
	rd := iotest.OneByteReader(bytes.NewReader(in))
	st := &salvageText{}
	out, err := io.ReadAll(transformReader(rd, st))
	if err != nil {
		t.Fatal(err)
	}
	if want := "café ’|café ’ –|a\r\nb\nc\n"; string(out) != want || !st.transcoded || !st.crs {
		t.Fatalf("got %q (transcoded %v, crs %v), want %q", out, st.transcoded, st.crs, want)
	}
}

func transformReader(r io.Reader, st *salvageText) io.Reader { return transform.NewReader(r, st) }
