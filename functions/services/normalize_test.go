package services

import (
	"slices"
	"testing"
)

func TestNormalisationOfChargemasterAbbreviations(t *testing.T) {
	c := Default()
	for in, want := range map[string][]string{
		"US-ABDOMEN COMP W/O":                 {"ultrasound", "abdomen", "complete", "without"},
		"CT- HEAD W/O CONTRAS":                {"ct", "head", "without", "contrast"},
		"MRI HEAD W AND W/O CONTRAST":         {"mri", "head", "with", "without", "contrast"},
		"MRI KNEE WO":                         {"mri", "knee", "without"},
		"CBC W-PLT":                           {"cbc", "with", "plt"},
		"XR LUMBAR SPINE LTD":                 {"xray", "lumbar", "spine", "limited"},
		"PROSTATE BX":                         {"prostate", "biopsy"},
		".HUMULIN 70/30 INSULIN *NAME ALERT*": {"humulin", "insulin"},
		"PSYCHOTHERAPY 30 MIN":                {"psychotherapy", "30min"},
		"THERAPEUTIC PROCEDURE (15 MINS)":     {"therapeutic", "procedure", "15min"},
		"ANKLE LT 4 VIEWS":                    {"ankle", "4view"},
		"OFFICE VISIT NEW LEVEL 3":            {"office", "visit", "new", "level3"},
		"PREVENTIVE NEW PT 18-39":             {"preventive", "new", "pt", "18to39"},
		"ACETAMINOPHEN 500MG TAB":             {"acetaminophen", "tab"},
		"T & A-UPSHAW":                        {"tonsillectomy", "adenoidectomy", "upshaw"},
		"C-SECTION DELIVERY":                  {"cesarean", "delivery"},
		"LOW-DOSE CT":                         {"low", "dose", "ct"},
		"CT ABD W ORAL CONTRAST":              {"ct", "abdomen", "with", "oralcontrast"},
		"":                                    nil,
	} {
		if got := c.Tokens(in); !slices.Equal(got, want) {
			t.Errorf("Tokens(%q) = %q, want %q", in, got, want)
		}
	}
}
