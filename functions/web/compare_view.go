package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// The comparison page's view: what compare.html shows of a
// pricing.ComparisonDetail — the table with its sortable headings, the bar
// chart and the sentences about the spread. Everything here is layout; the
// numbers and their order come from the price service.

// compareView is a procedure's comparison page.
type compareView struct {
	Code, CodeType string
	// Service is the catalogue service compared (by service=), nil for a
	// comparison by billing code.
	Service       *serviceView
	Form          compareForm
	Heading       string
	Descriptions  []string
	Settings      string
	Payer, Plan   string
	Payers, Plans []optionView
	Sort          string
	Columns       []columnView
	Rows          []compareRow
	Chart         chartView
	Spreads       []string
	// HasAllowed is set when a row shows a median allowed amount in the
	// negotiated column, so the page explains what that figure is.
	HasAllowed bool
	URL        string // this comparison, canonical
	SignInURL  string // sign in, then come back here
	// ShowDistance is set when a ZIP code was given: each row has its
	// distance, and the table can be sorted by it.
	ShowDistance bool
	// ShowYouPay is set when at least one hospital has an estimate of
	// what the person would pay.
	ShowYouPay bool
	// HasBenefits is set when plan details were given.
	HasBenefits bool
	// LeftOut counts the hospitals outside the radius.
	LeftOut int
	Map     mapView
}

// optionView is one <option> of a chooser.
type optionView struct {
	Value    string
	Selected bool
}

// columnView is a sortable column heading.
type columnView struct {
	Label, URL, AriaSort, Mark string
	Num                        bool
}

// compareRow is one hospital's row of the comparison table.
type compareRow struct {
	Hospital                string
	Gross, Cash, Negotiated string
	Min, Max                string
	NegotiatedNote          string
	ShowNegotiated          bool
	// Allowed is the median allowed amount shown in the negotiated column
	// when the hospital states the rate only as a percentage or an
	// algorithm; AllowedLabel says so, with the 10th–90th percentile range
	// and the count. Both are empty when a negotiated dollar is shown.
	Allowed, AllowedLabel string
	// Facts says how far to trust the hospital's file: when it was last
	// updated, its template version, whether it attests to being complete
	// and what the import rejected or salvaged; Stale flags a file older
	// than a year.
	Facts string
	Stale bool
	compareRowExtras
}

// chartView is the inline SVG bar chart: geometry is computed here so the
// template needs no arithmetic and the SVG no style attributes.
type chartView struct {
	Title, Summary string
	Width, Height  int
	Bars           []barView
}

// barView is one hospital's bar, with its name and amount as text so the
// chart is readable without colour. Missing says why a hospital has no bar.
type barView struct {
	Name, Amount, Missing       string
	Listed, Lowest              bool
	NameY, BarY, AmountY, Width int
	AmountX                     int
}

// compareURL is the canonical address of a comparison by billing code.
func compareURL(c priceline.Code, payer, plan, sort string) string {
	f := compareForm{Code: c.Code, CodeType: c.Type, Payer: payer, Plan: plan}
	return f.url(sort)
}

// newCompareView lays out a comparison, its hospitals already in the order
// the form's sort names (distance aside: placeByDistance orders by it).
func newCompareView(d *pricing.ComparisonDetail, f *compareForm, hospitals map[string]*priceline.Hospital, x compareExtras) *compareView {
	payer, plan := d.Payer, d.Plan
	name := func(id string) string { return d.Names[id] }
	f.Payer, f.Plan = payer, plan
	v := &compareView{Code: d.Code.Code, CodeType: strings.ToUpper(d.Code.Type), Payer: payer, Plan: plan, Sort: f.Sort, Form: *f}
	v.URL = f.url(f.Sort)
	v.SignInURL = "/login?returnTo=" + url.QueryEscape(v.URL)
	v.Descriptions, v.Settings = d.Descriptions, strings.Join(d.Settings, ", ")
	v.Heading = v.CodeType + " " + v.Code
	if len(v.Descriptions) > 0 {
		v.Heading = v.Descriptions[0] + " (" + v.CodeType + " " + v.Code + ")"
	}
	if x.Service != nil {
		v.Service = toServiceView(x.Service, f)
		v.Heading = x.Service.Name
	}
	v.Payers, v.Plans = options(d.Payers), options(d.Plans)
	v.HasBenefits = x.Benefits
	distances := map[string]float64{}
	if x.Origin != nil {
		v.ShowDistance = true
		var left int
		d.Prices, distances, left = placeByDistance(d.Prices, hospitals, *x.Origin, x.ByDistance)
		v.LeftOut = left
	}
	for i := range d.Prices {
		id := d.Prices[i].HospitalID
		row := toCompareRow(&d.Prices[i], name, payer != "")
		if h := hospitals[id]; h != nil {
			row.Facts, row.Stale = factsText(h), staleFile(h.LastUpdatedOn, time.Now())
		}
		row.compareRowExtras = rowExtras(id, x, distances)
		v.ShowYouPay = v.ShowYouPay || row.YouPay != ""
		v.HasAllowed = v.HasAllowed || row.Allowed != ""
		v.Rows = append(v.Rows, row)
	}
	v.Columns = columns(v, payer != "")
	v.Chart = chart(d.Prices, name, chartMeasure(f.Sort, payer, d.Comparison.Comparison), payer, plan)
	v.Map = drawMap(d.Prices, name, hospitals, chartMeasure(f.Sort, payer, d.Comparison.Comparison))
	for _, sp := range []struct {
		what string
		s    priceline.Spread
		on   bool
	}{
		{"Gross charges", d.Gross, true},
		{"Discounted cash prices", d.DiscountedCash, true},
		{"Negotiated rates of " + payerPlan(payer, plan), d.Negotiated, payer != ""},
		{"Median allowed amounts of " + payerPlan(payer, plan), d.MedianAllowed, payer != ""},
	} {
		if t := spreadText(sp.what, sp.s); sp.on && t != "" && v.LeftOut == 0 {
			v.Spreads = append(v.Spreads, t)
		}
	}
	return v
}

// options are the <option>s of a chooser.
func options(cs []pricing.Choice) []optionView {
	var out []optionView
	for _, c := range cs {
		out = append(out, optionView{Value: c.Name, Selected: c.Chosen})
	}
	return out
}

func toCompareRow(h *priceline.HospitalPrice, name func(string) string, withPayer bool) compareRow {
	row := compareRow{
		Hospital: name(h.HospitalID), Gross: orDash(h.Gross), Cash: orDash(h.DiscountedCash),
		Min: orDash(h.Min), Max: orDash(h.Max), ShowNegotiated: withPayer, Negotiated: orDash(h.Negotiated),
	}
	if withPayer && !h.Negotiated.Set {
		switch {
		case h.PayerRows == 0:
			row.NegotiatedNote = "not listed for this plan"
		case h.NegotiatedPercentage != "":
			row.NegotiatedNote = "rate: " + h.NegotiatedPercentage + "% of billed charges"
		case h.NegotiatedAlgorithm != "":
			row.NegotiatedNote = "rate: set by a formula"
			if !h.Allowed.Median.Set {
				row.NegotiatedNote += ": ask the hospital"
			}
		}
		if h.Basis() == priceline.BasisMedianAllowed {
			row.Allowed, row.AllowedLabel = formatUSD(h.Allowed.Median), allowedLabel(h.Allowed)
		} else if h.Allowed.Count == "0" {
			row.NegotiatedNote += "; no payments in the file’s lookback period to show a median allowed amount"
		}
	}
	return row
}

// allowedLabel names a median allowed amount as such, with its range and
// count, so that it is never read as a negotiated price.
func allowedLabel(a priceline.Allowed) string {
	t := "median allowed amount"
	if a.P10.Set && a.P90.Set {
		t += "; 10th–90th percentile " + formatUSD(a.P10) + "–" + formatUSD(a.P90)
	}
	if a.Count != "" {
		t += "; from " + a.Count + " payments"
	}
	return t
}

func orDash(m priceline.Money) string {
	if !m.Set {
		return "—"
	}
	return formatUSD(m)
}

// formatUSD writes an exact amount as dollars with thousands separators and
// at least two decimals ("1234.5" is $1,234.50), from the decimal string, so
// no amount ever passes through a float. Amounts with more decimals (drug
// unit prices) keep them all.
func formatUSD(m priceline.Money) string {
	if !m.Set {
		return ""
	}
	d := m.Decimal
	sign := ""
	if strings.HasPrefix(d, "-") {
		sign, d = "-", d[1:]
	}
	whole, frac, _ := strings.Cut(d, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	for len(frac) < 2 {
		frac += "0"
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + "$" + b.String() + "." + frac
}

// columns are the table's headings, each a link that sorts by it: once
// ascending, again descending.
func columns(v *compareView, withPayer bool) []columnView {
	cols := []struct {
		key, label string
		on         bool
	}{
		{"hospital", "Hospital", true},
		{pricing.SortDistance, "Distance", v.ShowDistance},
		{"youpay", "You would pay (estimate)", v.ShowYouPay},
		{"gross", "Gross charge", true},
		{"cash", "Cash price", true},
		{"negotiated", "Negotiated rate", withPayer},
		{"min", "Lowest negotiated (any insurer)", true},
		{"max", "Highest negotiated (any insurer)", true},
	}
	cur := v.Sort
	if cur == "" {
		cur = "hospital"
	}
	var out []columnView
	for _, c := range cols {
		if !c.on {
			continue
		}
		col := columnView{Label: c.label, Num: c.key != "hospital"}
		if c.key == "youpay" {
			// Not a sort key of the price service: the heading is text.
			out = append(out, col)
			continue
		}
		next := c.key
		switch cur {
		case c.key:
			col.AriaSort, col.Mark, next = "ascending", " ▲", "-"+c.key
		case "-" + c.key:
			col.AriaSort, col.Mark = "descending", " ▼"
		}
		if c.key == pricing.SortDistance {
			// Nearest first only: the farthest hospital is no one's question.
			next = c.key
		}
		col.URL = v.Form.url(next)
		out = append(out, col)
	}
	return out
}

// chartMeasure picks what the chart shows: the amount the table is sorted
// by, or else the negotiated rate when an insurer is chosen and listed,
// else the cash price, else the gross charge.
func chartMeasure(sort, payer string, c priceline.Comparison) string {
	if k := strings.TrimPrefix(sort, "-"); pricing.Measure(k) != nil && (k != "negotiated" || payer != "") {
		return k
	}
	switch {
	case payer != "" && c.Negotiated.Hospitals > 0:
		return "negotiated"
	case c.DiscountedCash.Hospitals > 0:
		return "cash"
	}
	return "gross"
}

var measureNames = map[string]string{
	"gross": "Gross charge", "cash": "Discounted cash price", "negotiated": "Negotiated rate",
	"min": "Lowest negotiated rate (any insurer)", "max": "Highest negotiated rate (any insurer)",
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720
	chartBarMax = 520
	chartRow    = 58
	chartBarH   = 20
)

// chart draws one bar per hospital for measure, in the table's order.
func chart(ps []priceline.HospitalPrice, name func(string) string, measure, payer, plan string) chartView {
	get := pricing.Measure(measure)
	title := measureNames[measure]
	if measure == "negotiated" {
		title += " of " + payerPlan(payer, plan)
	}
	cv := chartView{Title: title + " at each hospital", Width: chartWidth, Height: len(ps)*chartRow + 8}
	var top, low int64 = 0, -1
	for i := range ps {
		if m := get(&ps[i]); m.Set {
			top = max(top, m.Cents)
			if low < 0 || m.Cents < low {
				low = m.Cents
			}
		}
	}
	var summary []string
	for i := range ps {
		m := get(&ps[i])
		y := i * chartRow
		b := barView{Name: name(ps[i].HospitalID), Listed: m.Set, NameY: y + 18, BarY: y + 26, AmountY: y + 41}
		if m.Set {
			b.Amount = formatUSD(m)
			b.Lowest = m.Cents == low && len(ps) > 1
			if top > 0 {
				b.Width = int(m.Cents * chartBarMax / top)
			}
			if b.Width < 2 {
				b.Width = 2
			}
			b.AmountX = b.Width + 8
			item := b.Name + " " + b.Amount
			if b.Lowest {
				item += " (lowest)"
			}
			summary = append(summary, item)
		} else {
			b.Missing = "Not listed"
			if measure == "negotiated" && ps[i].Basis() == priceline.BasisMedianAllowed {
				// The bar scale is negotiated dollars; a median allowed
				// amount is named beside it, never drawn as one.
				b.Missing = "No negotiated dollar rate; median allowed amount " + formatUSD(ps[i].Allowed.Median)
			}
			summary = append(summary, b.Name+": "+strings.ToLower(b.Missing[:1])+b.Missing[1:])
		}
		cv.Bars = append(cv.Bars, b)
	}
	cv.Summary = cv.Title + ": " + strings.Join(summary, "; ") + "."
	return cv
}

func payerPlan(payer, plan string) string {
	if plan == "" {
		return payer + " (any plan)"
	}
	return payer + " " + plan
}

// spreadText says how far apart the hospitals are on one amount.
func spreadText(what string, s priceline.Spread) string {
	if s.Hospitals < 2 {
		return ""
	}
	t := what + " range from " + formatUSD(s.Low) + " to " + formatUSD(s.High) + " across " + strconv.Itoa(s.Hospitals) + " hospitals"
	if s.RatioPercent != "" {
		t += ": the highest is " + s.RatioPercent + "% of the lowest"
	}
	return t + "."
}

// factsText is one line on how far to trust a hospital's file.
func factsText(h *priceline.Hospital) string {
	t := "File updated " + h.LastUpdatedOn
	if h.Version != "" {
		t += ", template " + h.Version
	}
	switch h.Facts.Attests {
	case "true":
		t += "; attests it is complete"
	case "false":
		t += "; does not attest it is complete"
	default:
		if h.Facts.Known() {
			t += "; no valid attestation"
		}
	}
	if f := h.Facts; f.Known() {
		t += fmt.Sprintf("; %d rows read, %d rejected, %d imported with dropped cells", f.RowsRead, f.RowsRejected, f.RowsSalvaged)
	}
	return t + "."
}
