package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/ingest"
	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
	"hospitalpriceline/functions/pricing"
	"hospitalpriceline/functions/tablestorage"
)

// priceEnv is the price API on the real Table Storage adapter (Azurite),
// served through the same error translation and middleware as Server.
type priceEnv struct {
	t     *testing.T
	api   *PriceAPI
	store *tablestorage.PriceStore
	h     http.Handler
}

func newPriceEnv(t *testing.T) *priceEnv {
	t.Helper()
	az := azurite.Shared(t)
	tables, err := tablestorage.NewFromConnectionString(az.ConnectionString(), tablestorage.Options{TablePrefix: "p" + randHex(t, 6)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tables.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	store := tables.Prices()
	api := &PriceAPI{Service: &pricing.Service{Store: store, CursorKey: func() []byte { return []byte("test cursor key, 32 bytes long!!") }}}
	return &priceEnv{t: t, api: api, store: store, h: priceHandler(api)}
}

// priceHandler mounts the price routes the way Server.Handler mounts its
// route table, so these tests run before the routes are in the table.
func priceHandler(p *PriceAPI) http.Handler { return mountPriceRoutes(&Server{}, p) }

func mountPriceRoutes(s *Server, p *PriceAPI) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.priceRoutes(p) {
		h := rt.Handle
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.respond(w, r, err)
			}
		})
	}
	return securityHeaders(s.limitBody(mux))
}

func (e *priceEnv) get(path string) *response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	out := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(out.Body, &out.JSON)
	}
	return out
}

func (e *priceEnv) ok(path string) *response {
	e.t.Helper()
	r := e.get(path)
	if r.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r
}

func money(cents int64) priceline.Money {
	return priceline.Money{Decimal: fmt.Sprintf("%d.%02d", cents/100, cents%100), Cents: cents, Set: true}
}

// seed imports two hospitals with CPT 99213 and RC 0450 through the store.
func (e *priceEnv) seed() (a, b priceline.Hospital) {
	e.t.Helper()
	ctx := context.Background()
	mk := func(name, state string) priceline.Hospital {
		return priceline.Hospital{ID: priceline.HospitalID(name, "1", state), Name: name, LicenseNumber: "1", LicenseState: state,
			LastUpdatedOn: "2026-04-01", Version: "3.0.0", Locations: []string{name}, Addresses: []string{"1 Main St"}}
	}
	a, b = mk("Alpha General", "CA"), mk("Beta Memorial", "NV")
	a.Facts = priceline.ImportFacts{Attests: "true", RowsRead: 12, RowsImported: 11, RowsRejected: 1, RowsSalvaged: 2, CellsDropped: 3}
	b.Facts = priceline.ImportFacts{Attests: "false", RowsRead: 2, RowsImported: 2}
	charge := func(h priceline.Hospital, code, typ, payer, plan string, gross, cash, neg int64) priceline.Charge {
		return priceline.Charge{HospitalID: h.ID, Description: "Office visit, established patient", Codes: []priceline.Code{{Code: code, Type: typ}},
			Setting: "outpatient", Gross: money(gross), DiscountedCash: money(cash), Min: money(neg - 100), Max: money(neg + 100),
			Payer: payer, Plan: plan, NegotiatedDollar: money(neg), Methodology: "fee schedule"}
	}
	for _, hc := range []struct {
		h  priceline.Hospital
		cs []priceline.Charge
	}{
		{a, []priceline.Charge{
			charge(a, "99213", "CPT", "Platform Health", "PPO", 20000, 15000, 9000),
			charge(a, "99213", "CPT", "Region Health", "HMO", 20000, 15000, 9500),
			charge(a, "0450", "RC", "Platform Health", "PPO", 100000, 80000, 50000),
		}},
		{b, []priceline.Charge{
			charge(b, "99213", "CPT", "PLATFORM  health", "ppo", 50000, 30000, 12000),
			charge(b, "99213", "CPT", "Other Payer", "EPO", 50000, 30000, 14000),
		}},
	} {
		gen := "20260401-0001"
		if err := e.store.BeginImport(ctx, hc.h, gen); err != nil {
			e.t.Fatal(err)
		}
		for _, c := range hc.cs {
			if err := pricelinetest.PutCharges(ctx, e.store, hc.h.ID, gen, c.Codes[0], []priceline.Charge{c}); err != nil {
				e.t.Fatal(err)
			}
		}
		if _, err := e.store.CommitImport(ctx, hc.h, gen); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.store.PutProcedures(ctx, []priceline.Procedure{
		{Code: "99213", CodeType: "CPT", Description: "Office visit, established patient"},
		{Code: "0450", CodeType: "RC", Description: "Emergency room"},
	}); err != nil {
		e.t.Fatal(err)
	}
	return a, b
}

func TestPrices_HospitalsListsImportedHospitals(t *testing.T) {
	e := newPriceEnv(t)
	a, _ := e.seed()
	r := e.ok("/api/hospitals")
	hs := r.JSON["hospitals"].([]any)
	if len(hs) != 2 {
		t.Fatalf("hospitals: %s", r.Body)
	}
	first := hs[0].(map[string]any)
	for k, want := range map[string]any{"id": a.ID, "name": "Alpha General", "lastUpdatedOn": "2026-04-01", "fileVersion": "3.0.0"} {
		if first[k] != want {
			t.Errorf("%s = %v, want %v", k, first[k], want)
		}
	}
	if first["attestsComplete"] != true || hs[1].(map[string]any)["attestsComplete"] != false || first["stale"] != false {
		t.Errorf("attestsComplete, stale: %s", r.Body)
	}
	wantImport := map[string]any{"rowsRead": 12.0, "rowsImported": 11.0, "rowsRejected": 1.0, "rowsSalvaged": 2.0, "cellsDropped": 3.0}
	if diff := cmp.Diff(wantImport, first["import"]); diff != "" {
		t.Errorf("import mismatch (-want, +got):\n%s", diff)
	}
	if locs, _ := first["locations"].([]any); len(locs) != 1 {
		t.Errorf("locations: %v", first["locations"])
	}
	if addrs, _ := first["addresses"].([]any); len(addrs) != 1 {
		t.Errorf("addresses: %v", first["addresses"])
	}
}

func TestPrices_ProceduresAutocomplete(t *testing.T) {
	e := newPriceEnv(t)
	e.seed()
	for q, want := range map[string]string{"992": "99213", "office visit": "99213", "45": "0450", "emer": "0450"} {
		r := e.ok("/api/procedures?q=" + url.QueryEscape(q))
		ps := r.JSON["procedures"].([]any)
		if len(ps) != 1 || ps[0].(map[string]any)["code"] != want {
			t.Errorf("q=%q: %s", q, r.Body)
		}
	}
	if r := e.get("/api/procedures"); r.Status != 400 || r.errorCode() != "missing_query" {
		t.Errorf("no q: %d %s", r.Status, r.Body)
	}
}

func TestPrices_CompareAcrossHospitals(t *testing.T) {
	e := newPriceEnv(t)
	a, b := e.seed()
	r := e.ok("/api/prices/compare?code=99213&codeType=CPT&payer=platform%20health&plan=PPO")
	hs := r.JSON["hospitals"].([]any)
	if len(hs) != 2 {
		t.Fatalf("compare: %s", r.Body)
	}
	amount := func(v any, key string) string {
		m, _ := v.(map[string]any)[key].(map[string]any)
		s, _ := m["amount"].(string)
		return s
	}
	ha, hb := hs[0].(map[string]any), hs[1].(map[string]any)
	if ha["hospital"].(map[string]any)["id"] != a.ID || hb["hospital"].(map[string]any)["id"] != b.ID {
		t.Fatalf("order: %s", r.Body)
	}
	if amount(ha, "gross") != "200.00" || amount(hb, "discountedCash") != "300.00" {
		t.Errorf("gross/cash: %s", r.Body)
	}
	// Payer and plan match case-insensitively, whatever the spacing.
	if amount(ha["negotiated"], "dollar") != "90.00" || amount(hb["negotiated"], "dollar") != "120.00" {
		t.Errorf("negotiated: %s", r.Body)
	}
	spread := r.JSON["spread"].(map[string]any)
	g := spread["gross"].(map[string]any)
	if amount(g, "low") != "200.00" || amount(g, "high") != "500.00" || amount(g, "difference") != "300.00" || g["highAsPercentOfLow"] != "250.0" {
		t.Errorf("gross spread: %v", g)
	}
	if n := spread["negotiated"].(map[string]any); amount(n, "low") != "90.00" || n["hospitals"] != 2.0 {
		t.Errorf("negotiated spread: %v", n)
	}
	if r := e.get("/api/prices/compare?code=99213"); r.Status != 400 || r.errorCode() != "missing_code_type" {
		t.Errorf("no codeType: %d %s", r.Status, r.Body)
	}
}

func TestPrices_RevenueCodesMatchWithOrWithoutLeadingZeros(t *testing.T) {
	e := newPriceEnv(t)
	e.seed()
	for _, code := range []string{"450", "0450", "000450"} {
		r := e.ok("/api/prices?codeType=RC&code=" + code)
		rows := r.JSON["prices"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["code"] != "0450" {
			t.Errorf("RC %s: %s", code, r.Body)
		}
	}
}

func TestPrices_FiltersSortAndExactMoney(t *testing.T) {
	e := newPriceEnv(t)
	_, b := e.seed()
	r := e.ok("/api/prices?code=99213&codeType=cpt&sort=-negotiated")
	rows := r.JSON["prices"].([]any)
	if len(rows) != 4 || r.JSON["total"] != 4.0 {
		t.Fatalf("rows: %s", r.Body)
	}
	var got []string
	for _, row := range rows {
		m := row.(map[string]any)
		got = append(got, m["negotiatedDollar"].(map[string]any)["amount"].(string))
		if nd := m["negotiatedDollar"].(map[string]any); nd["currency"] != "USD" {
			t.Errorf("currency: %v", nd)
		}
	}
	if strings.Join(got, " ") != "140.00 120.00 95.00 90.00" {
		t.Errorf("sort=-negotiated: %v", got)
	}
	// Money is a decimal string and integer cents: never a float.
	if !bytes.Contains(r.Body, []byte(`"amount":"140.00","cents":14000`)) {
		t.Errorf("money encoding: %s", r.Body)
	}
	for query, want := range map[string]int{
		"&payer=PLATFORM%20HEALTH":        2,
		"&payer=platform+health&plan=HMO": 0,
		"&hospital=" + b.ID:               2,
		"&setting=Inpatient":              0,
		"&q=office+estab":                 4,
		"&q=knee":                         0,
	} {
		r := e.ok("/api/prices?code=99213&codeType=CPT" + query)
		if n := len(r.JSON["prices"].([]any)); n != want {
			t.Errorf("%s: %d rows, want %d", query, n, want)
		}
	}
	// q alone searches the catalog and reads the matching procedures.
	if r := e.ok("/api/prices?q=emergency"); len(r.JSON["prices"].([]any)) != 1 {
		t.Errorf("q=emergency: %s", r.Body)
	}
}

func TestPrices_CursorPagesThroughEveryRowOnce(t *testing.T) {
	e := newPriceEnv(t)
	e.seed()
	seen := map[string]bool{}
	path := "/api/prices?code=99213&codeType=CPT&limit=1"
	cursor := ""
	for page := 0; ; page++ {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.ok(p)
		for _, row := range r.JSON["prices"].([]any) {
			m := row.(map[string]any)
			key := fmt.Sprint(m["hospital"].(map[string]any)["id"], m["payer"], m["plan"])
			if seen[key] {
				t.Fatalf("row %s seen twice", key)
			}
			seen[key] = true
		}
		next, _ := r.JSON["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 4 {
		t.Fatalf("saw %d rows, want 4", len(seen))
	}
}

// ASVS 5.0 V2.2.1: a cursor is accepted only untouched and only for the
// query that issued it.
func TestASVS_V2_2_1_ForgedTamperedOrReusedCursorIsInvalid(t *testing.T) {
	e := newPriceEnv(t)
	e.seed()
	r := e.ok("/api/prices?code=99213&codeType=CPT&limit=1")
	cursor := r.JSON["nextCursor"].(string)
	raw, _ := base64.RawURLEncoding.DecodeString(cursor)
	tampered := append([]byte(nil), raw...)
	tampered[4] ^= 0x01 // another offset, same tag
	// The same page of the same query, signed with another key.
	other := &pricing.Service{Store: e.store, CursorKey: func() []byte { return []byte("some other key") }}
	forged, err := other.Search(context.Background(), pricing.PriceQuery{Code: "99213", CodeType: "CPT", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	otherKey := forged.NextCursor
	for name, path := range map[string]string{
		"other query": "/api/prices?code=99213&codeType=CPT&payer=x&cursor=" + cursor,
		"other code":  "/api/prices?code=0450&codeType=RC&cursor=" + cursor,
		"tampered":    "/api/prices?code=99213&codeType=CPT&cursor=" + base64.RawURLEncoding.EncodeToString(tampered),
		"forged":      "/api/prices?code=99213&codeType=CPT&cursor=" + otherKey,
		"garbage":     "/api/prices?code=99213&codeType=CPT&cursor=%27%20or%201%3D1",
		"too long":    "/api/prices?code=99213&codeType=CPT&cursor=" + strings.Repeat("A", 200),
		"truncated":   "/api/prices?code=99213&codeType=CPT&cursor=" + cursor[:20],
	} {
		r := e.get(path)
		want := "invalid_cursor"
		if name == "too long" {
			want = "invalid_query"
		}
		if r.Status != 400 || r.errorCode() != want {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// A different page size keeps the cursor valid: it only says where to start.
	if r := e.get("/api/prices?code=99213&codeType=CPT&limit=2&cursor=" + cursor); r.Status != 200 {
		t.Errorf("other limit: %d %s", r.Status, r.Body)
	}
}

// ASVS 5.0 V1.2.4 and V2.2.1: hostile values never reach a storage query as
// syntax, never cause a 5xx and never return rows they should not match.
func TestASVS_V1_2_4_HostileQueryValuesGive400OrNothing(t *testing.T) {
	e := newPriceEnv(t)
	e.seed()
	hostile := []string{
		"'", "' or '1' eq '1", "99213' or PartitionKey ne '", "x) or (RowKey ge ''", "$filter=true", "eq ne gt lt and or not",
		"\u202e99213", "ｏｆｆｉｃｅ", "😀", "%00", "\x00", "a\x00b", "\r\nX-Injected: 1", strings.Repeat("9", 10_000),
		"/\\#?", "..", "9921*", "99213\t", "\xff\xfe",
	}
	for _, v := range hostile {
		for _, path := range []string{
			"/api/procedures?q=%s",
			"/api/prices?codeType=CPT&code=%s",
			"/api/prices?q=%s",
			"/api/prices?codeType=CPT&code=99213&payer=%s",
			"/api/prices?codeType=CPT&code=99213&plan=%s&payer=x",
			"/api/prices?codeType=CPT&code=99213&q=%s",
			"/api/prices/compare?codeType=CPT&code=%s",
			"/api/prices/compare?codeType=CPT&code=99213&payer=%s",
			"/api/prices?code=99213&codeType=%s",
		} {
			p := fmt.Sprintf(path, url.QueryEscape(v))
			r := e.get(p)
			switch {
			case r.Status == 400:
				if c := r.errorCode(); c == "" || c == "internal" {
					t.Errorf("%q: 400 without a specific code: %s", p, r.Body)
				}
			case r.Status == 200:
				if n := resultCount(r); n != 0 && !legitimate(v) {
					t.Errorf("%.80q matched %d results: %.300s", p, n, r.Body)
				}
			default:
				t.Errorf("%.80q: status %d %.200s", p, r.Status, r.Body)
			}
		}
	}
}

// legitimate values may match: trailing white space is trimmed.
func legitimate(v string) bool { return v == "99213\t" }

func resultCount(r *response) int {
	for _, k := range []string{"procedures", "prices"} {
		if l, ok := r.JSON[k].([]any); ok {
			return len(l)
		}
	}
	if hs, ok := r.JSON["hospitals"].([]any); ok {
		// A comparison lists hospitals with the code whatever the payer;
		// what must be empty is the hostile payer's negotiated rows.
		n := 0
		for _, h := range hs {
			if neg, ok := h.(map[string]any)["negotiated"].(map[string]any); ok {
				n += int(neg["rows"].(float64))
			} else {
				n++
			}
		}
		return n
	}
	return 0
}

// ASVS 5.0 V2.2.1: only the documented parameters, once each, within limits.
func TestASVS_V2_2_1_PriceParametersAreAllowListed(t *testing.T) {
	e := newPriceEnv(t)
	for path, code := range map[string]string{
		"/api/hospitals?x=1":                                            "unknown_parameter",
		"/api/prices?code=1&codeType=CPT&$filter=true":                  "unknown_parameter",
		"/api/prices?code=1&code=2&codeType=CPT":                        "invalid_query",
		"/api/prices?code=1&codeType=CPT&limit=0":                       "invalid_limit",
		"/api/prices?code=1&codeType=CPT&limit=101":                     "invalid_limit",
		"/api/prices?code=1&codeType=CPT&limit=1e3":                     "invalid_limit",
		"/api/procedures?q=x&limit=51":                                  "invalid_limit",
		"/api/prices?code=1&codeType=CPT&sort=price-drop":               "invalid_sort",
		"/api/prices?code=1&codeType=CPT&setting=sideways":              "invalid_setting",
		"/api/prices?code=1&codeType=CPT&hospital=../../etc":            "invalid_hospital",
		"/api/prices?code=1&codeType=C%27PT":                            "invalid_code_type",
		"/api/prices":                                                   "missing_code",
		"/api/prices?codeType=CPT":                                      "missing_code",
		"/api/prices/compare?code=1&codeType=CPT&plan=PPO":              "missing_payer",
		"/api/prices?q=" + strings.Repeat("a", 201):                     "invalid_query",
		"/api/prices?code=" + strings.Repeat("1", 65) + "&codeType=CPT": "invalid_query",
		"/api/prices?code=1&codeType=CPT&payer=%ZZ":                     "invalid_query",
	} {
		r := e.get(path)
		if r.Status != 400 || r.errorCode() != code {
			t.Errorf("%.80s: %d %s, want 400 %s", path, r.Status, r.Body, code)
		}
	}
}

func TestPrices_NoStoreIsUnavailableNot500(t *testing.T) {
	h := priceHandler(&PriceAPI{})
	for _, p := range []string{"/api/hospitals", "/api/procedures?q=x", "/api/prices?code=1&codeType=CPT", "/api/prices/compare?code=1&codeType=CPT"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
	var nilAPI *PriceAPI
	rec := httptest.NewRecorder()
	priceHandler(nilAPI).ServeHTTP(rec, httptest.NewRequest("GET", "/api/hospitals", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("nil PriceAPI: %d", rec.Code)
	}
}

// The CMS sample files, imported with the ingest service, are served.
func TestPrices_CMSSampleEndToEnd(t *testing.T) {
	e := newPriceEnv(t)
	svc := &ingest.Service{Store: e.store}
	dir := filepath.Join("..", "ingest", "testdata", "samples")
	f, err := os.Open(filepath.Join(dir, "V3.0.0_Tall_CSV_Format_Example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := svc.Import(context.Background(), f, "tall.csv"); err != nil {
		t.Fatal(err)
	}
	r := e.ok("/api/procedures?q=70551")
	if ps := r.JSON["procedures"].([]any); len(ps) == 0 {
		t.Fatalf("procedures: %s", r.Body)
	}
	r = e.ok("/api/prices/compare?code=70551&codeType=CPT&payer=Platform+Health+Insurance&plan=PPO")
	hs := r.JSON["hospitals"].([]any)
	if len(hs) != 1 || hs[0].(map[string]any)["negotiated"].(map[string]any)["rows"].(float64) < 1 {
		t.Fatalf("compare: %s", r.Body)
	}
}

// benchEnv seeds 20,000 charge rows: 4 hospitals × 50 procedures × 100
// payers, written in full batches, plus the catalog.
func benchEnv(b *testing.B) *priceEnv {
	b.Helper()
	az := azurite.Shared(b)
	tables, err := tablestorage.NewFromConnectionString(az.ConnectionString(), tablestorage.Options{TablePrefix: "b" + randHex(b, 6)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := tables.EnsureTables(ctx); err != nil {
		b.Fatal(err)
	}
	store := tables.Prices()
	var procs []priceline.Procedure
	for hi := range 4 {
		name := fmt.Sprintf("Bench Hospital %d", hi)
		h := priceline.Hospital{ID: priceline.HospitalID(name, "", "CA"), Name: name, LicenseState: "CA", LastUpdatedOn: "2026-04-01", Version: "3.0.0"}
		gen := "20260401-bench"
		if err := store.BeginImport(ctx, h, gen); err != nil {
			b.Fatal(err)
		}
		for ci := range 50 {
			code := priceline.Code{Code: strconv.Itoa(20000 + ci), Type: "CPT"}
			desc := fmt.Sprintf("Bench procedure %d knee imaging", ci)
			if hi == 0 {
				procs = append(procs, priceline.Procedure{Code: code.Code, CodeType: code.Type, Description: desc})
			}
			var cs []priceline.Charge
			for p := range 100 {
				cs = append(cs, priceline.Charge{HospitalID: h.ID, Description: desc, Codes: []priceline.Code{code}, Setting: "outpatient",
					Gross: money(int64(100000 + hi*1000)), DiscountedCash: money(80000), Payer: fmt.Sprintf("Payer %d", p), Plan: "PPO",
					NegotiatedDollar: money(int64(30000 + p*7 + hi)), Min: money(100), Max: money(90000), Methodology: "fee schedule"})
			}
			if err := pricelinetest.PutCharges(ctx, store, h.ID, gen, code, cs); err != nil {
				b.Fatal(err)
			}
		}
		filler, err := benchFiller(ctx, store, h, gen, hi)
		if err != nil {
			b.Fatal(err)
		}
		if hi == 0 {
			procs = append(procs, filler...)
		}
		if _, err := store.CommitImport(ctx, h, gen); err != nil {
			b.Fatal(err)
		}
	}
	if err := store.PutProcedures(ctx, procs); err != nil {
		b.Fatal(err)
	}
	api := &PriceAPI{Service: &pricing.Service{Store: store}}
	return &priceEnv{api: api, store: store, h: priceHandler(api)}
}

// benchWords describe the filler procedures, so that the catalog holds
// word entries of realistic spread.
var benchWords = strings.Fields("biopsy scan knee shoulder spine chest abdomen pelvis brain cardiac " +
	"injection infusion therapy repair removal replacement excision drainage imaging contrast " +
	"evaluation visit consult panel culture screen level test assay")

// benchFiller writes the share of hospital hi of PRICELINE_BENCH_ROWS
// (when set) beyond the 20,000 seeded rows, as 100-payer procedures 30000
// and up, so that reads run against a table of that size, and returns the
// procedures for the catalog.
func benchFiller(ctx context.Context, store *tablestorage.PriceStore, h priceline.Hospital, gen string, hi int) ([]priceline.Procedure, error) {
	v := os.Getenv("PRICELINE_BENCH_ROWS")
	if v == "" {
		return nil, nil
	}
	total, err := strconv.Atoi(v)
	if err != nil || total <= 0 {
		return nil, fmt.Errorf("PRICELINE_BENCH_ROWS=%q is not a positive number", v)
	}
	codes := max(0, total-20000) / 4 / 100
	describe := func(ci int) string {
		n := len(benchWords)
		return fmt.Sprintf("Filler %s %s %s %d", benchWords[ci%n], benchWords[(ci/n)%n], benchWords[(ci/n/n)%n], ci)
	}
	jobs := make(chan int)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var first error
			for ci := range jobs {
				code := priceline.Code{Code: strconv.Itoa(30000 + ci), Type: "CPT"}
				cs := make([]priceline.Charge, 100)
				for p := range cs {
					cs[p] = priceline.Charge{HospitalID: h.ID, Description: describe(ci), Codes: []priceline.Code{code},
						Setting: "outpatient", Gross: money(int64(100000 + hi)), DiscountedCash: money(80000), Payer: fmt.Sprintf("Payer %d", p),
						Plan: "PPO", NegotiatedDollar: money(int64(30000 + p)), Methodology: "fee schedule"}
				}
				if err := pricelinetest.PutCharges(ctx, store, h.ID, gen, code, cs); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	var procs []priceline.Procedure
	for ci := range codes {
		jobs <- ci
		procs = append(procs, priceline.Procedure{Code: strconv.Itoa(30000 + ci), CodeType: "CPT", Description: describe(ci)})
	}
	close(jobs)
	for range 8 {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	return procs, nil
}

// benchLatency runs each request of paths in turn and reports p50 and p99.
func benchLatency(b *testing.B, e *priceEnv, paths []string) {
	var lat []time.Duration
	i := 0
	for b.Loop() {
		p := paths[i%len(paths)]
		i++
		start := time.Now()
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkCompare: one procedure across 4 hospitals (400 rows read).
func BenchmarkCompare(b *testing.B) {
	e := benchEnv(b)
	var paths []string
	for ci := range 50 {
		paths = append(paths, fmt.Sprintf("/api/prices/compare?code=%d&codeType=CPT&payer=payer+%d&plan=PPO", 20000+ci, ci))
	}
	benchLatency(b, e, paths)
}

// BenchmarkPricesSearch: a sorted, filtered page of one procedure, a
// description search across procedures, and the autocomplete.
func BenchmarkPricesSearch(b *testing.B) {
	e := benchEnv(b)
	for name, paths := range map[string][]string{
		"code":         {"/api/prices?code=20007&codeType=CPT&sort=-negotiated&limit=20", "/api/prices?code=20031&codeType=CPT&payer=Payer+3"},
		"words":        {"/api/prices?q=procedure+17+knee&limit=20"},
		"autocomplete": {"/api/procedures?q=200", "/api/procedures?q=knee+ima"},
	} {
		b.Run(name, func(b *testing.B) { benchLatency(b, e, paths) })
	}
}

// savedEnv is the full stack (auth on Azurite) with the price routes
// mounted on its Server, so withSession and CSRF run as in production.
func savedEnv(t *testing.T) (*testEnv, http.Handler) {
	t.Helper()
	e := newEnv(t)
	if err := e.tables.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	api := &PriceAPI{Service: &pricing.Service{Store: e.tables.Prices(), Saved: e.tables.Saved()}}
	return e, mountPriceRoutes(e.web, api)
}

func servePrice(t *testing.T, h http.Handler, method, path, body string, a *account, csrf string) *response {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if a != nil {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: a.Cookie})
	}
	if csrf != "" {
		r.Header.Set("X-CSRF-Token", csrf)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	out := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	_ = json.Unmarshal(out.Body, &out.JSON)
	return out
}

func TestSaved_PerUserCreateListDelete(t *testing.T) {
	e, h := savedEnv(t)
	pat, sam := e.signedIn("pat@example.com"), e.signedIn("sam@example.com")
	body := `{"code":"99213","codeType":"CPT","payer":"Platform Health","plan":"PPO","label":"check-up"}`
	r := servePrice(t, h, "POST", "/api/me/saved", body, pat, pat.CSRF)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.JSON["saved"].(map[string]any)["id"].(string)
	if list := servePrice(t, h, "GET", "/api/me/saved", "", pat, ""); len(list.JSON["saved"].([]any)) != 1 {
		t.Fatalf("pat's list: %s", list.Body)
	}
	if list := servePrice(t, h, "GET", "/api/me/saved", "", sam, ""); len(list.JSON["saved"].([]any)) != 0 {
		t.Fatalf("sam sees pat's estimates: %s", list.Body)
	}
	if r := servePrice(t, h, "DELETE", "/api/me/saved/"+id, "", sam, sam.CSRF); r.Status != http.StatusNotFound {
		t.Fatalf("sam deleting pat's estimate: %d %s", r.Status, r.Body)
	}
	if r := servePrice(t, h, "DELETE", "/api/me/saved/"+id, "", pat, pat.CSRF); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if list := servePrice(t, h, "GET", "/api/me/saved", "", pat, ""); len(list.JSON["saved"].([]any)) != 0 {
		t.Fatalf("after delete: %s", list.Body)
	}
	// A comparison by service is saved by its service.
	r = servePrice(t, h, "POST", "/api/me/saved", `{"service":"lipid-panel","coinsurancePercent":"20"}`, pat, pat.CSRF)
	if got, _ := r.JSON["saved"].(map[string]any); r.Status != http.StatusCreated || got["service"] != "lipid-panel" || got["code"] != "" {
		t.Fatalf("create by service: %d %s", r.Status, r.Body)
	}
	// ... with the comparison's switch, which it reopens with.
	r = servePrice(t, h, "POST", "/api/me/saved", `{"service":"lipid-panel","descriptionMatches":"false"}`, pat, pat.CSRF)
	if got, _ := r.JSON["saved"].(map[string]any); r.Status != http.StatusCreated || got["descriptionMatches"] != false {
		t.Fatalf("create by service without description matches: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{
		`{"service":"lipid-panel","code":"80061","codeType":"CPT"}`, `{"service":"no-such"}`, `{}`,
		`{"code":"99213"}`, `{"code":"","codeType":"CPT"}`, `{"code":"1","codeType":"C'PT"}`,
		`{"code":"1","codeType":"CPT","hospital":"x"}`, `{"code":"1","codeType":"CPT","plan":"PPO"}`,
		`{"code":"1","codeType":"CPT","label":"a\u0000b"}`, `{"code":"1","codeType":"CPT","extra":"1"}`,
		`{"service":"lipid-panel","descriptionMatches":"maybe"}`, `{"code":"1","codeType":"CPT","descriptionMatches":"false"}`,
		`{"code":"1","codeType":"CPT","descriptionMatches":"true"}`, `{"service":"lipid-panel","descriptionMatches":false}`,
	} {
		if r := servePrice(t, h, "POST", "/api/me/saved", bad, pat, pat.CSRF); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
}

// ASVS 5.0 V3.5.1: saving and deleting need the session's CSRF token, and
// a session at all.
func TestASVS_V3_5_1_SavedEstimatesNeedCSRFToken(t *testing.T) {
	e, h := savedEnv(t)
	pat := e.signedIn("csrf-saved@example.com")
	body := `{"code":"99213","codeType":"CPT"}`
	if r := servePrice(t, h, "POST", "/api/me/saved", body, pat, ""); r.Status != 403 || r.errorCode() != "csrf_failed" {
		t.Fatalf("no token: %d %s", r.Status, r.Body)
	}
	if r := servePrice(t, h, "POST", "/api/me/saved", body, pat, "forged"); r.Status != 403 {
		t.Fatalf("wrong token: %d %s", r.Status, r.Body)
	}
	if r := servePrice(t, h, "GET", "/api/me/saved", "", nil, ""); r.Status != 401 {
		t.Fatalf("anonymous list: %d %s", r.Status, r.Body)
	}
	created := servePrice(t, h, "POST", "/api/me/saved", body, pat, pat.CSRF)
	id := created.JSON["saved"].(map[string]any)["id"].(string)
	if r := servePrice(t, h, "DELETE", "/api/me/saved/"+id, "", pat, ""); r.Status != 403 {
		t.Fatalf("delete without token: %d %s", r.Status, r.Body)
	}
}

func TestSaved_LimitedNumberEach(t *testing.T) {
	e, h := savedEnv(t)
	pat := e.signedIn("limit-saved@example.com")
	for i := range priceline.MaxSavedEstimates {
		if r := servePrice(t, h, "POST", "/api/me/saved", fmt.Sprintf(`{"code":"%d","codeType":"CPT"}`, 10000+i), pat, pat.CSRF); r.Status != 201 {
			t.Fatalf("save %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := servePrice(t, h, "POST", "/api/me/saved", `{"code":"1","codeType":"CPT"}`, pat, pat.CSRF)
	if r.Status != http.StatusConflict || r.errorCode() != "saved_limit" {
		t.Fatalf("over the limit: %d %s", r.Status, r.Body)
	}
}
