package services

import (
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

func TestMatchCodesWinAndAreReportedAsSuch(t *testing.T) {
	c := Default()
	cdm := priceline.Code{Code: "1314112", Type: "CDM"}
	for _, tc := range []struct {
		name   string
		codes  []priceline.Code
		desc   string
		want   string
		by     string
		reason string
	}{
		{"CPT", []priceline.Code{{Code: "80061", Type: "CPT"}}, "LIPID PROFILE", "lipid-panel", ByCode, "matched by code: CPT 80061"},
		{"code beats a description of another service", []priceline.Code{{Code: "80061", Type: "CPT"}}, "CBC", "lipid-panel", ByCode, "CPT 80061"},
		{"second code pair", []priceline.Code{cdm, {Code: "0301", Type: "RC"}, {Code: "80061", Type: "HCPCS"}}, "X", "lipid-panel", ByCode, "HCPCS 80061"},
		{"MS-DRG", []priceline.Code{{Code: "470", Type: "MS-DRG"}}, "", "drg-470-hip-knee-replacement", ByCode, "MS-DRG 470"},
		{"APR-DRG", []priceline.Code{{Code: "302", Type: "APR-DRG"}}, "", "drg-470-hip-knee-replacement", ByCode, "APR-DRG 302"},
		{"modifier on the code", []priceline.Code{{Code: "73721RT", Type: "CPT"}}, "", "mri-leg-joint-without-contrast", ByCode, "CPT 73721RT"},
		{"CDM only: by description", []priceline.Code{cdm}, "LIPID PANEL", "lipid-panel", ByDescription, "matched by description: LIPID PANEL"},
		{"CDM only, abbreviations", []priceline.Code{cdm}, "US-ABDOMEN COMP", "ultrasound-abdomen-complete", ByDescription, "US-ABDOMEN COMP"},
		{"no codes", nil, "CT HEAD W/O CONTRAST", "ct-head-without-contrast", ByDescription, ""},
		{"own CPT elsewhere blocks description", []priceline.Code{{Code: "83718", Type: "CPT"}}, "LIPID PANEL", "", "", "not one of the catalogue's"},
		{"drug", []priceline.Code{{Code: "0093-1234-01", Type: "NDC"}}, "LIPID PANEL", "", "", "drug"},
		{"anesthesia fee", []priceline.Code{cdm, {Code: "0964", Type: "RC"}}, "LAPAROSCOPIC CHOLECYSTECTOMY", "", "", "anesthesia"},
		{"supplies", []priceline.Code{{Code: "0272", Type: "RC"}}, "COLONOSCOPY", "", "", "supplies"},
		{"pharmacy", []priceline.Code{{Code: "250", Type: "RC"}}, "TSH", "", "", "pharmacy"},
		{"below threshold", []priceline.Code{cdm}, "INSULIN", "", "", "close enough"},
		{"with, not without", nil, "CT HEAD W CONTRAST", "", "", "close enough"},
		{"excluded word", nil, "COLONOSCOPY PREP KIT", "", "", "close enough"},
	} {
		m := c.Match(tc.codes, tc.desc)
		if m.ServiceID != tc.want || m.By != tc.by || !strings.Contains(m.Reason, tc.reason) || m.Found() != (tc.want != "") {
			t.Errorf("%s: Match = %+v, want %q by %q with reason containing %q", tc.name, m, tc.want, tc.by, tc.reason)
		}
		if m.By == ByCode && m.Score != 1 {
			t.Errorf("%s: code match scored %v", tc.name, m.Score)
		}
		if m.By == ByDescription && (m.Score < Threshold || m.Phrase == "") {
			t.Errorf("%s: description match %+v lacks its score or phrase", tc.name, m)
		}
	}
}

func TestCandidatesAndSimilarity(t *testing.T) {
	c := Default()
	cs := c.Candidates("MRI HEAD W AND W/O CONTRAST")
	if len(cs) != 1 || cs[0].ServiceID != "mri-brain-with-and-without-contrast" || cs[0].Score != 1 {
		t.Errorf("Candidates = %+v", cs)
	}
	if got := c.Similarity("LIPID PANEL", "Lipid panel"); got != 1 {
		t.Errorf("Similarity of one name in two cases = %v", got)
	}
	if got := c.Similarity("LIPID PANEL", "LIPASE"); got != 0 {
		t.Errorf("Similarity of unrelated names = %v", got)
	}
	// The last word may be cut by the field width; other words may not be
	// prefixes ("colon" is not colonoscopy).
	if got := c.Similarity("DIAG MAMMO BILATERAL PLUS CAD WHEN PERFO", "diagnostic mammogram bilateral cad performed"); got != 1 {
		t.Errorf("truncated last word: %v", got)
	}
	if m := c.Match(nil, "COLON RESECTION"); m.Found() {
		t.Errorf("COLON RESECTION matched %+v", m)
	}
	if cs := c.Candidates("*** ..."); cs != nil {
		t.Errorf("no words gave %+v", cs)
	}
}
