package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/usmap"
)

// newServicePagesEnv is newPricePagesEnv with the three lipid hospitals
// (importLipidHospitals) imported too, into the same Azurite tables.
func newServicePagesEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newPricePagesEnv(t)
	importLipidHospitals(t, e.tables.Prices())
	return e
}

const lipid = "/compare?service=lipid-panel"

func TestHomeShowsCategoriesLinkingToTheirServices(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page("/", nil), http.StatusOK, `id="categories"`, `href="/search?category=`)
	i := strings.Index(body, `href="/search?category=`)
	link := body[i+len(`href="`):]
	link = html.UnescapeString(link[:strings.Index(link, `"`)])
	assertHTMLPage(t, e.page(link, nil), http.StatusOK, `id="service-results"`, `href="/compare?service=`)
	assertHTMLPage(t, e.page("/search?category=Nothing+like+this", nil), http.StatusNotFound, "no such category")
}

func TestSearchOffersServicesBeforeTheHospitalsProcedures(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page("/search?q=lipid", nil), http.StatusOK, `href="/compare?service=lipid-panel"`, "The hospitals’ own procedures", "LIPID PANEL")
	if strings.Index(body, "service=lipid-panel") > strings.Index(body, "code=1314112") {
		t.Error("the hospitals' own procedures come before the catalogue's services")
	}
}

func TestComparePageByServiceShowsHowEachHospitalMatched(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page(lipid, nil), http.StatusOK,
		"matched by description: LIPID PANEL", "matched by code CPT 80061", `id="description-switch"`,
		"Flagged, not shown as a price: gross charge $9999999")
	if got := hospitalOrder(body); len(got) != 3 {
		t.Fatalf("hospitals %v; want Alpha, Beta and Gamma", got)
	}
	if strings.Contains(body, "$9,999,999.00") {
		t.Error("the placeholder 9999999 is shown as a price")
	}
	body = assertHTMLPage(t, e.page(lipid+"&descriptionMatches=false", nil), http.StatusOK, "Include hospitals matched by description",
		`name="descriptionMatches" value="false"`)
	if got := hospitalOrder(body); strings.Contains(strings.Join(got, ","), "Alpha") || len(got) != 2 {
		t.Errorf("with description matches left out the hospitals are %v", got)
	}
	// The switch and the column links keep the rest of the form.
	body = assertHTMLPage(t, e.page(lipid+"&zip=90012&copay=5", nil), http.StatusOK)
	if !strings.Contains(body, `href="/compare?copay=5&amp;descriptionMatches=false&amp;service=lipid-panel&amp;zip=90012"`) {
		t.Error("the description switch drops the form's other fields")
	}
}

// The page reads the descriptionMatches switch as the API does
// (pricing.ParseDescriptionMatches): a value other than true or false is
// not taken as "on" silently but shown beside the form, 400, with the
// comparison at its default (description matches included).
func TestComparePageShowsABadDescriptionSwitchBesideTheForm(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page(lipid+"&descriptionMatches=maybe", nil), http.StatusBadRequest,
		`role="alert"`, "descriptionMatches must be true or false", "includes the hospitals matched by description", `id="compare-table"`)
	if got := hospitalOrder(body); len(got) != 3 {
		t.Errorf("with a bad switch the hospitals are %v; want all three, matches included", got)
	}
	assertHTMLPage(t, e.page(lipid+"&descriptionMatches=true", nil), http.StatusOK)
	// A comparison by code has no switch: any value is refused, as the API
	// refuses it, and the page does not point at a switch it lacks.
	for _, v := range []string{"false", "true"} {
		body := assertHTMLPage(t, e.page("/compare?code=80061&codeType=CPT&descriptionMatches="+v, nil), http.StatusBadRequest,
			`role="alert"`, "descriptionMatches applies to a service comparison")
		if strings.Contains(body, "use the switch") {
			t.Errorf("descriptionMatches=%s by code points at a switch the page does not show", v)
		}
	}
}

func TestComparePageByCodeFlagsPlaceholders(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page("/compare?code=80061&codeType=CPT&sort=-gross", nil), http.StatusOK,
		"Flagged, not shown as a price: gross charge $9999999")
	if strings.Contains(body, "$9,999,999.00") {
		t.Error("the placeholder 9999999 is shown as a price")
	}
}

func TestComparePageDistancesAndSortByDistance(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page(lipid+"&zip=90012&sort=distance", nil), http.StatusOK,
		`value="90012"`, "0.0 miles", "no ZIP code", `src="/static/zip.js"`)
	if got := strings.Join(hospitalOrder(body), ","); got != "Beta Hospital,Alpha Hospital,Gamma Hospital" {
		t.Errorf("by distance from 90012: %s; want Beta (Los Angeles), Alpha (Riverside), Gamma (no ZIP) last", got)
	}
	body = assertHTMLPage(t, e.page(lipid+"&zip=90012&radiusMiles=10", nil), http.StatusOK, "1 farther away left out")
	if got := strings.Join(hospitalOrder(body), ","); got != "Beta Hospital,Gamma Hospital" {
		t.Errorf("within 10 miles: %s", got)
	}
	// An unknown ZIP: the prices without distances, the error beside the form.
	body = assertHTMLPage(t, e.page(lipid+"&zip=00000", nil), http.StatusBadRequest, "We do not know the ZIP code", `value="00000"`)
	if len(hospitalOrder(body)) != 3 || strings.Contains(body, " miles</td>") {
		t.Error("an unknown ZIP hides the prices or shows distances")
	}
	assertHTMLPage(t, e.page(lipid+"&sort=distance", nil), http.StatusBadRequest, "Enter your ZIP code to sort by distance")
}

func TestComparePageEstimateWithItsBasisAndLimits(t *testing.T) {
	e := newServicePagesEnv(t)
	const blue = lipid + "&payer=Blue+Cross+Blue+Shield+of+Alabama"
	assertHTMLPage(t, e.page(blue+"&deductibleRemaining=0&coinsurancePercent=20&copay=10", nil), http.StatusOK,
		"You would pay (estimate)", "<strong>$22.00</strong>", "from the negotiated rate", "<strong>$24.00</strong>", "from the median allowed amount",
		"facility fee only, not the professional fee", "not a quote")
	// No insurer: the cash price is what you would pay.
	assertHTMLPage(t, e.page(lipid, nil), http.StatusOK, "<strong>$100.00</strong>", "the discounted cash price")
	// A bad input: the form again with the error and what was typed, 400.
	body := assertHTMLPage(t, e.page(blue+"&coinsurancePercent=150", nil), http.StatusBadRequest, `value="150"`, `id="compare-table"`)
	if !strings.Contains(body, "role=\"alert\"") && !strings.Contains(body, "class=\"error") {
		t.Error("the error is not shown beside the form")
	}
	if strings.Contains(body, "You would pay (estimate)</th>") && strings.Contains(body, "$22.00") {
		t.Error("an estimate was shown from bad plan details")
	}
}

func TestComparePagePrefillsThePlanFromTheAccount(t *testing.T) {
	e := newServicePagesEnv(t)
	pat := e.signedIn("plan-page@example.com")
	r := e.do(req{Method: "PUT", Path: "/api/me/plan", JSON: map[string]string{"deductibleRemaining": "0", "coinsurancePercent": "20", "copay": "10"}, Cookie: pat.Cookie, CSRF: pat.CSRF})
	if r.Status != http.StatusOK {
		t.Fatalf("PUT /api/me/plan: %d %s", r.Status, r.Body)
	}
	assertHTMLPage(t, e.page(lipid+"&payer=Blue+Cross+Blue+Shield+of+Alabama", pat), http.StatusOK,
		`id="plan-from-account"`, `name="coinsurancePercent" type="text" inputmode="decimal" maxlength="20" value="20"`, "<strong>$22.00</strong>")
	// Typed details win over the account's.
	assertHTMLPage(t, e.page(lipid+"&payer=Blue+Cross+Blue+Shield+of+Alabama&deductibleRemaining=500", pat), http.StatusOK, "<strong>$60.00</strong>")
}

func TestComparePageMapHasStatesAndPoints(t *testing.T) {
	e := newServicePagesEnv(t)
	body := assertHTMLPage(t, e.page(lipid, nil), http.StatusOK, `id="map"`, "<title>California</title>", `class="point `, "lowest third")
	if n := strings.Count(body, `<circle class="point `); n != 2 {
		t.Errorf("%d points on the map; want Alpha and Beta (Gamma has no ZIP code)", n)
	}
	if strings.Contains(body, "https://") && strings.Contains(body, "tile") {
		t.Error("the map asks for tiles from outside")
	}
	// The legend is in a band below the states, where it covers none (in
	// the top-left corner it hid Washington).
	if !strings.Contains(body, fmt.Sprintf(`viewBox="0 0 %d %d"`, usmap.Width, usmap.Height+legendBand)) {
		t.Error("the map has no band below the states for its legend")
	}
	for _, m := range regexp.MustCompile(`<g class="legend">(.*?)</g>`).FindAllStringSubmatch(body, -1) {
		for _, y := range regexp.MustCompile(` cy="(\d+)"`).FindAllStringSubmatch(m[1], -1) {
			if n, _ := strconv.Atoi(y[1]); n <= usmap.Height {
				t.Errorf("a legend entry at y=%d is on the map (height %d)", n, usmap.Height)
			}
		}
	}
}

// The saved page links a saved estimate to its comparison with the plan
// details it was saved with, so the estimate comes back.
func TestSavedEstimateLinksWithItsPlanDetails(t *testing.T) {
	v := toSavedView(&priceline.SavedEstimate{Code: "80061", CodeType: "CPT", Payer: "Aetna",
		Benefits: priceline.PlanBenefits{DeductibleRemaining: "0", CoinsurancePercent: "20"}})
	if want := "/compare?code=80061&codeType=CPT&coinsurancePercent=20&deductibleRemaining=0&payer=Aetna"; v.URL != want {
		t.Errorf("URL = %s; want %s", v.URL, want)
	}
}

// An estimate saved from a comparison by service links back to that
// comparison with its plan details, and is named after the service.
func TestSavedServiceEstimateLinksToTheServiceComparison(t *testing.T) {
	v := toSavedView(&priceline.SavedEstimate{ServiceID: "lipid-panel", Payer: "Aetna",
		Benefits: priceline.PlanBenefits{Copay: "10.00", CoinsurancePercent: "20"}})
	if want := "/compare?coinsurancePercent=20&copay=10.00&payer=Aetna&service=lipid-panel"; v.URL != want {
		t.Errorf("URL = %s; want %s", v.URL, want)
	}
	if !strings.Contains(strings.ToLower(v.Title), "lipid") || strings.Contains(v.Detail, "CPT") {
		t.Errorf("title %q detail %q; want the service's name", v.Title, v.Detail)
	}
}

// Signed in, a comparison by service has the save form; the saved page
// links back to the service's comparison with the plan details.
func TestComparePageSavesAServiceEstimate(t *testing.T) {
	e := newServicePagesEnv(t)
	pat := e.signedIn("save-service@example.com")
	const blue = "&payer=Blue+Cross+Blue+Shield+of+Alabama"
	assertHTMLPage(t, e.page(lipid+blue+"&coinsurancePercent=20", pat), http.StatusOK,
		`id="save-estimate"`, `<input type="hidden" name="service" value="lipid-panel">`, `<input type="hidden" name="coinsurancePercent" value="20">`)
	r := e.do(req{Method: "POST", Path: "/saved", Cookie: pat.Cookie, CSRF: pat.CSRF, Form: url.Values{
		"csrf_token": {pat.CSRF}, "service": {"lipid-panel"}, "payer": {"Blue Cross Blue Shield of Alabama"}, "coinsurancePercent": {"20"}}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/saved?done=saved" {
		t.Fatalf("POST /saved: %d %s", r.Status, r.Body)
	}
	assertHTMLPage(t, e.page("/saved", pat), http.StatusOK, "Cholesterol test (lipid panel)",
		`href="/compare?coinsurancePercent=20&amp;payer=Blue&#43;Cross&#43;Blue&#43;Shield&#43;of&#43;Alabama&amp;service=lipid-panel"`)
}

// A comparison by service with descriptionMatches=false (issue 16) is saved
// with the switch: the saved page says so and links back to the same
// comparison, and the API lists descriptionMatches false. An estimate saved
// before the switch was kept reads as the comparison's default, true.
func TestSavedServiceEstimateKeepsDescriptionMatchesOff(t *testing.T) {
	e := newServicePagesEnv(t)
	pat := e.signedIn("save-nodesc@example.com")
	body := assertHTMLPage(t, e.page(lipid+"&descriptionMatches=false", pat), http.StatusOK, `id="save-estimate"`)
	if form := body[strings.Index(body, `action="/saved"`):]; !strings.Contains(form[:strings.Index(form, "</form>")], `<input type="hidden" name="descriptionMatches" value="false">`) {
		t.Error("the save form does not carry descriptionMatches=false")
	}
	old := &priceline.SavedEstimate{ID: priceline.NewToken(16), UserID: pat.UserID, ServiceID: "lipid-panel", Label: "old", CreatedAt: e.clock.Now().UTC().Truncate(time.Millisecond)}
	if err := e.tables.Saved().SaveEstimate(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	r := e.do(req{Method: "POST", Path: "/saved", Cookie: pat.Cookie, CSRF: pat.CSRF, Form: url.Values{
		"csrf_token": {pat.CSRF}, "service": {"lipid-panel"}, "descriptionMatches": {"false"}, "label": {"new"}}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/saved?done=saved" {
		t.Fatalf("POST /saved: %d %s", r.Status, r.Body)
	}
	assertHTMLPage(t, e.page("/saved", pat), http.StatusOK,
		`href="/compare?descriptionMatches=false&amp;service=lipid-panel"`, `href="/compare?service=lipid-panel"`,
		"only hospitals that bill it under one of its codes")
	list := e.do(req{Method: "GET", Path: "/api/me/saved", Cookie: pat.Cookie})
	saved, _ := list.JSON["saved"].([]any)
	if list.Status != http.StatusOK || len(saved) != 2 {
		t.Fatalf("GET /api/me/saved: %d %s", list.Status, list.Body)
	}
	for i, want := range []bool{true, false} {
		if got := saved[i].(map[string]any)["descriptionMatches"]; got != want {
			t.Errorf("saved[%d] (%v) descriptionMatches = %v, want %v", i, saved[i].(map[string]any)["label"], got, want)
		}
	}
	r = e.do(req{Method: "POST", Path: "/saved", Cookie: pat.Cookie, CSRF: pat.CSRF, Form: url.Values{
		"csrf_token": {pat.CSRF}, "service": {"lipid-panel"}, "descriptionMatches": {"maybe"}}})
	assertHTMLPage(t, r, http.StatusBadRequest, "descriptionMatches must be true or false", `id="compare-table"`)
	if list := e.do(req{Method: "GET", Path: "/api/me/saved", Cookie: pat.Cookie}); len(list.JSON["saved"].([]any)) != 2 {
		t.Errorf("a refused save wrote something: %s", list.Body)
	}
}
