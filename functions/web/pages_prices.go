package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// The price pages: search, the comparison of one procedure across hospitals
// (table and chart), and saved estimates. They read the same PriceStore and
// SavedStore as the JSON API through the same parameter checks, and work
// without JavaScript: sorting and choosing an insurer are plain links and
// GET forms.

// Limits of the price pages.
const (
	searchResultLimit = 25
	maxDescriptions   = 5
	maxSortLen        = 20
)

// searchView is the results page.
type searchView struct {
	Query   string
	Results []procedureView
}

// procedureView is one search result.
type procedureView struct {
	Code, CodeType, Description, URL string
}

// compareView is a procedure's comparison page.
type compareView struct {
	Code, CodeType string
	Heading        string
	Descriptions   []string
	Settings       string
	Payer, Plan    string
	Payers, Plans  []optionView
	Sort           string
	Columns        []columnView
	Rows           []compareRow
	Chart          chartView
	Spreads        []string
	URL            string // this comparison, canonical
	SignInURL      string // sign in, then come back here
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
}

// chartView is the inline SVG bar chart: geometry is computed here so the
// template needs no arithmetic and the SVG no style attributes.
type chartView struct {
	Title, Summary string
	Width, Height  int
	Bars           []barView
}

// barView is one hospital's bar, with its name and amount as text so the
// chart is readable without colour.
type barView struct {
	Name, Amount                string
	Listed, Lowest              bool
	NameY, BarY, AmountY, Width int
	AmountX                     int
}

// savedListView is the saved-estimates page.
type savedListView struct {
	Items []savedView
	Count int
	Limit int
}

// savedView is one saved estimate.
type savedView struct {
	ID, Title, Detail, URL, Created, CreatedText string
}

// htmlPage makes every error of a page handler a readable HTML page with
// the error's status, whatever the Accept header says: a page link followed
// by a script or a test still gets a page, never JSON.
func (s *Server) htmlPage(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return asPage(h(w, r)) }
}

// handleSearchPage lists the procedures matching q. A bad or empty q shows
// the home page again with the error and what was typed.
func (s *Server) handleSearchPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.page(w, r, "Search results")
	if err != nil {
		return err
	}
	st, err := s.Prices.store()
	if err != nil {
		return err
	}
	q, err := queryParams(r, map[string]int{"q": maxQueryLen})
	if err == nil && q["q"] == "" {
		err = invalid("missing_query", "Type a procedure name or a billing code to search, for example MRI or 70551.")
	}
	if err != nil {
		p.Title = "Compare hospital prices"
		p.Form["q"] = keepTyped(r.URL.Query().Get("q"), maxQueryLen)
		_, p.Error = publicError(err)
		s.render(w, statusOf(err), "home.html", p)
		return nil
	}
	ps, err := st.Procedures(r.Context(), q["q"], searchResultLimit)
	if err != nil {
		return err
	}
	if c, ok := exactCode(ps, q["q"]); ok {
		http.Redirect(w, r, compareURL(c, "", "", ""), http.StatusSeeOther)
		return nil
	}
	v := &searchView{Query: q["q"]}
	for _, pr := range ps {
		v.Results = append(v.Results, procedureView{
			Code: pr.Code, CodeType: pr.CodeType, Description: pr.Description,
			URL: compareURL(priceline.Code{Code: pr.Code, Type: pr.CodeType}, "", "", ""),
		})
	}
	p.Title = "Results for " + q["q"]
	p.Form["q"] = q["q"]
	p.Search = v
	s.render(w, http.StatusOK, "search.html", p)
	return nil
}

// exactCode finds the one procedure whose code is exactly what was typed,
// so that typing a code goes straight to its comparison.
func exactCode(ps []priceline.Procedure, q string) (priceline.Code, bool) {
	var found []priceline.Code
	for _, pr := range ps {
		c := priceline.Code{Code: pr.Code, Type: pr.CodeType}
		if priceline.NormalizeCode(c).Code == priceline.NormalizeCode(priceline.Code{Code: q, Type: pr.CodeType}).Code {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return priceline.Code{}, false
	}
	return found[0], true
}

// keepTyped returns what a visitor typed, for the form shown again with an
// error, when it is text worth showing; otherwise nothing.
func keepTyped(v string, max int) string {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max || strings.ContainsFunc(v, unicode.IsControl) {
		return ""
	}
	return v
}

// compareURL is the canonical address of a comparison.
func compareURL(c priceline.Code, payer, plan, sort string) string {
	v := url.Values{"code": {c.Code}, "codeType": {c.Type}}
	if payer != "" {
		v.Set("payer", payer)
	}
	if plan != "" {
		v.Set("plan", plan)
	}
	if sort != "" {
		v.Set("sort", sort)
	}
	return "/compare?" + v.Encode()
}

// compareSorts are the orders of the comparison table; "-" reverses.
var compareSorts = []string{"hospital", "-hospital", "gross", "-gross", "cash", "-cash", "negotiated", "-negotiated", "min", "-min", "max", "-max"}

// handleComparePage shows one procedure across hospitals.
func (s *Server) handleComparePage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.page(w, r, "Compare prices")
	if err != nil {
		return err
	}
	q, err := queryParams(r, map[string]int{"code": maxCodeLen, "codeType": maxCodeTypeLen, "payer": maxNameLen, "plan": maxNameLen, "sort": maxSortLen})
	if err != nil {
		return err
	}
	code, _, err := codeParams(q, true)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if q["plan"] != "" && q["payer"] == "" {
		// A form sent with a plan but no insurer: show the prices anyway,
		// and say why the plan was not used.
		p.Error = "Choose the insurer of that plan too: a plan name alone does not say whose plan it is."
		status = http.StatusBadRequest
		q["plan"] = ""
	}
	v, err := s.comparison(r.Context(), code, q["payer"], q["plan"], q["sort"])
	if err != nil {
		return err
	}
	p.Title = v.Heading
	p.Compare = v
	s.render(w, status, "compare.html", p)
	return nil
}

// comparison builds the comparison page of code.
func (s *Server) comparison(ctx context.Context, code priceline.Code, payer, plan, sort string) (*compareView, error) {
	st, err := s.Prices.store()
	if err != nil {
		return nil, err
	}
	if sort != "" && !slices.Contains(compareSorts, sort) {
		return nil, invalid("invalid_sort", "The table can be sorted only by hospital, gross, cash, negotiated, min or max.")
	}
	rows, err := st.ChargesFor(ctx, code)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, priceline.Errorf(priceline.KindNotFound, "procedure_not_found",
			"No hospital lists prices for %s %s. Search again by name from the home page.", strings.ToUpper(code.Type), code.Code)
	}
	names, err := hospitalNames(ctx, st)
	if err != nil {
		return nil, err
	}
	name := func(id string) string { return names[id] }
	cmpn := priceline.Compare(rows, payer, plan, name)

	v := &compareView{Code: code.Code, CodeType: strings.ToUpper(code.Type), Payer: payer, Plan: plan, Sort: sort}
	v.URL = compareURL(priceline.Code{Code: v.Code, Type: v.CodeType}, payer, plan, sort)
	v.SignInURL = "/login?returnTo=" + url.QueryEscape(v.URL)
	v.Descriptions, v.Settings = describe(rows)
	v.Heading = v.CodeType + " " + v.Code
	if len(v.Descriptions) > 0 {
		v.Heading = v.Descriptions[0] + " (" + v.CodeType + " " + v.Code + ")"
	}
	v.Payers, v.Plans = choosers(rows, payer, plan)

	prices := slices.Clone(cmpn.Prices)
	sortPrices(prices, sort)
	for i := range prices {
		v.Rows = append(v.Rows, toCompareRow(&prices[i], name, payer != ""))
	}
	v.Columns = columns(v, payer != "")
	v.Chart = chart(prices, name, chartMeasure(sort, payer, cmpn), payer, plan)
	for _, sp := range []struct {
		what string
		s    priceline.Spread
		on   bool
	}{
		{"Gross charges", cmpn.Gross, true},
		{"Discounted cash prices", cmpn.DiscountedCash, true},
		{"Negotiated rates of " + payerPlan(payer, plan), cmpn.Negotiated, payer != ""},
	} {
		if t := spreadText(sp.what, sp.s); sp.on && t != "" {
			v.Spreads = append(v.Spreads, t)
		}
	}
	return v, nil
}

// describe collects the distinct descriptions and settings hospitals give.
func describe(rows []priceline.Charge) ([]string, string) {
	var descs, settings []string
	for i := range rows {
		if d := strings.TrimSpace(rows[i].Description); d != "" && !slices.Contains(descs, d) && len(descs) < maxDescriptions {
			descs = append(descs, d)
		}
		if st := strings.ToLower(rows[i].Setting); st != "" && !slices.Contains(settings, st) {
			settings = append(settings, st)
		}
	}
	slices.Sort(descs)
	slices.Sort(settings)
	return descs, strings.Join(settings, ", ")
}

// fold is the key under which spellings of one payer or plan are the same,
// as priceline.Compare matches them.
func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// choosers lists the payers in the rows, and the plans of the chosen payer
// (every plan when none is chosen), each once, in alphabetical order.
func choosers(rows []priceline.Charge, payer, plan string) (payers, plans []optionView) {
	seenPayer, seenPlan := map[string]bool{}, map[string]bool{}
	for i := range rows {
		c := &rows[i]
		if c.Payer != "" && !seenPayer[fold(c.Payer)] {
			seenPayer[fold(c.Payer)] = true
			payers = append(payers, optionView{Value: strings.Join(strings.Fields(c.Payer), " "), Selected: fold(c.Payer) == fold(payer)})
		}
		if c.Plan != "" && (payer == "" || fold(c.Payer) == fold(payer)) && !seenPlan[fold(c.Plan)] {
			seenPlan[fold(c.Plan)] = true
			plans = append(plans, optionView{Value: strings.Join(strings.Fields(c.Plan), " "), Selected: fold(c.Plan) == fold(plan)})
		}
	}
	byValue := func(a, b optionView) int { return cmp.Compare(strings.ToLower(a.Value), strings.ToLower(b.Value)) }
	slices.SortFunc(payers, byValue)
	slices.SortFunc(plans, byValue)
	return payers, plans
}

// measureOf returns the amount a sort key or chart measure names.
func measureOf(key string) func(*priceline.HospitalPrice) priceline.Money {
	switch key {
	case "gross":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Gross }
	case "cash":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.DiscountedCash }
	case "negotiated":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Negotiated }
	case "min":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Min }
	case "max":
		return func(h *priceline.HospitalPrice) priceline.Money { return h.Max }
	}
	return nil
}

// sortPrices orders the hospitals (which come ordered by name) by the
// chosen amount; hospitals without it come last either way, and ties keep
// the name order.
func sortPrices(ps []priceline.HospitalPrice, sort string) {
	key := strings.TrimPrefix(sort, "-")
	desc := strings.HasPrefix(sort, "-")
	if key == "hospital" || key == "" {
		if desc {
			slices.Reverse(ps)
		}
		return
	}
	get := measureOf(key)
	slices.SortStableFunc(ps, func(a, b priceline.HospitalPrice) int {
		ma, mb := get(&a), get(&b)
		switch {
		case ma.Set && !mb.Set:
			return -1
		case !ma.Set && mb.Set:
			return 1
		case !ma.Set:
			return 0
		case desc:
			return cmp.Compare(mb.Cents, ma.Cents)
		}
		return cmp.Compare(ma.Cents, mb.Cents)
	})
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
			row.NegotiatedNote = h.NegotiatedPercentage + "% of billed charges"
		case h.NegotiatedAlgorithm != "":
			row.NegotiatedNote = "set by a formula: ask the hospital"
		}
	}
	return row
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
		next := c.key
		switch cur {
		case c.key:
			col.AriaSort, col.Mark, next = "ascending", " ▲", "-"+c.key
		case "-" + c.key:
			col.AriaSort, col.Mark = "descending", " ▼"
		}
		col.URL = compareURL(priceline.Code{Code: v.Code, Type: v.CodeType}, v.Payer, v.Plan, next)
		out = append(out, col)
	}
	return out
}

// chartMeasure picks what the chart shows: the amount the table is sorted
// by, or else the negotiated rate when an insurer is chosen and listed,
// else the cash price, else the gross charge.
func chartMeasure(sort, payer string, c priceline.Comparison) string {
	if k := strings.TrimPrefix(sort, "-"); measureOf(k) != nil && (k != "negotiated" || payer != "") {
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
	get := measureOf(measure)
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
			summary = append(summary, b.Name+" not listed")
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

// handleSavedPage lists the signed-in user's saved estimates.
func (s *Server) handleSavedPage(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	st, err := s.Prices.saved()
	if err != nil {
		return err
	}
	es, err := st.SavedEstimates(r.Context(), u.ID)
	if err != nil {
		return err
	}
	p := &pageData{Title: "Saved estimates", User: u, CSRF: sess.CSRFToken, B2CEnabled: s.B2CEnabled, Form: map[string]string{}}
	switch r.URL.Query().Get("done") {
	case "saved":
		p.Notice = "The estimate was saved."
	case "deleted":
		p.Notice = "The estimate was deleted."
	}
	v := &savedListView{Count: len(es), Limit: priceline.MaxSavedEstimates}
	for i := range es {
		e := &es[i]
		code := priceline.Code{Code: e.Code, Type: e.CodeType}
		detail := strings.ToUpper(e.CodeType) + " " + e.Code
		if e.Payer != "" {
			detail += " · " + payerPlan(e.Payer, e.Plan)
		} else {
			detail += " · cash and list prices"
		}
		title := e.Label
		if title == "" {
			title = strings.ToUpper(e.CodeType) + " " + e.Code
		}
		v.Items = append(v.Items, savedView{
			ID: e.ID, Title: title, Detail: detail, URL: compareURL(code, e.Payer, e.Plan, ""),
			Created: e.CreatedAt.UTC().Format(time.RFC3339), CreatedText: e.CreatedAt.UTC().Format("2 Jan 2006"),
		})
	}
	p.Saved = v
	s.render(w, http.StatusOK, "saved.html", p)
	return nil
}

// handleSaveEstimate saves the comparison the form was on. On a mistake
// (a label too long, the limit reached) the comparison is shown again with
// the error and the label kept.
func (s *Server) handleSaveEstimate(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	st, err := s.Prices.saved()
	if err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"code", "codeType"}, []string{"payer", "plan", "label", "csrf_token"})
	if err != nil {
		return err
	}
	e := &priceline.SavedEstimate{
		ID: priceline.NewToken(16), UserID: u.ID, Code: strings.TrimSpace(in["code"]), CodeType: strings.ToUpper(strings.TrimSpace(in["codeType"])),
		Payer: strings.TrimSpace(in["payer"]), Plan: strings.TrimSpace(in["plan"]), Label: strings.TrimSpace(in["label"]),
		CreatedAt: s.now().UTC().Truncate(time.Millisecond),
	}
	if err = e.Validate(); err == nil {
		if err = st.SaveEstimate(r.Context(), e); err == nil {
			http.Redirect(w, r, "/saved?done=saved", http.StatusSeeOther)
			return nil
		}
	}
	status := statusOf(err)
	if status >= 500 || status == http.StatusForbidden {
		return err
	}
	v, cerr := s.comparison(r.Context(), priceline.Code{Code: e.Code, Type: e.CodeType}, e.Payer, e.Plan, "")
	if cerr != nil {
		return err // the form's own error says more than the comparison's
	}
	p := &pageData{Title: v.Heading, User: u, CSRF: sess.CSRFToken, B2CEnabled: s.B2CEnabled, Compare: v,
		Form: map[string]string{"label": keepTyped(in["label"], 100)}}
	_, p.Error = publicError(err)
	if priceline.ErrorCode(err) == "saved_limit" {
		p.Error += " Delete one on the Saved page first."
	}
	s.render(w, status, "compare.html", p)
	return nil
}

// handleDeleteEstimate deletes one of the user's saved estimates.
func (s *Server) handleDeleteEstimate(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	st, err := s.Prices.saved()
	if err != nil {
		return err
	}
	in, err := readInput(r, true, []string{"id"}, []string{"csrf_token"})
	if err != nil {
		return err
	}
	if !priceline.IsLowerHex(in["id"], 32) {
		return priceline.Errorf(priceline.KindNotFound, "saved_not_found", "That saved estimate was not found. It may have been deleted already.")
	}
	if err := st.DeleteSavedEstimate(r.Context(), u.ID, in["id"]); err != nil {
		return err
	}
	http.Redirect(w, r, "/saved?done=deleted", http.StatusSeeOther)
	return nil
}
