package web

import (
	"strings"
	"testing"
)

// priceHospitals lists the hospital of each row of a /api/prices answer,
// with its distance ("" when it has none).
func priceHospitals(t *testing.T, r *response) (names []string, miles map[string]any) {
	t.Helper()
	miles = map[string]any{}
	for _, x := range r.JSON["prices"].([]any) {
		row := x.(map[string]any)
		n := row["hospital"].(map[string]any)["name"].(string)
		if len(names) == 0 || names[len(names)-1] != n {
			names = append(names, n)
		}
		miles[n] = row["distanceMiles"]
	}
	return names, miles
}

func TestPrices_ZIPRadiusAndDistanceSort(t *testing.T) {
	e := serviceEnv(t)
	names, miles := priceHospitals(t, e.ok("/api/prices?q=lipid&zip=90012&sort=distance"))
	if got := strings.Join(names, ","); got != "Beta Hospital,Alpha Hospital,Gamma Hospital" {
		t.Errorf("sort=distance rows by hospital = %s; want nearest first, the hospital without a ZIP last", got)
	}
	// Downtown Los Angeles (90012) to Riverside (92501): about 52 miles.
	if d, _ := miles["Alpha Hospital"].(float64); d < 47 || d > 57 {
		t.Errorf("Alpha distanceMiles = %v; want about 52", miles["Alpha Hospital"])
	}
	if miles["Beta Hospital"] != 0.0 || miles["Gamma Hospital"] != nil {
		t.Errorf("distances = %v; want Beta 0, Gamma none", miles)
	}
	names, _ = priceHospitals(t, e.ok("/api/prices?q=lipid&zip=90012&radiusMiles=10"))
	if got := strings.Join(names, ","); strings.Contains(got, "Alpha") || !strings.Contains(got, "Gamma") || !strings.Contains(got, "Beta") {
		t.Errorf("radiusMiles=10 rows by hospital = %s; want Beta, and Gamma (no ZIP, never dropped)", got)
	}
	// Pages of a distance query keep its order, and its cursor is bound to
	// the ZIP.
	first := e.ok("/api/prices?q=lipid&zip=90012&sort=distance&limit=1")
	cur, _ := first.JSON["nextCursor"].(string)
	if cur == "" {
		t.Fatalf("no nextCursor: %s", first.Body)
	}
	if r := e.get("/api/prices?q=lipid&zip=92501&sort=distance&limit=1&cursor=" + cur); r.Status != 400 {
		t.Errorf("cursor with another zip = %d %s; want 400", r.Status, r.Body)
	}
	for path, code := range map[string]string{
		"/api/prices?q=lipid&zip=00000":                  "unknown_zip",
		"/api/prices?q=lipid&zip=90012&radiusMiles=0":    "invalid_radius",
		"/api/prices?q=lipid&zip=90012&radiusMiles=501":  "invalid_radius",
		"/api/prices?q=lipid&radiusMiles=10":             "missing_zip",
		"/api/prices?q=lipid&sort=distance":              "missing_zip",
		"/api/prices?code=80061&codeType=CPT&sort=north": "invalid_sort",
	} {
		if r := e.get(path); r.Status != 400 || r.errorCode() != code {
			t.Errorf("GET %s = %d %s; want 400 %s", path, r.Status, r.Body, code)
		}
	}
}
