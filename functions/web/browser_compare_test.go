package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Search by plain words → the catalogue's service → its comparison, where
// one hospital is matched by its own description; then a ZIP code (kept by
// the browser for the next page), sort by distance, plan details → "you
// would pay", and the map with a point per hospital that has a ZIP code.
func TestBrowserServiceCompareNearMeWithEstimateAndMap(t *testing.T) {
	e := newServicePagesEnv(t)
	ctx, base := e.browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#categories")),
		chromedp.SendKeys(chromedp.CSS("#q"), "cholesterol"),
		chromedp.Click(chromedp.CSS("#search")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitTitle(ctx, t, "Results for cholesterol")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#service-results a[href*="service=lipid-panel"]`))); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "/compare?service=lipid-panel")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#compare-table"))); err != nil {
		t.Fatal(err)
	}
	if body := text(ctx, t); !strings.Contains(body, "matched by description: LIPID PANEL") || !strings.Contains(body, "matched by code CPT 80061") {
		t.Fatalf("the comparison does not say how each hospital matched: %s", body)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#payer"), "Blue Cross Blue Shield of Alabama"),
		chromedp.SendKeys(chromedp.CSS("#zip"), "90012"),
		chromedp.SendKeys(chromedp.CSS("#deductibleRemaining"), "0"),
		chromedp.SendKeys(chromedp.CSS("#coinsurancePercent"), "20"),
		chromedp.SendKeys(chromedp.CSS("#copay"), "10"),
		chromedp.Click(chromedp.CSS("#show-prices")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "zip=90012")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`th a[href*="sort=distance"]`)), chromedp.Click(chromedp.CSS(`th a[href*="sort=distance"]`))); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "sort=distance")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#map svg circle.point")), shot("compare-service-map-estimate")); err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#compare-table tbody tr:first-child`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Beta Hospital", "0.0 miles", "$22.00", "from the negotiated rate"} {
		if !strings.Contains(first, want) {
			t.Errorf("the nearest row %q lacks %q", first, want)
		}
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#map circle.point").length`)); err != nil || n != 2 {
		t.Errorf("the map has %d points (%v); want 2", n, err)
	}
	// The ZIP code is remembered by this browser: a new comparison has it.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/compare?code=80061&codeType=CPT"), chromedp.WaitVisible(chromedp.CSS("#zip"))); err != nil {
		t.Fatal(err)
	}
	if zip, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#zip"))); err != nil || zip != "90012" {
		t.Errorf("the ZIP field holds %q (%v); want the remembered 90012", zip, err)
	}
}
