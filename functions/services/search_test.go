package services

import "testing"

func TestSearchPlainWordsAndSynonyms(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		q     string
		first string // the best hit
		all   []string
	}{
		{q: "knee MRI", first: "mri-leg-joint-without-contrast"},
		{q: "colonoscopy", first: "colonoscopy", all: []string{"colonoscopy-biopsy", "colonoscopy-polyp-removal", "colonoscopy-ultrasound"}},
		{q: "c-section", first: "cesarean-delivery"},
		{q: "C section", first: "cesarean-delivery"},
		{q: "blood test", all: []string{"lipid-panel", "cbc", "basic-metabolic-panel", "tsh-test"}},
		{q: "lipid", first: "lipid-panel"},
		{q: "cholesterol", first: "lipid-panel"},
		{q: "mammogram", all: []string{"mammogram-screening", "mammogram-diagnostic-one-breast", "mammogram-diagnostic-both-breasts"}},
		{q: "mammo", all: []string{"mammogram-screening"}},
		{q: "80061", first: "lipid-panel"},
		{q: "470", first: "drg-470-hip-knee-replacement"},
		{q: "knee replacement", first: "drg-470-hip-knee-replacement"},
		{q: "gallbladder", first: "gallbladder-removal-laparoscopic"},
		{q: "EKG", first: "ekg"},
		{q: "x-ray", first: "xray-lower-back-4-views"},
		{q: "physical", all: []string{"preventive-visit-new-18-39", "preventive-visit-new-40-64"}},
		{q: "talk therapy", all: []string{"psychotherapy-30-minutes", "psychotherapy-60-minutes"}},
	} {
		hits := c.Search(tc.q, 0)
		if len(hits) == 0 {
			t.Errorf("Search(%q) found nothing", tc.q)
			continue
		}
		if tc.first != "" && hits[0].Service.ID != tc.first {
			t.Errorf("Search(%q) first = %s, want %s", tc.q, hits[0].Service.ID, tc.first)
		}
		for _, id := range tc.all {
			found := false
			for _, h := range hits {
				found = found || h.Service.ID == id
			}
			if !found {
				t.Errorf("Search(%q) misses %s", tc.q, id)
			}
		}
	}
	// A chest X-ray is not among the 70 services: the catalogue finds nothing
	// rather than offer the lower-back X-ray, and the hospitals' own
	// procedures answer instead.
	for _, q := range []string{"x-ray chest", "", "   ", "zzzz", "80062"} {
		if hits := c.Search(q, 0); len(hits) != 0 {
			t.Errorf("Search(%q) = %v, want nothing", q, hits[0].Service.ID)
		}
	}
	if hits := c.Search("blood test", 2); len(hits) != 2 {
		t.Errorf("limit 2 gave %d hits", len(hits))
	}
}
