package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/ingest"
)

// jsonOf re-encodes part of a decoded answer, so that a test compares it
// with the exact JSON it expects.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// compactJSON is want without the spaces a readable literal has.
func compactJSON(t *testing.T, want string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(want), &v); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	return jsonOf(t, v)
}

// CMS's V3.0.0 JSON example, imported, answers with its real allowed
// amounts: each /api/prices row has median, p10, p90 and count; a
// comparison entry whose rate is an algorithm has basis "medianAllowed",
// no dollar, and the allowed amounts apart; a count of "0" or "1 through
// 10" is the file's own string; the medians have their own spread.
func TestPrices_CMSv3AllowedAmountsEndToEnd(t *testing.T) {
	e := newPriceEnv(t)
	f, err := os.Open(filepath.Join("..", "ingest", "testdata", "samples", "v3_json_format_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := (&ingest.Service{Store: e.store}).Import(context.Background(), f, "v3.json"); err != nil {
		t.Fatal(err)
	}

	r := e.ok("/api/prices/compare?code=786&codeType=MS-DRG&payer=Platform+Health+Insurance&plan=PPO")
	hs := r.JSON["hospitals"].([]any)
	if len(hs) != 1 {
		t.Fatalf("hospitals: %s", r.Body)
	}
	got := jsonOf(t, hs[0].(map[string]any)["negotiated"])
	want := compactJSON(t, `{"algorithm":"Allowed amount = $8,000 + MAX (0, ($3,000 x (covered days - 4))",
		"allowed":{"count":"1 through 10",
			"median":{"amount":"11000","cents":1100000,"currency":"USD"},
			"p10":{"amount":"8000","cents":800000,"currency":"USD"},
			"p90":{"amount":"17000","cents":1700000,"currency":"USD"}},
		"basis":"medianAllowed","dollar":null,"methodology":"case rate","payer":"Platform Health Insurance",
		"percentage":null,"plan":"PPO","rows":1}`)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("negotiated mismatch (-want, +got):\n%s", diff)
	}
	spread := r.JSON["spread"].(map[string]any)
	if n := spread["negotiated"].(map[string]any)["hospitals"]; n != 0.0 {
		t.Errorf("a median was counted as a negotiated rate: %v", spread["negotiated"])
	}
	if m := spread["medianAllowed"].(map[string]any); m["hospitals"] != 1.0 || jsonOf(t, m["low"]) != `{"amount":"11000","cents":1100000,"currency":"USD"}` {
		t.Errorf("medianAllowed spread: %v", m)
	}

	// A count of "0": no amounts, the count kept, no dollar figure.
	r = e.ok("/api/prices/compare?code=001&codeType=MS-DRG&payer=Region+Health+Insurance&plan=HMO")
	neg := r.JSON["hospitals"].([]any)[0].(map[string]any)["negotiated"].(map[string]any)
	if neg["basis"] != "none" || jsonOf(t, neg["allowed"]) != `{"count":"0","median":null,"p10":null,"p90":null}` {
		t.Errorf("count 0: %s", jsonOf(t, neg))
	}
	// A negotiated dollar is the basis even where a file gives no allowed
	// amounts at all.
	r = e.ok("/api/prices/compare?code=70551&codeType=CPT&payer=Platform+Health+Insurance&plan=PPO")
	neg = r.JSON["hospitals"].([]any)[0].(map[string]any)["negotiated"].(map[string]any)
	if neg["basis"] != "negotiatedDollar" || neg["allowed"] != nil || neg["dollar"].(map[string]any)["amount"] != "400" {
		t.Errorf("dollar rate: %s", jsonOf(t, neg))
	}

	// Every row of /api/prices carries its allowed amounts.
	r = e.ok("/api/prices?code=99283&codeType=CPT&sort=negotiated")
	var rows []string
	for _, p := range r.JSON["prices"].([]any) {
		row := p.(map[string]any)
		rows = append(rows, fmt.Sprintf("%s %s %s %s %s %q", row["payer"], jsonOf(t, row["negotiatedPercentage"]),
			row["median"].(map[string]any)["amount"], row["p10"].(map[string]any)["amount"], row["p90"].(map[string]any)["amount"], row["count"]))
	}
	wantRows := []string{
		`Region Health Insurance {"unit":"percent","value":"75"} 6502.54 4122.7 10001.27 "175"`,
		`Platform Health Insurance {"unit":"percent","value":"80"} 12000.12 5123.74 16784.22 "299"`,
	}
	if diff := gocmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows mismatch (-want, +got):\n%s", diff)
	}
}

// The compare page shows a median allowed amount where the insurer's rate
// is only a percentage or a formula, labelled as such with its 10th–90th
// percentile range and count, never as a negotiated dollar: the chart
// names it beside the bars, the negotiated spread leaves it out, and the
// negotiated sort puts it after the negotiated dollars.
func TestComparePage_MedianAllowedAmountIsLabelled(t *testing.T) {
	e := newPricePagesEnv(t)
	const er = "/compare?code=99283&codeType=CPT&payer=Platform+Health+Insurance&plan=PPO"
	body := assertHTMLPage(t, e.page(er+"&sort=-negotiated", nil), http.StatusOK,
		`<span class="allowed">$12,000.12</span><br><span class="note allowed-label">median allowed amount; 10th–90th percentile $5,123.74–$16,784.22; from 299 payments</span>`,
		`allowed-label">median allowed amount; 10th–90th percentile $5,123.74–$16,784.22; from 299 payments</span><span class="note">rate: 80% of billed charges</span>`,
		`id="allowed-help"`, "It is not a negotiated price.",
		`<text class="bar-missing" x="0" y="`, `No negotiated dollar rate; median allowed amount $12,000.12</text>`,
		"Negotiated rates of Platform Health Insurance PPO range from $1,450.00 to $2,210.00 across 2 hospitals",
		"$1,450.00", "$2,210.00",
	)
	if strings.Contains(body, `<td class="num">$12,000.12`) {
		t.Error("the median allowed amount is shown unlabelled, as a negotiated rate")
	}
	if strings.Count(body, `<rect class="bar`) != 2 {
		t.Errorf("the chart of negotiated rates drew %d bars, want the 2 negotiated dollars", strings.Count(body, `<rect class="bar`))
	}
	if got, want := hospitalOrder(body), []string{"North Shore Community Hospital", "East Valley Medical Center", "West Mercy Hospital"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("-negotiated order %v, want %v", got, want)
	}
	body = assertHTMLPage(t, e.page(er+"&sort=negotiated", nil), http.StatusOK)
	if got, want := hospitalOrder(body), []string{"East Valley Medical Center", "North Shore Community Hospital", "West Mercy Hospital"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("negotiated order %v, want %v", got, want)
	}

	// An algorithm, with CMS's "1 through 10" count as written.
	assertHTMLPage(t, e.page("/compare?code=786&codeType=MS-DRG&payer=Platform+Health+Insurance&plan=PPO", nil), http.StatusOK,
		`<span class="allowed">$11,000.00</span>`,
		"median allowed amount; 10th–90th percentile $8,000.00–$17,000.00; from 1 through 10 payments",
		`<span class="note">rate: set by a formula</span>`,
	)
	// A count of "0": no figure, and the page says why.
	body = assertHTMLPage(t, e.page("/compare?code=001&codeType=MS-DRG&payer=Region+Health+Insurance&plan=HMO", nil), http.StatusOK,
		"rate: set by a formula: ask the hospital; no payments in the file’s lookback period to show a median allowed amount",
	)
	if strings.Contains(body, `class="allowed"`) || strings.Contains(body, `id="allowed-help"`) {
		t.Error("a count of 0 showed a median allowed amount")
	}
	// With a negotiated dollar everywhere, no median and no explanation.
	body = assertHTMLPage(t, e.page(mri+"&payer=Platform+Health+Insurance&plan=PPO", nil), http.StatusOK)
	if strings.Contains(body, "median allowed") {
		t.Error("a median allowed amount shown beside negotiated dollars")
	}
}
