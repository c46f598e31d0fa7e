package services

import (
	"testing"

	"hospitalpriceline/functions/priceline"
)

func TestCatalogueHasTheSeventyCMSServices(t *testing.T) {
	c := Default()
	ss := c.Services()
	if len(ss) != 70 {
		t.Fatalf("%d services, want the 70 CMS-specified shoppable services", len(ss))
	}
	ids := map[string]bool{}
	for _, s := range ss {
		if ids[s.ID] {
			t.Errorf("id %q twice", s.ID)
		}
		ids[s.ID] = true
		if s.Category == "" || s.Name == "" || s.Description == "" {
			t.Errorf("%s: empty category, name or description", s.ID)
		}
		if len(s.Codes) == 0 {
			t.Errorf("%s: no codes", s.ID)
		}
		for _, cd := range s.Codes {
			if err := wellFormed(cd); err != nil {
				t.Errorf("%s: %v", s.ID, err)
			}
			if got, ok := c.ForCode(cd); !ok || got.ID != s.ID {
				t.Errorf("ForCode(%v) = %q, %v; want %q", cd, got.ID, ok, s.ID)
			}
		}
		if got, ok := c.ByID(s.ID); !ok || got.Name != s.Name {
			t.Errorf("ByID(%q) = %+v, %v", s.ID, got, ok)
		}
	}
	cats := c.Categories()
	want := []string{"Doctor visits and counselling", "Lab tests", "Imaging", "Procedures and surgery", "Hospital stays"}
	if len(cats) != len(want) {
		t.Fatalf("categories %v, want %v", cats, want)
	}
	n := 0
	for i, cat := range cats {
		if cat.Name != want[i] {
			t.Errorf("category %d = %q, want %q", i, cat.Name, want[i])
		}
		n += len(cat.Services)
	}
	if n != 70 {
		t.Errorf("categories hold %d services, want 70", n)
	}
}

func TestLoadRejectsBadCatalogues(t *testing.T) {
	abbr := []byte("from,to\nw/o,without\n")
	syn := []byte("phrase,expansion\n")
	svc := func(id, code, typ string) string {
		return `{"id":"` + id + `","category":"c","name":"n","description":"d","codes":[{"code":"` + code + `","type":"` + typ + `"}],` +
			`"match":{"phrases":["lipid panel"],"anchors":[["lipid"]],"exclude":[]}}`
	}
	for name, js := range map[string]string{
		"not a slug":       "[" + svc("Lipid Panel", "80061", "CPT") + "]",
		"duplicate id":     "[" + svc("a", "80061", "CPT") + "," + svc("a", "80053", "CPT") + "]",
		"code in two":      "[" + svc("a", "80061", "CPT") + "," + svc("b", "80061", "HCPCS") + "]",
		"bad CPT":          "[" + svc("a", "8006", "CPT") + "]",
		"bad DRG":          "[" + svc("a", "4700", "MS-DRG") + "]",
		"unknown type":     "[" + svc("a", "1314112", "CDM") + "]",
		"not json":         "[",
		"anchor two words": `[{"id":"a","category":"c","name":"n","description":"d","codes":[{"code":"80061","type":"CPT"}],"match":{"phrases":["x"],"anchors":[["w/o contrast"]]}}]`,
	} {
		if _, err := Load([]byte(js), abbr, syn); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
	if _, err := Load([]byte("["+svc("a", "80061", "CPT")+"]"), abbr, syn); err != nil {
		t.Errorf("a good catalogue: %v", err)
	}
	if _, err := Load([]byte("[]"), []byte("from,to\nx,y\nx,z\n"), syn); err == nil {
		t.Error("an abbreviation given twice was accepted")
	}
}

func TestCodeKey(t *testing.T) {
	for _, tc := range []struct {
		in   priceline.Code
		want string
		ok   bool
	}{
		{priceline.Code{Code: "80061", Type: "CPT"}, "HCPCS:80061", true},
		{priceline.Code{Code: "80061", Type: "hcpcs"}, "HCPCS:80061", true},
		{priceline.Code{Code: "73050LT", Type: "CPT"}, "HCPCS:73050", true},
		{priceline.Code{Code: "80061-QW", Type: "CPT"}, "HCPCS:80061", true},
		{priceline.Code{Code: "9928125", Type: "CPT"}, "HCPCS:99281", true},
		{priceline.Code{Code: "G0121", Type: "HCPCS"}, "HCPCS:G0121", true},
		{priceline.Code{Code: "0470", Type: "MS-DRG"}, "MS-DRG:470", true},
		{priceline.Code{Code: "70", Type: "MS-DRG"}, "MS-DRG:070", true},
		{priceline.Code{Code: "302-1", Type: "APR-DRG"}, "APR-DRG:302", true},
		{priceline.Code{Code: "1314112", Type: "CDM"}, "", false},
		{priceline.Code{Code: "0301", Type: "RC"}, "", false},
	} {
		got, ok := codeKey(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("codeKey(%+v) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
