package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitLocation waits until the page's address contains part.
func waitLocation(ctx context.Context, t *testing.T, part string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		// The new address shows before the new page has loaded; a read
		// of the DOM then can find a node of the page being replaced.
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil && strings.Contains(loc, part) {
			if state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`)); err == nil && state == "complete" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the address never contained %q (now %s)", part, location(ctx, t))
}

// register → sign in → search → compare → choose an insurer → save → the
// saved page lists it → sign out; then the back button shows no saved data
// (no-store), /api/me is 401, and /saved sends you to sign in with returnTo.
func TestBrowserSearchCompareSaveSignOut(t *testing.T) {
	e := newPricePagesEnv(t)
	ctx, base := e.browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Casey Compare"),
		chromedp.SendKeys(chromedp.CSS("#email"), "casey@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.Click(chromedp.CSS("#register")),
		chromedp.WaitVisible(chromedp.CSS("#sign-in")),
		signInInBrowser("casey@example.com", goodPassword),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "MRI brain"),
		// The autocomplete offers the procedure as you type.
		chromedp.WaitVisible(chromedp.CSS("#q-suggestions li")),
		chromedp.SendKeys(chromedp.CSS("#q"), "\r"),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitTitle(ctx, t, "Results for MRI brain")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`ul.results a[href*="code=70551"]`))); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "/compare?code=70551")
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#payer")),
		chromedp.SetValue(chromedp.CSS("#payer"), "Platform Health Insurance"),
		chromedp.SetValue(chromedp.CSS("#plan"), "PPO"),
		chromedp.Click(chromedp.CSS("#show-prices")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "payer=Platform+Health+Insurance&plan=PPO")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("figure.chart svg")), shot("comparison")); err != nil {
		t.Fatal(err)
	}
	body := text(ctx, t)
	for _, want := range []string{"West Mercy Hospital", "East Valley Medical Center", "North Shore Community Hospital", "$1,125.25", "$400.00 (lowest)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comparison lacks %q", want)
		}
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#label"), "Casey's brain MRI"),
		chromedp.Click(chromedp.CSS("#save-estimate")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitTitle(ctx, t, "Saved estimates")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("ul.saved")), shot("saved")); err != nil {
		t.Fatal(err)
	}
	if body := text(ctx, t); !strings.Contains(body, "Casey's brain MRI") || !strings.Contains(body, "Platform Health Insurance PPO") {
		t.Fatalf("the saved page does not list the estimate: %s", body)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.NavigateBack(), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	if body := text(ctx, t); strings.Contains(body, "Casey") || strings.Contains(body, "brain MRI") {
		t.Fatalf("the back button showed private data after signing out: %s", body)
	}
	if fetchStatus(ctx, t, "/api/me") != 401 {
		t.Fatal("/api/me is not 401 after signing out")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/saved"), chromedp.WaitVisible(chromedp.CSS("#sign-in"))); err != nil {
		t.Fatal(err)
	}
	if loc := location(ctx, t); !strings.Contains(loc, "/login?returnTo=%2Fsaved") {
		t.Fatalf("not sent to sign in with returnTo: %s", loc)
	}
}

// The autocomplete is usable from the keyboard: arrow down to a suggestion,
// Enter opens its comparison.
func TestBrowserAutocompleteByKeyboard(t *testing.T) {
	e := newPricePagesEnv(t)
	ctx, base := e.browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "metabolic"),
		chromedp.WaitVisible(chromedp.CSS("#q-suggestions li")),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.WaitVisible(chromedp.CSS(`#q-suggestions li[aria-selected="true"]`)),
		shot("search"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#q"), "aria-activedescendant")); err != nil || got.Value != "q-option-0" {
		t.Fatalf("the chosen suggestion is not announced: %+v %v", got, err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "/compare?code=")
	waitTitle(ctx, t, "Basic metabolic panel")
}

// The core flow needs no JavaScript: with scripts off, search, compare,
// choose an insurer and sort all work through links and GET forms.
func TestBrowserCompareWorksWithoutJavaScript(t *testing.T) {
	e := newPricePagesEnv(t)
	ctx, base := e.browser(t)
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "70551"),
		chromedp.Click(chromedp.CSS("#search")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "/compare?code=70551&codeType=CPT")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#q-suggestions").length`)); err == nil && n != 0 {
		t.Fatal("scripts ran although they were disabled")
	}
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#payer")),
		chromedp.SetValue(chromedp.CSS("#payer"), "Region Health Insurance"),
		chromedp.Click(chromedp.CSS("#show-prices")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "payer=Region+Health+Insurance")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#compare-table")), chromedp.Click(chromedp.CSS(`th a[href$="sort=negotiated"]`))); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, "sort=negotiated")
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#compare-table tbody th .hospital-name`)))
	if err != nil {
		t.Fatal(err)
	}
	if first != "West Mercy Hospital" { // Region HMO: $250.00, the lowest
		t.Fatalf("sorted by negotiated rate, the first hospital is %q", first)
	}
	// Where the rate is only a percentage, the median allowed amount is
	// the figure, visibly labelled with its range, and sorts after the
	// negotiated dollars.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/compare?code=99283&codeType=CPT&payer=Platform+Health+Insurance&plan=PPO&sort=negotiated"),
		chromedp.WaitVisible(chromedp.CSS("#allowed-help")),
		shot("compare-median-allowed"),
	)
	if err != nil {
		t.Fatal(err)
	}
	last, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#compare-table tbody tr:last-child`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"West Mercy Hospital", "$12,000.12", "median allowed amount", "10th–90th percentile $5,123.74–$16,784.22", "80% of billed charges"} {
		if !strings.Contains(last, want) {
			t.Errorf("the median-only row %q lacks %q", last, want)
		}
	}
}
