package web

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"hospitalpriceline/functions/ingest"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// importLipidHospitals imports, through the real importer, three
// hospitals: one files the lipid panel under its own chargemaster code
// only, two under CPT 80061, each spelling Blue Cross its own way; Gamma's
// address has no ZIP code and its gross charge is a placeholder.
func importLipidHospitals(t *testing.T, store priceline.PriceStore) {
	t.Helper()
	b, err := os.ReadFile("../ingest/testdata/samples/East_Valley_Medical_Center_generated.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 4)
	imp := &ingest.Service{Store: store}
	file := func(name, license, address string, rows ...string) {
		l1 := strings.ReplaceAll(lines[1], "East Valley Medical Center", name)
		l1 = strings.Replace(l1, "400 Orchard Road, Riverside, CA 92501", address, 1)
		l1 = strings.Replace(l1, ",60112,", ","+license+",", 1)
		data := strings.Join(append([]string{lines[0], l1, lines[2]}, rows...), "\n") + "\n"
		if sum, err := imp.Import(context.Background(), bytes.NewReader([]byte(data)), name+".csv"); err != nil {
			t.Fatalf("import %s: %v (%+v)", name, err, sum)
		}
	}
	file("Alpha Hospital", "1001", "400 Orchard Road, Riverside, CA 92501",
		"LIPID PANEL,1314112,CDM,,,outpatient,,,120,90,BCBS of AL,PPO,,45,,,,,,,45,45,fee schedule,",
		"LIPID PANEL,1314112,CDM,,,outpatient,,,120,90,Aetna,PPO,,0,,,,,,,0,45,fee schedule,")
	file("Beta Hospital", "1002", "1 Temple St, Los Angeles, CA 90012",
		"LIPID PROFILE,80061,CPT,300100,CDM,outpatient,,,150,100,Blue Cross Blue Shield of Alabama,Blue Advantage PPO,,60,,,,,,,60,60,fee schedule,",
		"LIPID PROFILE,80061,CPT,300100,CDM,outpatient,,,150,100,BLUE CROSS OF AL,PPO,,1000.01,,,,,,,60,60,fee schedule,")
	file("Gamma Hospital", "1003", "Hill Road, Somewhere",
		"LIPID PROFILE W/ LDL,80061,CPT,,,outpatient,,,9999999,80,Blue Cross Blue Shield of Alabama,PPO,,,62.5,,70.00,50,90,11,,,percent of total billed charges,")
}

// serviceEnv is the price API on memstore with three hospitals imported
// through the real importer: one files the lipid panel under its own
// chargemaster code only, two under CPT 80061, each spelling Blue Cross
// its own way.
func serviceEnv(t *testing.T) *priceEnv {
	t.Helper()
	store := memstore.NewPrices()
	importLipidHospitals(t, store)
	api := &PriceAPI{Service: &pricing.Service{Store: store}}
	return &priceEnv{t: t, api: api, h: priceHandler(api)}
}

func hospitalEntries(t *testing.T, r *response) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	list, _ := r.JSON["hospitals"].([]any)
	for _, x := range list {
		e := x.(map[string]any)
		out[e["hospital"].(map[string]any)["name"].(string)] = e
	}
	return out
}

func TestServices_CatalogueAndSearch(t *testing.T) {
	e := serviceEnv(t)
	all := e.ok("/api/services").JSON["services"].([]any)
	if len(all) != 70 {
		t.Errorf("GET /api/services lists %d services; want the 70 CMS shoppable services", len(all))
	}
	found := e.ok("/api/services?q=cholesterol").JSON["services"].([]any)
	if len(found) == 0 || found[0].(map[string]any)["id"] != "lipid-panel" {
		t.Fatalf("q=cholesterol found %v; want lipid-panel first", found)
	}
	s := found[0].(map[string]any)
	codes := s["codes"].([]any)
	if s["category"] == "" || s["name"] == "" || codes[0].(map[string]any)["codeType"] != "CPT" {
		t.Errorf("service = %v; want name, category and codes with codeType", s)
	}
}

func TestServices_CompareMatchesByCodeAndByDescription(t *testing.T) {
	e := serviceEnv(t)
	got := hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel"))
	if len(got) != 3 {
		t.Fatalf("entries = %v; want the three hospitals", got)
	}
	alpha := got["Alpha Hospital"]
	if alpha["match"] != "description" || alpha["matchedDescription"] != "LIPID PANEL" || alpha["matchedCode"] != "1314112" || alpha["matchedCodeType"] != "CDM" {
		t.Errorf("Alpha = %v; want a description match on its own CDM 1314112 LIPID PANEL", alpha)
	}
	beta := got["Beta Hospital"]
	if beta["match"] != "code" || beta["matchedCode"] != "80061" || beta["matchedDescription"] != "LIPID PROFILE" {
		t.Errorf("Beta = %v; want a code match on CPT 80061 LIPID PROFILE", beta)
	}
	// The switch leaves description matches out.
	got = hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel&descriptionMatches=false"))
	if _, ok := got["Alpha Hospital"]; ok || len(got) != 2 {
		t.Errorf("descriptionMatches=false entries = %v; want only the code matches", got)
	}
	for path, code := range map[string]string{
		"/api/prices/compare?service=no-such":                              "service_not_found",
		"/api/prices/compare?service=lipid-panel&descriptionMatches=maybe": "invalid_description_matches",
		"/api/prices/compare?service=lipid-panel&code=80061&codeType=CPT":  "invalid_query",
	} {
		if r := e.get(path); r.errorCode() != code {
			t.Errorf("GET %s = %d %s; want %s", path, r.Status, r.Body, code)
		}
	}
}

func TestServices_PlaceholdersFlaggedNotShown(t *testing.T) {
	e := serviceEnv(t)
	got := hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel"))
	gamma := got["Gamma Hospital"]
	if gamma["gross"] != nil {
		t.Errorf("Gamma gross = %v; 9999999 is a placeholder, not a price", gamma["gross"])
	}
	if dq, _ := gamma["dataQuality"].([]any); len(dq) == 0 || !strings.Contains(dq[0].(string), "9999999") {
		t.Errorf("Gamma dataQuality = %v; want the placeholder listed", gamma["dataQuality"])
	}
}

// A comparison by code applies the same rule as one by service, and the
// price rows keep a flagged amount only in their flags, never as a price.
func TestPrices_PlaceholdersFlaggedByCodeAndInRows(t *testing.T) {
	e := serviceEnv(t)
	got := hospitalEntries(t, e.ok("/api/prices/compare?code=80061&codeType=CPT&sort=-gross"))
	gamma := got["Gamma Hospital"]
	if gamma["gross"] != nil {
		t.Errorf("Gamma gross = %v; 9999999 is a placeholder, not a price", gamma["gross"])
	}
	if dq, _ := gamma["dataQuality"].([]any); len(dq) != 1 || !strings.Contains(dq[0].(string), "gross charge $9999999: placeholder") {
		t.Errorf("Gamma dataQuality = %v; want the placeholder listed", gamma["dataQuality"])
	}
	if dq, ok := got["Beta Hospital"]["dataQuality"].([]any); !ok || len(dq) != 0 {
		t.Errorf("Beta dataQuality = %v; want an empty list", got["Beta Hospital"]["dataQuality"])
	}
	r := e.ok("/api/prices/compare?code=80061&codeType=CPT&sort=-gross")
	if spread := r.JSON["spread"].(map[string]any)["gross"].(map[string]any); spread["high"].(map[string]any)["amount"] != "150" {
		t.Errorf("gross spread %v; the placeholder is not its high", spread)
	}
	rows := e.ok("/api/prices?code=80061&codeType=CPT").JSON["prices"].([]any)
	var flagged int
	for _, x := range rows {
		row := x.(map[string]any)
		flags := row["flags"].([]any)
		if row["hospital"].(map[string]any)["name"] != "Gamma Hospital" {
			if len(flags) != 0 {
				t.Errorf("row %v flagged", row)
			}
			continue
		}
		flagged++
		f := flags[0].(map[string]any)
		if row["gross"] != nil || len(flags) != 1 || f["field"] != "gross" || f["amount"] != "9999999" || !strings.Contains(f["reason"].(string), "placeholder") {
			t.Errorf("Gamma row gross %v flags %v; want the placeholder in flags only", row["gross"], flags)
		}
	}
	if flagged != 1 || len(rows) != 3 {
		t.Errorf("%d rows, %d of Gamma; flagged rows are kept", len(rows), flagged)
	}
}

func TestPayers_NormalisedNamesThroughTheAPI(t *testing.T) {
	e := serviceEnv(t)
	ps := e.ok("/api/payers").JSON["payers"].([]any)
	var blue map[string]any
	for _, p := range ps {
		if p.(map[string]any)["name"] == "Blue Cross Blue Shield of Alabama" {
			blue = p.(map[string]any)
		}
	}
	if blue == nil {
		t.Fatalf("payers = %v; want Blue Cross Blue Shield of Alabama", ps)
	}
	raw := blue["rawNames"].([]any)
	if len(raw) != 3 {
		t.Errorf("rawNames = %v; want the three spellings", raw)
	}
	// The normalised name finds every hospital's Blue rows, whatever their
	// spelling; the plan narrows by its normalised name.
	got := hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel&payer=Blue+Cross+Blue+Shield+of+Alabama"))
	for _, name := range []string{"Alpha Hospital", "Beta Hospital", "Gamma Hospital"} {
		if n, _ := got[name]["negotiated"].(map[string]any); n == nil || n["rows"].(float64) < 1 {
			t.Errorf("%s negotiated = %v; want its Blue rows", name, got[name]["negotiated"])
		}
	}
	got = hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel&payer=blue+cross+blue+shield+of+alabama&plan=Blue+Advantage+PPO"))
	if n := got["Beta Hospital"]["negotiated"].(map[string]any); n["rows"].(float64) != 1 || n["dollar"].(map[string]any)["amount"] != "60" {
		t.Errorf("Beta with plan = %v; want its one Blue Advantage PPO row", n)
	}
	// A name that matches nothing stays as written: no rows.
	got = hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel&payer=Blue+Cross+of+Kansas"))
	if n := got["Beta Hospital"]["negotiated"].(map[string]any); n["rows"].(float64) != 0 {
		t.Errorf("another Blue plan matched Beta's rows: %v", n)
	}
}

func TestEstimate_CentBoundariesThroughTheAPI(t *testing.T) {
	e := serviceEnv(t)
	base := "/api/prices/compare?service=lipid-panel&payer=Blue+Cross+Blue+Shield+of+Alabama"
	for _, tc := range []struct {
		name, params, hospital, want, basis string
	}{
		// Beta's lowest Blue rate is 60: deductible not met.
		{"deductible not met", "&deductibleRemaining=500", "Beta Hospital", "60.00", "negotiated_dollar"},
		// Met: 20 % of 60 plus a 10 copay.
		{"deductible met", "&deductibleRemaining=0&coinsurancePercent=20&copay=10", "Beta Hospital", "22.00", "negotiated_dollar"},
		// 12.5 % of (60 - 59.99) = 0.00125: half a cent rounds down; 0.01 + 0.00125.
		{"half cent", "&deductibleRemaining=59.99&coinsurancePercent=12.5", "Beta Hospital", "59.99", "negotiated_dollar"},
		// 50 % of 0.01 = 0.005 rounds half up once, at the end.
		{"half up", "&deductibleRemaining=59.99&coinsurancePercent=50", "Beta Hospital", "60.00", "negotiated_dollar"},
		{"oop cap", "&deductibleRemaining=500&oopMaxRemaining=25.5", "Beta Hospital", "25.50", "negotiated_dollar"},
		// Gamma pays only a percentage: the v3 median allowed amount, 70.
		{"median", "&deductibleRemaining=0&coinsurancePercent=10", "Gamma Hospital", "7.00", "median_allowed"},
	} {
		got := hospitalEntries(t, e.ok(base+tc.params))[tc.hospital]
		if got["estimatedYouPay"] != tc.want || got["estimateBasis"] != tc.basis {
			t.Errorf("%s: %s estimate = %v (%v); want %s (%s)", tc.name, tc.hospital, got["estimatedYouPay"], got["estimateBasis"], tc.want, tc.basis)
		}
	}
	// Without a payer: the discounted cash price.
	got := hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel"))
	if b := got["Beta Hospital"]; b["estimatedYouPay"] != "100.00" || b["estimateBasis"] != "cash" {
		t.Errorf("no payer: Beta = %v (%v); want the cash price 100.00", b["estimatedYouPay"], b["estimateBasis"])
	}
	for params, code := range map[string]string{
		"&deductibleRemaining=-5":    "invalid_deductible",
		"&coinsurancePercent=101":    "invalid_coinsurance",
		"&copay=1.005":               "invalid_copay",
		"&oopMaxRemaining=lots":      "invalid_oop_max",
		"&coinsurancePercent=20&x=1": "unknown_parameter",
	} {
		if r := e.get(base + params); r.Status != 400 || r.errorCode() != code {
			t.Errorf("%s = %d %s; want 400 %s", params, r.Status, r.Body, code)
		}
	}
}

func TestDistance_ZIPRadiusAndSort(t *testing.T) {
	e := serviceEnv(t)
	r := e.ok("/api/prices/compare?service=lipid-panel&zip=90012&sort=distance")
	list := r.JSON["hospitals"].([]any)
	var order []string
	for _, x := range list {
		order = append(order, x.(map[string]any)["hospital"].(map[string]any)["name"].(string))
	}
	if strings.Join(order, ",") != "Beta Hospital,Alpha Hospital,Gamma Hospital" {
		t.Errorf("sort=distance order = %v; want nearest first, the hospital without a ZIP last", order)
	}
	got := hospitalEntries(t, r)
	// Downtown Los Angeles (90012) to Riverside (92501): about 52 miles
	// as the crow flies.
	if d, _ := got["Alpha Hospital"]["distanceMiles"].(float64); d < 47 || d > 57 {
		t.Errorf("Alpha distance = %v; want about 52 miles", got["Alpha Hospital"]["distanceMiles"])
	}
	if d, ok := got["Beta Hospital"]["distanceMiles"].(float64); !ok || d != 0 {
		t.Errorf("Beta distance = %v; want 0 (its own ZIP)", got["Beta Hospital"]["distanceMiles"])
	}
	if _, ok := got["Gamma Hospital"]["distanceMiles"]; ok {
		t.Errorf("Gamma has no ZIP but got a distance")
	}
	got = hospitalEntries(t, e.ok("/api/prices/compare?service=lipid-panel&zip=90012&radiusMiles=10"))
	if _, ok := got["Alpha Hospital"]; ok || len(got) != 2 {
		t.Errorf("radiusMiles=10 = %v; want Beta, and Gamma (no ZIP, never dropped)", got)
	}
	for path, code := range map[string]string{
		"/api/prices/compare?service=lipid-panel&zip=00000":                 "unknown_zip",
		"/api/prices/compare?service=lipid-panel&zip=90012&radiusMiles=0":   "invalid_radius",
		"/api/prices/compare?service=lipid-panel&zip=90012&radiusMiles=501": "invalid_radius",
		"/api/prices/compare?service=lipid-panel&sort=distance":             "missing_zip",
	} {
		if r := e.get(path); r.Status != 400 || r.errorCode() != code {
			t.Errorf("GET %s = %d %s; want 400 %s", path, r.Status, r.Body, code)
		}
	}
	hs := e.ok("/api/hospitals").JSON["hospitals"].([]any)
	for _, x := range hs {
		h := x.(map[string]any)
		if h["name"] == "Beta Hospital" && (h["zip"] != "90012" || h["latitude"] == nil || h["longitude"] == nil) {
			t.Errorf("hospital = %v; want zip, latitude and longitude", h)
		}
	}
}
