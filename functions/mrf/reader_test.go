package mrf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

func openFixture(t *testing.T, file string) *Reader {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Open(bytes.NewReader(b), file)
	if err != nil {
		t.Fatalf("Open(%s): %v", file, err)
	}
	return rd
}

func readAll(t *testing.T, rd *Reader) []priceline.Charge {
	t.Helper()
	var out []priceline.Charge
	for {
		ch, _, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, ch)
	}
}

func money(dec string, cents int64) priceline.Money {
	return priceline.Money{Decimal: dec, Cents: cents, Set: true}
}

func TestOpenDetectsFormatAndVersion(t *testing.T) {
	for file, want := range map[string][2]string{
		"cms-examples/V3.0.0_Tall_CSV_Format_Example.csv":   {FormatCSVTall, "3.0.0"},
		"cms-examples/V3.0.0_Wide_CSV_Format_Example.csv":   {FormatCSVWide, "3.0.0"},
		"cms-examples/v3_json_format_example.json":          {FormatJSON, "3.0.0"},
		"cms-examples/V2.0.0_Wide_CSV_Format_Example.csv":   {FormatCSVWide, "2.0.0"},
		"hpt-validator-fixtures/sample-valid-bom.json":      {FormatJSON, "2.0.0"},
		"hpt-validator-fixtures/sample-tall-small-rows.csv": {FormatCSVTall, "2.0.0"},
	} {
		rd := openFixture(t, file)
		if got := [2]string{rd.Format(), rd.Version()}; got != want {
			t.Errorf("%s: format, version = %v, want %v", file, got, want)
		}
	}
}

func TestOpenJSONAfterBOMAndWhitespace(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatJSON, 2, 1); err != nil {
		t.Fatal(err)
	}
	in := append([]byte("\xEF\xBB\xBF \r\n\t"), b.Bytes()...)
	rep, err := Validate(bytes.NewReader(in), "bom.json")
	if err != nil || !rep.Valid || rep.Format != FormatJSON || rep.Rows != 2 {
		t.Fatalf("Validate = %+v, %v", rep, err)
	}
}

func TestOpenRefusesOtherDelimiters(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, 3, 1); err != nil {
		t.Fatal(err)
	}
	for name, sep := range map[string]string{"tab": "\t", "semicolon": ";"} {
		// Rewrite the delimiter on unquoted text only: enough for the header row.
		lines := strings.SplitN(b.String(), "\n", 2)
		first := strings.ReplaceAll(lines[0], ",", sep)
		rd, err := Open(strings.NewReader(first+"\n"+lines[1]), name+".csv")
		var fe *FormatError
		if rd != nil || !errors.As(err, &fe) {
			t.Fatalf("%s: Open = %v, %v; want a FormatError", name, rd, err)
		}
		want := "the CMS format requires comma-separated values; this file looks " + name + "-delimited"
		if fe.Problems[0].Message != want || fe.Problems[0].Rule != RuleCSVDelimiter {
			t.Errorf("%s: problem %+v, want message %q", name, fe.Problems[0], want)
		}
	}
}

func TestOpenRefusesBrokenHeadersBeforeAnyRow(t *testing.T) {
	for _, file := range []string{
		"hpt-validator-fixtures/sample-bad-item-header.csv",
		"hpt-validator-fixtures/sample-blank-header.csv",
		"hpt-validator-fixtures/2.0/sample-wide-error-header-standardcharge.csv",
	} {
		f, err := os.Open(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(f, file)
		f.Close()
		var fe *FormatError
		if !errors.As(err, &fe) || len(fe.Problems) == 0 {
			t.Errorf("%s: Open err = %v, want a FormatError with problems", file, err)
		}
	}
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, 1, 1); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(b.String(), "\n", 4)
	ambiguous := lines[0] + "\n" + lines[1] + "\n" + lines[2] + ",standard_charge|P|Q|negotiated_dollar\n" + lines[3]
	if _, err := Open(strings.NewReader(ambiguous), "ambiguous.csv"); err == nil || !strings.Contains(err.Error(), "both tall columns") {
		t.Errorf("tall and wide columns together: err = %v", err)
	}
	for _, in := range []string{"", "   \n", "[1,2]", "{\"hospital_name\": ", "a,b\n"} {
		if _, err := Open(strings.NewReader(in), "x"); err == nil {
			t.Errorf("Open(%q) succeeded", in)
		}
	}
}

func TestHospitalFromEachFormat(t *testing.T) {
	want := priceline.Hospital{
		Name:          "West Mercy Hospital",
		Locations:     []string{"West Mercy Hospital", "West Mercy Surgical Center"},
		Addresses:     []string{"12 Main Street, Fullerton, CA  92832", "23 Ocean Ave, San Jose, CA 94088"},
		LicenseNumber: "50056",
		LicenseState:  "CA",
		LastUpdatedOn: "2026-04-01",
		Version:       "3.0.0",
	}
	want.ID = priceline.HospitalID(want.Name, want.LicenseNumber, want.LicenseState)
	for _, file := range []string{
		"cms-examples/V3.0.0_Tall_CSV_Format_Example.csv",
		"cms-examples/V3.0.0_Wide_CSV_Format_Example.csv",
	} {
		if diff := cmp.Diff(want, openFixture(t, file).Hospital()); diff != "" {
			t.Errorf("%s: hospital mismatch (-want, +got):\n%s", file, diff)
		}
	}
	h := openFixture(t, "cms-examples/v3_json_format_example.json").Hospital()
	if h.ID != want.ID || h.Name != want.Name || h.LicenseState != "CA" || len(h.Locations) != 2 {
		t.Errorf("JSON hospital = %+v", h)
	}
}

func TestHospitalIDIsStableAndDistinct(t *testing.T) {
	a := priceline.HospitalID("West Mercy Hospital", "50056", "CA")
	if len(a) != 32 {
		t.Fatalf("len = %d", len(a))
	}
	if b := priceline.HospitalID("  west mercy   HOSPITAL ", "50056", "ca"); b != a {
		t.Errorf("case and spacing changed the ID")
	}
	if b := priceline.HospitalID("West Mercy Hospital", "50057", "CA"); b == a {
		t.Errorf("license number did not change the ID")
	}
	if b := priceline.HospitalID("West Mercy Hospital", "50056", "NV"); b == a {
		t.Errorf("state did not change the ID")
	}
}

func TestNextTallCSV(t *testing.T) {
	rd := openFixture(t, "cms-examples/V3.0.0_Tall_CSV_Format_Example.csv")
	chs := readAll(t, rd)
	if len(chs) != 45 || rd.Rows() != 45 {
		t.Fatalf("%d charges from %d rows, want 45", len(chs), rd.Rows())
	}
	want := priceline.Charge{
		HospitalID:  rd.Hospital().ID,
		Description: "MRI of brain (no contrast)",
		Codes:       []priceline.Code{{Code: "611", Type: "RC"}, {Code: "70551", Type: "CPT"}},
		Setting:     "outpatient",
		Gross:       money("1200", 120000), DiscountedCash: money("1080", 108000),
		Min: money("250", 25000), Max: money("400", 40000),
		Payer: "Platform Health Insurance", Plan: "PPO",
		NegotiatedDollar: money("400", 40000),
		Methodology:      "fee schedule",
	}
	if diff := cmp.Diff(want, chs[0]); diff != "" {
		t.Errorf("first charge mismatch (-want, +got):\n%s", diff)
	}
	// A percentage with allowed amounts, and a modifier-only row.
	var er, mod *priceline.Charge
	for i := range chs {
		if chs[i].Description == "ER level 3" && er == nil {
			er = &chs[i]
		}
		if chs[i].Description == "Bilateral procedure with co-surgeon" && mod == nil {
			mod = &chs[i]
		}
	}
	if er == nil || er.NegotiatedPercentage != "80" || er.Median != money("12000.12", 1200012) || er.Count != "299" {
		t.Errorf("ER level 3 = %+v", er)
	}
	if mod == nil || !cmp.Equal(mod.Modifiers, []string{"50", "62"}) || len(mod.Codes) != 0 {
		t.Errorf("modifier row = %+v", mod)
	}
}

func TestNextWideCSVYieldsOneChargePerPayer(t *testing.T) {
	rd := openFixture(t, "cms-examples/V3.0.0_Wide_CSV_Format_Example.csv")
	ch1, _, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	ch2, ps, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ch1.Description != "MRI of brain (no contrast)" || ch2.Description != ch1.Description {
		t.Fatalf("descriptions %q, %q", ch1.Description, ch2.Description)
	}
	if ch1.Payer != "Platform Health Insurance" || ch1.Plan != "PPO" || ch1.NegotiatedDollar.Cents != 40000 {
		t.Errorf("first payer charge = %+v", ch1)
	}
	if ch2.Payer != "Region Health Insurance" || ch2.Plan != "HMO" || ch2.NegotiatedDollar.Cents != 25000 {
		t.Errorf("second payer charge = %+v", ch2)
	}
	if ps != nil {
		t.Errorf("second charge of a row carries problems %v", ps)
	}
	if rd.Rows() != 1 {
		t.Errorf("Rows = %d after one row", rd.Rows())
	}
}

func TestNextJSONYieldsOneChargePerPayer(t *testing.T) {
	rd := openFixture(t, "cms-examples/v3_json_format_example.json")
	chs := readAll(t, rd)
	if len(chs) <= rd.Rows() {
		t.Fatalf("%d charges from %d items", len(chs), rd.Rows())
	}
	for _, ch := range chs {
		if ch.HospitalID != rd.Hospital().ID || ch.Description == "" || ch.Setting == "" {
			t.Fatalf("charge without item data: %+v", ch)
		}
	}
}

func TestRowProblemsCarryLineAndColumn(t *testing.T) {
	rd := openFixture(t, "hpt-validator-fixtures/2.0/sample-wide-error-bad-enum.csv")
	for {
		_, ps, err := rd.Next()
		if err != nil {
			t.Fatalf("no problem found: %v", err)
		}
		if len(ps) == 0 {
			continue
		}
		p := ps[0]
		if p.Rule != RuleEnumCodeType || p.Severity != SeverityError || p.Row < 4 || !strings.Contains(p.Column, "type") {
			t.Errorf("problem = %+v", p)
		}
		return
	}
}

func TestCSVHeadersIgnoreCaseAndSpacesAroundPipes(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVWide, 4, 3); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(b.String(), "\n", 4)
	lines[2] = strings.ToUpper(strings.ReplaceAll(lines[2], "|", " | "))
	// CRLF on some lines, LF on others.
	in := lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r\n" + lines[3]
	rep, err := Validate(strings.NewReader(in), "mixed.csv")
	if err != nil || !rep.Valid || rep.Rows != 4 {
		t.Fatalf("Validate = %+v, %v", rep, err)
	}
}

func TestCSVValueRules(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, 1, 1); err != nil {
		t.Fatal(err)
	}
	head := strings.SplitN(b.String(), "\n", 4)
	header := strings.Join(head[:3], "\n") + "\n"
	// Columns: description,code|1,code|1|type,modifiers,setting,drug unit,drug type,gross,cash,min,max,
	// generic notes,payer,plan,dollar,percentage,algorithm,median,10th,90th,count,methodology
	cases := map[string]struct{ row, rule string }{
		"comma amount":     {"X,1,CPT,,outpatient,,,\"1,234.50\",,,,,,,,,,,,,,", RuleNumber},
		"zero amount":      {"X,1,CPT,,outpatient,,,0,,,,,,,,,,,,,,", RuleNumberPositive},
		"bad setting":      {"X,1,CPT,,everywhere,,,5,,,,,,,,,,,,,,", RuleEnumSetting},
		"no code":          {"X,,,,outpatient,,,5,,,,,,,,,,,,,,", RuleChargeNeedsCode},
		"code no type":     {"X,1,,,outpatient,,,5,,,,,,,,,,,,,,", RuleCodeNeedsType},
		"no charge":        {"X,1,CPT,,outpatient,,,,,,,,,,,,,,,,,", RuleItemNeedsCharge},
		"dollar no minmax": {"X,1,CPT,,outpatient,,,,,,,,P,Q,5,,,,,,,fee schedule", RuleDollarNeedsMinMax},
		"pct no count":     {"X,1,CPT,,outpatient,,,,,,,,P,Q,,50,,,,,,fee schedule", RulePercentageNeedsCount},
		"count no median":  {"X,1,CPT,,outpatient,,,,,,,,P,Q,,50,,,,,12,fee schedule", RuleCountNeedsAmounts},
		"bad count":        {"X,1,CPT,,outpatient,,,,,,,,P,Q,,50,,1,1,1,5,fee schedule", RuleCount},
		"other no notes":   {"X,1,CPT,,outpatient,,,,,,,,P,Q,,,alg,,,,0,other", RuleOtherNeedsNotes},
		"ndc no drug":      {"X,1,NDC,,outpatient,,,5,,,,,,,,,,,,,,", RuleNDCNeedsDrugInfo},
		"bad drug type":    {"X,1,NDC,,outpatient,1,XX,5,,,,,,,,,,,,,,", RuleEnumDrugType},
		"no methodology":   {"X,1,CPT,,outpatient,,,,,3,4,,P,Q,5,,,,,,,", RulePayerNeedsMethodology},
		"bad methodology":  {"X,1,CPT,,outpatient,,,,,3,4,,P,Q,5,,,,,,,best price", RuleEnumMethodology},
		"no payer name":    {"X,1,CPT,,outpatient,,,,,3,4,,,Q,5,,,,,,,fee schedule", RuleRequired},
	}
	for name, tc := range cases {
		rep, err := Validate(strings.NewReader(header+tc.row+"\n"), name)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Valid || !hasRule(rep, tc.rule, SeverityError) {
			t.Errorf("%s: want error %q, got %v", name, tc.rule, rep.Errors)
		}
	}
	ok := "X,1,cpt,,Outpatient,,,5.125,,,,,,,,,,,,,,"
	if rep, _ := Validate(strings.NewReader(header+ok+"\n"), "ok"); !rep.Valid {
		t.Errorf("case-insensitive enumerations: %v", rep.Errors)
	}
}

func TestUnknownVersionIsCheckedAsV3WithWarning(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, 2, 1); err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(b.String(), ",3.0.0,", ",9.9,", 1)
	rep, err := Validate(strings.NewReader(in), "v9.csv")
	if err != nil || !rep.Valid || !hasRule(rep, RuleVersionUnknown, SeverityWarning) {
		t.Fatalf("Validate = %+v, %v", rep, err)
	}
}

func TestValidateBoundsListedErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, MaxReportedProblems+50, 1); err != nil {
		t.Fatal(err)
	}
	// Make every row's setting invalid.
	in := strings.NewReplacer(",outpatient,", ",nowhere,", ",inpatient,", ",nowhere,", ",both,", ",nowhere,").Replace(b.String())
	rep, err := Validate(strings.NewReader(in), "many.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != MaxReportedProblems || rep.ErrorCount != MaxReportedProblems+50 || rep.CountsByRule[RuleEnumSetting] != rep.ErrorCount {
		t.Errorf("listed %d, counted %d, by rule %v", len(rep.Errors), rep.ErrorCount, rep.CountsByRule)
	}
}

func TestValidateReturnsReadFailures(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, 5000, 1); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	for _, format := range []string{FormatCSVTall, FormatJSON} {
		b.Reset()
		if err := Generate(&b, format, 5000, 1); err != nil {
			t.Fatal(err)
		}
		r := io.MultiReader(bytes.NewReader(b.Bytes()[:b.Len()/2]), iotest.ErrReader(boom))
		if _, err := Validate(r, format); !errors.Is(err, boom) {
			t.Errorf("%s: err = %v, want the read error", format, err)
		}
	}
	if _, err := Open(iotest.ErrReader(boom), "x"); !errors.Is(err, boom) {
		t.Errorf("Open: err = %v", err)
	}
}

func TestFormatErrorsArePricelineErrors(t *testing.T) {
	for in, code := range map[string]string{
		"a\tb\tc\n1\t2\t3\n":   "mrf_not_comma_separated",
		"":                     "mrf_empty",
		"[1]":                  "mrf_bad_header",
		`{"a": tru}`:           "mrf_syntax",
		"a,\"b\n":              "mrf_syntax",
		"x,y\n\"a\"b,c\nd,e\n": "mrf_syntax",
	} {
		_, err := Open(strings.NewReader(in), "in")
		var pe *priceline.Error
		var fe *FormatError
		if !errors.As(err, &pe) || !errors.As(err, &fe) {
			t.Errorf("Open(%q) = %v; want a *priceline.Error wrapping a *FormatError", in, err)
			continue
		}
		if pe.Kind != priceline.KindInvalid || pe.Code != code || pe.Message == "" {
			t.Errorf("Open(%q): kind %q code %q message %q; want code %q", in, pe.Kind, pe.Code, pe.Message, code)
		}
	}
}
