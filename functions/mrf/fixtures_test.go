package mrf

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixtureCase is one row of the acceptance table in
// testdata/hpt-validator-fixtures/SOURCES.md (and the six CMS examples in
// testdata/cms-examples, which CMS says are valid for their version).
type fixtureCase struct {
	file     string
	valid    bool
	rule     string   // the main rule SOURCES.md describes: an error when invalid, a warning when valid
	warnings []string // warning rules that must be reported (alerts in SOURCES.md)
}

// Version decisions, where SOURCES.md says the CMS tests validate a file
// "as" a version other than the one it declares:
//
//   - The v2 JSON fixtures all declare "2.0.0" and SOURCES.md validates them
//     as v2.0.0–v2.2.0. This package checks every v2.x file with the v2.2
//     rules (see the package doc), so sample-ndc-no-drug-info.json fails on
//     its NDC without drug information, as it does "as v2.2.0", and
//     sample-no-min-max.json fails on its dollar amount without minimum and
//     maximum, a rule the v2.0.0 schema lacked but v2.2 requires.
//   - The CSV fixtures declare "2.0" or "2.0.0" and are validated "as"
//     v2.0.0, v2.1.0 or v2.2.0: all the same v2 family here, same verdicts.
//   - 3.0/unexpected-version.json declares "2.0.0" but is laid out as v3
//     (attestation, location_name, type_2_npi) and CMS validates it as
//     v3.0.0: valid with an alert. Checking a v3 layout with v2 rules would
//     bury the one real problem (the version string) under a missing
//     affirmation and hospital_location, so the layout decides and the
//     mismatch is a warning.
//   - sample-empty.json declares no version; it is checked as v3.0.0 with a
//     version.unknown warning and is invalid either way (required keys).
var fixtureCases = []fixtureCase{
	// JSON, template v3.0.0.
	{file: "hpt-validator-fixtures/3.0/sample-valid.json", valid: true},
	{file: "hpt-validator-fixtures/3.0/sample-valid-drug-info.json", valid: true},
	{file: "hpt-validator-fixtures/3.0/sample-valid-allowed-amount-zero.json", valid: true},
	{file: "hpt-validator-fixtures/3.0/false-confirmation.json", valid: true, rule: RuleAttestationFalse},
	{file: "hpt-validator-fixtures/3.0/estimated-amount.json", valid: true, rule: RuleRemovedInV3},
	{file: "hpt-validator-fixtures/3.0/allowed-amounts-nine-9s.json", valid: true, rule: RuleNineNines},
	{file: "hpt-validator-fixtures/3.0/unexpected-version.json", valid: true, rule: RuleVersionMismatch},
	{file: "hpt-validator-fixtures/3.0/alerts-with-errors.json", rule: RuleType, warnings: []string{RuleNineNines}},
	{file: "hpt-validator-fixtures/3.0/sample-empty-address.json", rule: RuleEmpty},
	{file: "hpt-validator-fixtures/3.0/sample-empty-location.json", rule: RuleEmpty},
	{file: "hpt-validator-fixtures/3.0/sample-empty-generic-notes.json", rule: RuleEmpty},
	{file: "hpt-validator-fixtures/3.0/sample-empty-payer-notes.json", rule: RuleEmpty},
	{file: "hpt-validator-fixtures/3.0/sample-empty-algorithm.json", rule: RuleEmpty},
	{file: "hpt-validator-fixtures/3.0/sample-modifier-invalid-setting.json", rule: RuleEnumSetting},
	{file: "hpt-validator-fixtures/3.0/sample-missing-count-of-allowed-amounts.json", rule: RulePercentageNeedsCount},
	{file: "hpt-validator-fixtures/3.0/sample-missing-median.json", rule: RuleCountNeedsAmounts},
	{file: "hpt-validator-fixtures/3.0/sample-missing-10th.json", rule: RuleCountNeedsAmounts},
	{file: "hpt-validator-fixtures/3.0/sample-missing-90th.json", rule: RuleCountNeedsAmounts},
	{file: "hpt-validator-fixtures/3.0/sample-payer-no-charge.json", rule: RulePayerNeedsCharge},
	// JSON, template v2.x.
	{file: "hpt-validator-fixtures/sample-valid-bom.json", valid: true},
	{file: "hpt-validator-fixtures/sample-empty.json", rule: RuleRequired, warnings: []string{RuleVersionUnknown}},
	{file: "hpt-validator-fixtures/sample-invalid.json", rule: RuleJSONSyntax},
	{file: "hpt-validator-fixtures/sample-no-charges.json", rule: RuleItemNeedsCharge},
	{file: "hpt-validator-fixtures/sample-no-min-max.json", rule: RuleDollarNeedsMinMax},
	{file: "hpt-validator-fixtures/sample-other-no-notes.json", rule: RuleOtherNeedsNotes},
	{file: "hpt-validator-fixtures/sample-ndc-no-drug-info.json", rule: RuleNDCNeedsDrugInfo},
	// CSV.
	{file: "hpt-validator-fixtures/sample-tall-valid.csv", valid: true},
	{file: "hpt-validator-fixtures/sample-wide-valid.csv", valid: true},
	{file: "hpt-validator-fixtures/sample-tall-mixed-line-endings.csv", valid: true},
	{file: "hpt-validator-fixtures/sample-tall-small-rows.csv", valid: true},
	{file: "hpt-validator-fixtures/sample-wide-blank-headers.csv", valid: true},
	{file: "hpt-validator-fixtures/sample-bad-header.csv", rule: RuleDate},
	{file: "hpt-validator-fixtures/sample-bad-item-header.csv", rule: RuleHeaderMissingColumn},
	{file: "hpt-validator-fixtures/sample-blank-header.csv", rule: RuleHeaderBlank},
	{file: "hpt-validator-fixtures/sample-no-data.csv", rule: RuleMinRows},
	{file: "hpt-validator-fixtures/sample-lots-of-errors.csv", rule: RuleEnumCodeType},
	{file: "hpt-validator-fixtures/2.0/sample-wide-error-bad-enum.csv", rule: RuleEnumCodeType},
	{file: "hpt-validator-fixtures/2.0/sample-wide-error-missing-value.csv", rule: RuleRequired},
	{file: "hpt-validator-fixtures/2.0/sample-wide-error-header.csv", rule: RuleHeaderMissingColumn},
	{file: "hpt-validator-fixtures/2.0/sample-wide-error-header-standardcharge.csv", rule: RuleHeaderMissingColumn},
	// The six CMS examples, valid for the version they declare.
	{file: "cms-examples/V2.0.0_Tall_CSV_Format_Example.csv", valid: true},
	{file: "cms-examples/V2.0.0_Wide_CSV_Format_Example.csv", valid: true},
	{file: "cms-examples/V2.0.0_JSON_Format_Example.json", valid: true},
	{file: "cms-examples/V3.0.0_Tall_CSV_Format_Example.csv", valid: true},
	{file: "cms-examples/V3.0.0_Wide_CSV_Format_Example.csv", valid: true},
	{file: "cms-examples/v3_json_format_example.json", valid: true},
}

func TestValidateFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := Validate(f, tc.file)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if rep.Valid != tc.valid {
				t.Fatalf("Valid = %v, want %v; errors: %v", rep.Valid, tc.valid, rep.Errors)
			}
			if tc.valid && rep.ErrorCount != 0 {
				t.Errorf("valid file has %d errors", rep.ErrorCount)
			}
			if !tc.valid && len(rep.Errors) == 0 {
				t.Errorf("invalid file lists no errors")
			}
			if tc.rule != "" {
				want := SeverityError
				if tc.valid {
					want = SeverityWarning
				}
				if !hasRule(rep, tc.rule, want) {
					t.Errorf("no %s with rule %q; errors %v; warnings %v", want, tc.rule, rep.Errors, rep.Warnings)
				}
			}
			for _, w := range tc.warnings {
				if !hasRule(rep, w, SeverityWarning) {
					t.Errorf("no warning %q; warnings %v", w, rep.Warnings)
				}
			}
		})
	}
}

func hasRule(rep Report, rule, severity string) bool {
	list := rep.Errors
	if severity == SeverityWarning {
		list = rep.Warnings
	}
	for _, p := range list {
		if p.Rule == rule {
			return true
		}
	}
	return false
}

// TestValidateFixtures_WarningCounts checks the alert counts SOURCES.md
// records, where they are one alert per occurrence.
func TestValidateFixtures_WarningCounts(t *testing.T) {
	for file, want := range map[string]int{
		"hpt-validator-fixtures/3.0/allowed-amounts-nine-9s.json": 4,
		"hpt-validator-fixtures/3.0/alerts-with-errors.json":      3,
		"hpt-validator-fixtures/3.0/false-confirmation.json":      1,
		"hpt-validator-fixtures/3.0/estimated-amount.json":        1,
		"hpt-validator-fixtures/3.0/unexpected-version.json":      1,
	} {
		f, err := os.Open(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Validate(f, file)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rep.WarningCount != want {
			t.Errorf("%s: %d warnings, want %d: %v", file, rep.WarningCount, want, rep.Warnings)
		}
	}
}

// TestFixtureTableMatchesSources keeps fixtureCases honest: every fixture
// copied into testdata has a case, and each case's verdict is the one
// SOURCES.md records.
func TestFixtureTableMatchesSources(t *testing.T) {
	verdicts := sourcesVerdicts(t, "testdata/hpt-validator-fixtures/SOURCES.md")
	cases := map[string]bool{}
	for _, tc := range fixtureCases {
		cases[tc.file] = true
		name, ok := strings.CutPrefix(tc.file, "hpt-validator-fixtures/")
		if !ok {
			continue
		}
		v, ok := verdicts[name]
		if !ok {
			t.Errorf("%s: not in SOURCES.md", tc.file)
			continue
		}
		if v != tc.valid {
			t.Errorf("%s: case says valid=%v, SOURCES.md says %v", tc.file, tc.valid, v)
		}
	}
	var files []string
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		// Fuzz seeds and the salvage fault files (salvage_test.go) are not fixtures.
		if err != nil || d.IsDir() || strings.HasPrefix(p, filepath.Join("testdata", "fuzz")) || strings.HasPrefix(p, filepath.Join("testdata", "salvage")) {
			return err
		}
		if ext := filepath.Ext(p); ext == ".csv" || ext == ".json" {
			files = append(files, filepath.ToSlash(strings.TrimPrefix(p, "testdata"+string(filepath.Separator))))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		if !cases[f] {
			t.Errorf("testdata/%s has no case in fixtureCases", f)
		}
	}
	if len(files) != len(fixtureCases) {
		t.Errorf("%d files, %d cases", len(files), len(fixtureCases))
	}
}

// sourcesVerdicts reads the Markdown tables of a SOURCES.md: the first cell
// names the file and the first cell starting with "valid" or "INVALID" is
// the verdict.
func sourcesVerdicts(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 4 || strings.TrimSpace(cells[0]) != "" {
			continue
		}
		name := strings.TrimSpace(cells[1])
		for _, c := range cells[2:] {
			c = strings.TrimSpace(c)
			if strings.HasPrefix(c, "valid") {
				out[name] = true
				break
			}
			if strings.HasPrefix(c, "INVALID") {
				out[name] = false
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
