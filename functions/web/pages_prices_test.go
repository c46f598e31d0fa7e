package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/ingest"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// priceSampleFiles are imported for the price pages: the CMS tall example
// (West Mercy Hospital) and two generated, fictional hospitals with the same
// codes, so that a comparison has three hospitals and a real spread.
var priceSampleFiles = []string{
	"V3.0.0_Tall_CSV_Format_Example.csv",
	"East_Valley_Medical_Center_generated.csv",
	"North_Shore_Community_Hospital_generated.csv",
}

// newPricePagesEnv is newEnv with the price API and saved estimates on the
// Server, served by a handler built after they were set (the route table
// captures s.Prices when the handler is built), and the sample files
// imported.
func newPricePagesEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	if err := e.tables.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	e.web.Prices = &PriceAPI{Service: &pricing.Service{Store: e.tables.Prices(), Saved: e.tables.Saved()}}
	e.srv.Close()
	e.srv = httptest.NewServer(e.web.Handler())
	t.Cleanup(e.srv.Close)
	svc := &ingest.Service{Store: e.tables.Prices()}
	for _, name := range priceSampleFiles {
		f, err := os.Open(filepath.Join("..", "ingest", "testdata", "samples", name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Import(ctx, f, name)
		f.Close()
		if err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
	}
	return e
}

// page GETs a page as a browser would.
func (e *testEnv) page(path string, a *account) *response {
	e.t.Helper()
	q := req{Method: "GET", Path: path, Header: map[string]string{"Accept": "text/html"}}
	if a != nil {
		q.Cookie = a.Cookie
	}
	return e.do(q)
}

// inlineCode finds what the CSP (script-src 'self'; style-src 'self')
// would block: inline scripts, style elements or attributes, event handlers.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<script>|<style|\sstyle=|\son[a-z]+=|javascript:`)

func assertHTMLPage(t *testing.T, r *response, status int, wants ...string) string {
	t.Helper()
	body := string(r.Body)
	if r.Status != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d (want %d), %s: %s", r.Status, status, r.Header.Get("Content-Type"), body)
	}
	if m := inlineCode.FindString(body); m != "" {
		t.Errorf("the page has inline code the CSP forbids: %q", m)
	}
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	return body
}

// hospitalOrder returns the hospitals of the comparison table in order.
func hospitalOrder(body string) []string {
	i := strings.Index(body, `<table class="compare"`)
	if i < 0 {
		return nil
	}
	tbl := body[i:]
	tbl = tbl[:strings.Index(tbl, "</table>")]
	var out []string
	for _, m := range regexp.MustCompile(`<th scope="row"><span class="hospital-name">([^<]*)<`).FindAllStringSubmatch(tbl, -1) {
		out = append(out, m[1])
	}
	return out
}

const mri = "/compare?code=70551&codeType=CPT"

func TestComparePage_TableChartAndExactMoney(t *testing.T) {
	e := newPricePagesEnv(t)
	r := e.page(mri+"&payer=Platform+Health+Insurance&plan=PPO", nil)
	body := assertHTMLPage(t, r, http.StatusOK,
		// Every amount, exactly as the files give it, as dollars and cents.
		"$1,200.00", "$1,080.00", "$400.00", "$250.00", // West Mercy (CMS example)
		"$2,450.75", "$1,960.60", "$612.40", "$540.00", // East Valley
		"$3,100.00", "$2,325.50", "$1,125.25", "$980.00", // North Shore
		"CPT 70551", "MRI of brain (no contrast)", "outpatient",
		// How far to trust each file, from its import.
		"; attests it is complete;", "rows read, 0 rejected, 0 imported with dropped cells.", "template 3.0.0",
		`<option value="Platform Health Insurance" selected>`, `<option value="PPO" selected>`, `<label for="payer">`, `<label for="plan">`,
		`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc"`,
		`<title id="chart-title">Negotiated rate of Platform Health Insurance PPO at each hospital</title>`,
		"East Valley Medical Center $612.40; North Shore Community Hospital $1,125.25; West Mercy Hospital $400.00 (lowest).", `$400.00 (lowest)</text>`,
		"Negotiated rates of Platform Health Insurance PPO range from $400.00 to $1,125.25 across 3 hospitals: the highest is 281.3% of the lowest.",
		`id="sign-in-to-save" href="/login?returnTo=%2Fcompare%3Fcode%3D70551%26codeType%3DCPT%26payer%3DPlatform%2BHealth%2BInsurance%26plan%3DPPO"`,
	)
	if got := strings.Count(body, `<rect class="bar`); got != 3 {
		t.Errorf("%d bars, want one per hospital (3)", got)
	}
	if got, want := hospitalOrder(body), []string{"East Valley Medical Center", "North Shore Community Hospital", "West Mercy Hospital"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("default order %v, want by name %v", got, want)
	}
	if strings.Contains(body, `id="save-estimate"`) {
		t.Error("a signed-out visitor got the save form")
	}
	// Choosing no insurer drops the negotiated column, not the page.
	r = e.page(mri, nil)
	body = assertHTMLPage(t, r, http.StatusOK, "Choose your insurer above", "Discounted cash price at each hospital")
	if strings.Contains(body, ">Negotiated rate<") {
		t.Error("negotiated column shown without an insurer")
	}
}

func TestFormatUSDIsExact(t *testing.T) {
	for dec, want := range map[string]string{
		"1234.5": "$1,234.50", "1200": "$1,200.00", "0.125": "$0.125", "5": "$5.00", "999.99": "$999.99",
		"1000000.01": "$1,000,000.01", "123456789012345.67": "$123,456,789,012,345.67", "0": "$0.00", "-12.3": "-$12.30",
	} {
		if got := formatUSD(priceline.Money{Decimal: dec, Set: true}); got != want {
			t.Errorf("%s: got %s, want %s", dec, got, want)
		}
	}
	if formatUSD(priceline.Money{}) != "" || orDash(priceline.Money{}) != "—" {
		t.Error("an amount that is not set was shown as a number")
	}
}

func TestComparePage_SortsByColumnWithAriaSort(t *testing.T) {
	e := newPricePagesEnv(t)
	const pp = "&payer=Platform+Health+Insurance&plan=PPO"
	for _, c := range []struct {
		sort, header, aria string
		want               []string
	}{
		{"gross", "Gross charge", "ascending", []string{"West Mercy Hospital", "East Valley Medical Center", "North Shore Community Hospital"}},
		{"-negotiated", "Negotiated rate", "descending", []string{"North Shore Community Hospital", "East Valley Medical Center", "West Mercy Hospital"}},
		{"-hospital", "Hospital", "descending", []string{"West Mercy Hospital", "North Shore Community Hospital", "East Valley Medical Center"}},
		{"cash", "Cash price", "ascending", []string{"West Mercy Hospital", "East Valley Medical Center", "North Shore Community Hospital"}},
	} {
		body := assertHTMLPage(t, e.page(mri+pp+"&sort="+c.sort, nil), http.StatusOK)
		if got := hospitalOrder(body); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("sort=%s: %v, want %v", c.sort, got, c.want)
		}
		if !regexp.MustCompile(`aria-sort="` + c.aria + `"><a href="[^"]*">` + c.header + `<`).MatchString(body) {
			t.Errorf("sort=%s: the %q heading is not marked aria-sort=%s", c.sort, c.header, c.aria)
		}
		if strings.Count(body, "aria-sort=") != 1 {
			t.Errorf("sort=%s: more than one sorted heading", c.sort)
		}
	}
	// Each heading links to its sort, and the sorted one to its reverse.
	body := string(e.page(mri+pp+"&sort=gross", nil).Body)
	for _, want := range []string{
		`href="/compare?code=70551&amp;codeType=CPT&amp;payer=Platform&#43;Health&#43;Insurance&amp;plan=PPO&amp;sort=-gross"`,
		`sort=cash"`, `sort=negotiated"`, `sort=min"`, `sort=max"`, `sort=hospital"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no heading link %s", want)
		}
	}
	// The chart follows the sorted amount, in the table's order.
	if !strings.Contains(body, `<title id="chart-title">Gross charge at each hospital</title>`) {
		t.Error("chart does not show the sorted amount")
	}
}

func TestASVS_V2_2_1_HostilePageParametersGetReadable400(t *testing.T) {
	e := newPricePagesEnv(t)
	for _, q := range []string{
		mri + "&sort=price%3Bdrop",
		mri + "&sort=<script>alert(1)</script>",
		"/compare?codeType=CPT",
		"/compare?code=70551",
		"/compare?code=70551&codeType=C%20P%20T",
		"/compare?code=70551&codeType=<b>",
		mri + "&payer=a%00b",
		mri + "&evil=1",
		mri + "&code=70551",
		mri + "&descriptionMatches=maybe",
		"/compare?code=" + strings.Repeat("9", 65) + "&codeType=CPT",
		mri + "&payer=%ff%fe",
		mri + "&x=%zz",
		"/search?q=%ff",
		"/search?q=a&q=b",
		"/search?q=" + strings.Repeat("x", 201),
		"/search?q=",
		"/search?q=+++",
		"/search",
		"/search?q=mri&limit=500",
	} {
		r := e.page(q, nil)
		body := assertHTMLPage(t, r, http.StatusBadRequest)
		if !strings.Contains(body, `role="alert"`) && !strings.Contains(body, "<h1>Bad Request</h1>") {
			t.Errorf("%s: no readable error: %s", q, body)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>") {
			t.Errorf("%s: input reflected without encoding", q)
		}
	}
	// A plan without its insurer still shows the prices, with the reason.
	r := e.page(mri+"&plan=PPO", nil)
	assertHTMLPage(t, r, http.StatusBadRequest, "Choose the insurer of that plan too", "$1,200.00")
}

func TestComparePage_UnknownCodeIs404Page(t *testing.T) {
	e := newPricePagesEnv(t)
	r := e.page("/compare?code=00000&codeType=CPT", nil)
	assertHTMLPage(t, r, http.StatusNotFound, "No hospital lists prices for CPT 00000", `href="/"`)
}

func TestPricePagesWithoutStoreAre503Pages(t *testing.T) {
	e := newEnv(t) // Prices not configured
	for _, p := range []string{mri, "/search?q=mri"} {
		assertHTMLPage(t, e.page(p, nil), http.StatusServiceUnavailable, "not available right now")
	}
}

func TestSearchPage(t *testing.T) {
	e := newPricePagesEnv(t)
	body := assertHTMLPage(t, e.page("/search?q=MRI", nil), http.StatusOK,
		`href="/compare?code=70551&amp;codeType=CPT"`, `value="MRI"`, `<label for="q">`)
	if strings.Contains(body, "No procedure matches") {
		t.Error("MRI found nothing")
	}
	// A code typed exactly goes straight to its comparison.
	r := e.page("/search?q=70551", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != mri {
		t.Fatalf("exact code: %d %s", r.Status, r.Header.Get("Location"))
	}
	assertHTMLPage(t, e.page("/search?q=zzzz+qqqq", nil), http.StatusOK, "No procedure matches “zzzz qqqq”")
	// What was typed is kept (encoded) when the search is refused.
	body = assertHTMLPage(t, e.page("/search?q=+", nil), http.StatusBadRequest, "Type a procedure name or a billing code")
	if !strings.Contains(body, `<input id="q"`) {
		t.Error("refused search does not show the search box again")
	}
	body = assertHTMLPage(t, e.page("/search?q="+url.QueryEscape(`"><script>x</script>`), nil), http.StatusOK)
	if strings.Contains(body, `"><script>x`) || !strings.Contains(body, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`) {
		t.Error("the query was not encoded in the search box")
	}
}

// The autocomplete script reads {"procedures":[{code,codeType,description}]}.
func TestAutocompleteAPIShapeMatchesScript(t *testing.T) {
	e := newPricePagesEnv(t)
	r := e.do(req{Method: "GET", Path: "/api/procedures?limit=8&q=mri"})
	ps, _ := r.JSON["procedures"].([]any)
	if r.Status != 200 || len(ps) == 0 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	for _, k := range []string{"code", "codeType", "description"} {
		if _, ok := ps[0].(map[string]any)[k].(string); !ok {
			t.Errorf("procedure lacks %s: %s", k, r.Body)
		}
	}
	js, err := staticFS.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"data.procedures", "p.code", "p.codeType", "p.description"} {
		if !strings.Contains(string(js), k) {
			t.Errorf("app.js does not read %s", k)
		}
	}
}

func TestSavedEstimates_SaveListDeleteThroughPages(t *testing.T) {
	e := newPricePagesEnv(t)
	pat := e.signedIn("saver@example.com")
	const pp = "&payer=Platform+Health+Insurance&plan=PPO"
	r := e.page(mri+pp, pat)
	assertHTMLPage(t, r, http.StatusOK, `id="save-estimate"`, `name="csrf_token" value="`+pat.CSRF+`"`, `<label for="label">`,
		`<input type="hidden" name="payer" value="Platform Health Insurance">`, `href="/saved">Saved</a>`)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("a signed-in comparison is cacheable")
	}
	form := url.Values{"csrf_token": {pat.CSRF}, "code": {"70551"}, "codeType": {"CPT"}, "payer": {"Platform Health Insurance"}, "plan": {"PPO"}, "label": {"Brain MRI for Pat"}}
	r = e.do(req{Method: "POST", Path: "/saved", Form: form, Cookie: pat.Cookie})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/saved?done=saved" {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	r = e.page("/saved?done=saved", pat)
	body := assertHTMLPage(t, r, http.StatusOK, "The estimate was saved.", "Brain MRI for Pat", "CPT 70551 · Platform Health Insurance PPO",
		`href="/compare?code=70551&amp;codeType=CPT&amp;payer=Platform&#43;Health&#43;Insurance&amp;plan=PPO"`, "You have 1 of 50")
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the saved page is cacheable")
	}
	id := regexp.MustCompile(`name="id" value="([0-9a-f]{32})"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatal("no delete form")
	}
	// Another user neither sees nor deletes it.
	sam := e.signedIn("other-saver@example.com")
	if b := string(e.page("/saved", sam).Body); strings.Contains(b, "Brain MRI") {
		t.Error("another user sees the estimate")
	}
	r = e.do(req{Method: "POST", Path: "/saved/delete", Form: url.Values{"csrf_token": {sam.CSRF}, "id": {id[1]}}, Cookie: sam.Cookie})
	assertHTMLPage(t, r, http.StatusNotFound, "was not found")
	r = e.do(req{Method: "POST", Path: "/saved/delete", Form: url.Values{"csrf_token": {pat.CSRF}, "id": {id[1]}}, Cookie: pat.Cookie})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/saved?done=deleted" {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if b := string(e.page("/saved", pat).Body); strings.Contains(b, "Brain MRI") || !strings.Contains(b, "Nothing saved yet") {
		t.Error("the deleted estimate is still listed")
	}
}

func TestASVS_V3_5_1_SaveEstimateFormNeedsCSRFToken(t *testing.T) {
	e := newPricePagesEnv(t)
	pat := e.signedIn("csrf-page@example.com")
	for _, tok := range []string{"", "forged"} {
		form := url.Values{"code": {"70551"}, "codeType": {"CPT"}}
		if tok != "" {
			form.Set("csrf_token", tok)
		}
		r := e.do(req{Method: "POST", Path: "/saved", Form: form, Cookie: pat.Cookie})
		assertHTMLPage(t, r, http.StatusForbidden, "Reload the page")
		r = e.do(req{Method: "POST", Path: "/saved/delete", Form: url.Values{"id": {strings.Repeat("a", 32)}, "csrf_token": {tok}}, Cookie: pat.Cookie})
		assertHTMLPage(t, r, http.StatusForbidden, "Reload the page")
	}
	if es, _ := e.tables.Saved().SavedEstimates(context.Background(), pat.UserID); len(es) != 0 {
		t.Fatal("a refused form saved an estimate")
	}
}

// Signed out, the saved page sends you to sign in and brings you back; so
// does "Sign in to save" from a comparison (ASVS V3.7.2: only our own paths).
func TestSavedPageRequiresSignInAndKeepsReturnTo(t *testing.T) {
	e := newPricePagesEnv(t)
	r := e.page("/saved", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?returnTo=%2Fsaved" {
		t.Fatalf("%d %s", r.Status, r.Header.Get("Location"))
	}
	r = e.do(req{Method: "POST", Path: "/saved", Form: url.Values{"code": {"70551"}, "codeType": {"CPT"}}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?") {
		t.Fatalf("signed-out save: %d %s", r.Status, r.Header.Get("Location"))
	}
	e.register("return@example.com")
	back := mri + "&payer=Platform+Health+Insurance&plan=PPO"
	login := e.page("/login?returnTo="+url.QueryEscape(back), nil)
	assertHTMLPage(t, login, http.StatusOK, `name="returnTo" value="/compare?code=70551&amp;codeType=CPT&amp;payer=Platform&#43;Health&#43;Insurance&amp;plan=PPO"`)
	r = e.do(req{Method: "POST", Path: "/login", Form: url.Values{"email": {"return@example.com"}, "password": {goodPassword}, "returnTo": {back}}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != back {
		t.Fatalf("not brought back to the comparison: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestSavedEstimates_LimitIsReadableAndKeepsLabel(t *testing.T) {
	e := newPricePagesEnv(t)
	pat := e.signedIn("full@example.com")
	ctx := context.Background()
	for i := range priceline.MaxSavedEstimates {
		est := &priceline.SavedEstimate{ID: priceline.NewToken(16), UserID: pat.UserID, Code: "70551", CodeType: "CPT",
			Label: fmt.Sprint("n", i), CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
		if err := e.tables.Saved().SaveEstimate(ctx, est); err != nil {
			t.Fatal(err)
		}
	}
	form := url.Values{"csrf_token": {pat.CSRF}, "code": {"70551"}, "codeType": {"CPT"}, "label": {"one too many"}}
	r := e.do(req{Method: "POST", Path: "/saved", Form: form, Cookie: pat.Cookie})
	assertHTMLPage(t, r, http.StatusConflict, `role="alert"`, "Delete one on the Saved page first.", `value="one too many"`, "$1,200.00")
	// A label over the limit is refused with the reason, on the comparison.
	form.Set("label", strings.Repeat("L", 101))
	r = e.do(req{Method: "POST", Path: "/saved", Form: form, Cookie: pat.Cookie})
	assertHTMLPage(t, r, http.StatusBadRequest, "label is longer than 100 characters")
}
