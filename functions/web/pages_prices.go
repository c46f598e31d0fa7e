package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
	"hospitalpriceline/functions/services"
)

// The price pages: search, the comparison of one procedure across hospitals
// (table and chart), and saved estimates. They ask the same price service
// as the JSON API, through the same parameter checks, and work without
// JavaScript: sorting and choosing an insurer are plain links and GET forms.

// searchResultLimit is how many procedures the results page lists.
const searchResultLimit = 25

// searchView is the results page: the catalogue's services first, then
// the hospitals' own procedures. Category is set when it lists one
// category of services (from the home page).
type searchView struct {
	Query    string
	Category string
	Services []serviceLinkView
	Results  []procedureView
}

// serviceLinkView is a catalogue service linking to its comparison.
type serviceLinkView struct {
	Name, Description, URL string
}

// categoryView is one category of the home page, linking to its services.
type categoryView struct {
	Name, URL string
	Count     int
}

// serviceLink links a catalogue service to its comparison.
func serviceLink(s *services.Service) serviceLinkView {
	f := compareForm{Service: s.ID}
	return serviceLinkView{Name: s.Name, Description: s.Description, URL: f.url("")}
}

// categoryURL lists one category of services.
func categoryURL(name string) string {
	return "/search?" + url.Values{"category": {name}}.Encode()
}

// homeCategories are the catalogue's categories for the home page.
func homeCategories() []categoryView {
	var out []categoryView
	for _, c := range services.Default().Categories() {
		out = append(out, categoryView{Name: c.Name, URL: categoryURL(c.Name), Count: len(c.Services)})
	}
	return out
}

// procedureView is one search result.
type procedureView struct {
	Code, CodeType, Description, URL string
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

// prices is the price service the pages ask; nil answers 503.
func (s *Server) prices() *pricing.Service { return s.Prices.service() }

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
	q, err := queryParams(r, map[string]int{"q": maxQueryLen, "category": maxNameLen})
	if err == nil && q["category"] != "" && q["q"] == "" {
		return s.categoryPage(w, p, q["category"])
	}
	if err == nil && q["q"] == "" {
		err = invalid("missing_query", "Type a procedure name or a billing code to search, for example MRI or 70551.")
	}
	if err != nil {
		p.Title = "Compare hospital prices"
		p.Form["q"] = keepTyped(r.URL.Query().Get("q"), maxQueryLen)
		p.Categories = homeCategories()
		return asForm(err, "home.html", p)
	}
	ps, err := s.prices().Procedures(r.Context(), q["q"], searchResultLimit)
	if err != nil {
		return err
	}
	if c, ok := pricing.ExactCode(ps, q["q"]); ok {
		http.Redirect(w, r, compareURL(c, "", "", ""), http.StatusSeeOther)
		return nil
	}
	v := &searchView{Query: q["q"]}
	for _, svc := range s.prices().Services(q["q"]) {
		v.Services = append(v.Services, serviceLink(&svc))
	}
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

// categoryPage lists the services of one catalogue category.
func (s *Server) categoryPage(w http.ResponseWriter, p *pageData, name string) error {
	for _, c := range services.Default().Categories() {
		if !strings.EqualFold(c.Name, name) {
			continue
		}
		v := &searchView{Category: c.Name}
		for i := range c.Services {
			v.Services = append(v.Services, serviceLink(&c.Services[i]))
		}
		p.Title = c.Name
		p.Search = v
		s.render(w, http.StatusOK, "search.html", p)
		return nil
	}
	return priceline.Errorf(priceline.KindNotFound, "category_not_found", "There is no such category of services. The home page lists them.")
}

// handleComparePage shows one procedure, or one catalogue service, across
// hospitals. A mistake in the optional parts of the form (plan details, ZIP,
// a plan without its insurer) shows the comparison without that part, with
// the error beside the form and status 400.
func (s *Server) handleComparePage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.page(w, r, "Compare prices")
	if err != nil {
		return err
	}
	q, err := queryParams(r, comparePageParams())
	if err != nil {
		return err
	}
	f, switchErr := compareFormOf(q)
	f.withAccountPlan(r.Context(), s.prices(), p.User)
	v, formErr, err := s.comparison(r.Context(), &f)
	if err != nil {
		return err
	}
	if switchErr != nil {
		formErr = switchErr // the first of the form's fields read
	}
	p.Title = v.Heading
	p.Compare = v
	if formErr != nil {
		return asForm(formErr, "compare.html", p)
	}
	s.render(w, http.StatusOK, "compare.html", p)
	return nil
}

// comparison asks the price service for the comparison page of f. formErr
// is a mistake in an optional part of the form, left out of the answer; err
// is a comparison that cannot be shown at all.
func (s *Server) comparison(ctx context.Context, f *compareForm) (v *compareView, formErr error, err error) {
	note := func(e error) {
		if formErr == nil {
			formErr = e
		}
	}
	b, berr := f.parsedBenefits()
	if berr != nil {
		note(berr)
		b = estimate.Benefits{}
	}
	x := compareExtras{Benefits: b.Given()}
	origin, hasOrigin, oerr := pricing.ParseOrigin(f.Zip, f.Radius)
	if oerr != nil {
		note(withNextStep(oerr, "Distances are left out until the ZIP code and radius are right."))
	} else if hasOrigin {
		x.Origin = &origin
	}
	sort := f.Sort
	if sort == pricing.SortDistance {
		sort, x.ByDistance = "", x.Origin != nil
		if oerr == nil && x.Origin == nil {
			note(invalid("missing_zip", "Enter your ZIP code to sort by distance."))
		}
	}
	d, err := s.compareData(ctx, f, sort, b, &x)
	if pricing.MissingPayer.In(err) {
		// A form sent with a plan but no insurer: show the prices anyway,
		// and say why the plan was not used.
		note(pricing.MissingPayer.Saying("Choose the insurer of that plan too: a plan name alone does not say whose plan it is.").Err())
		f.Plan = ""
		d, err = s.compareData(ctx, f, sort, b, &x)
	}
	if err != nil {
		return nil, nil, err
	}
	hs, err := s.prices().Hospitals(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]*priceline.Hospital, len(hs))
	for i := range hs {
		byID[hs[i].ID] = &hs[i]
	}
	return newCompareView(d, f, byID, x), formErr, nil
}

// compareData is the comparison of a catalogue service (with how each
// hospital matched, the flagged amounts and the estimates) or of a billing
// code (with the estimates from its rows).
func (s *Server) compareData(ctx context.Context, f *compareForm, sort string, b estimate.Benefits, x *compareExtras) (*pricing.ComparisonDetail, error) {
	if f.Service != "" {
		sc, err := s.prices().CompareService(ctx, pricing.ServiceQuery{ServiceID: f.Service, DescriptionMatches: !f.NoDescriptions,
			Payer: f.Payer, Plan: f.Plan, Sort: sort, Benefits: b})
		if err != nil {
			return nil, err
		}
		x.Service, x.Matches, x.Flags, x.Estimates = &sc.Service, sc.Matches, sc.Comparison.Flags, sc.Estimates
		return sc.Detail(), nil
	}
	d, err := s.prices().CompareDetail(ctx, pricing.CompareQuery{Code: f.Code, CodeType: f.CodeType, Payer: f.Payer, Plan: f.Plan, Sort: sort})
	if err != nil {
		return nil, err
	}
	x.Flags, x.Estimates = d.Flags, pricing.Estimates(d.Rows, d.Payer, d.Plan, b)
	return d, nil
}

// handleSavedPage lists the signed-in user's saved estimates.
func (s *Server) handleSavedPage(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	es, err := s.prices().SavedEstimates(r.Context(), u.ID)
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
		v.Items = append(v.Items, toSavedView(&es[i]))
	}
	p.Saved = v
	s.render(w, http.StatusOK, "saved.html", p)
	return nil
}

// toSavedView is one saved estimate as the saved page lists it.
func toSavedView(e *priceline.SavedEstimate) savedView {
	what := strings.ToUpper(e.CodeType) + " " + e.Code
	if svc, ok := services.Default().ByID(e.ServiceID); ok {
		what = svc.Name
	} else if e.ServiceID != "" {
		what = e.ServiceID // a service the catalogue no longer has
	}
	detail := what
	if e.NoDescriptionMatches {
		detail += " · only hospitals that bill it under one of its codes"
	}
	if e.Payer != "" {
		detail += " · " + payerPlan(e.Payer, e.Plan)
	} else {
		detail += " · cash and list prices"
	}
	if b := e.Benefits; !b.IsZero() {
		detail += " · your plan: " + benefitsText(b)
	}
	title := e.Label
	if title == "" {
		title = what
	}
	return savedView{
		ID: e.ID, Title: title, Detail: detail, URL: savedCompareURL(e),
		Created: e.CreatedAt.UTC().Format(time.RFC3339), CreatedText: e.CreatedAt.UTC().Format("2 Jan 2006"),
	}
}

// handleSaveEstimate saves the comparison the form was on. On a mistake
// (a label too long, the limit reached) the comparison is shown again with
// the error and the label kept.
func (s *Server) handleSaveEstimate(w http.ResponseWriter, r *http.Request, u *priceline.User, sess *priceline.Session) error {
	in, err := readSaveInput(r, true, []string{"payer", "plan", "label", "descriptionMatches", "csrf_token"})
	if err != nil {
		return err
	}
	_, err = s.prices().SaveEstimate(r.Context(), u.ID, pricing.SaveInput{
		Code: in["code"], CodeType: in["codeType"], ServiceID: in["service"], Payer: in["payer"], Plan: in["plan"], Label: in["label"],
		Benefits: benefitsInput(in), DescriptionMatches: in["descriptionMatches"],
	})
	if err == nil {
		http.Redirect(w, r, "/saved?done=saved", http.StatusSeeOther)
		return nil
	}
	if !formCanShow(statusOf(err)) {
		return err
	}
	// A bad switch is already err, which SaveEstimate returned.
	f, _ := compareFormOf(in)
	v, _, cerr := s.comparison(r.Context(), &f)
	if cerr != nil {
		return err // the form's own error says more than the comparison's
	}
	p := &pageData{Title: v.Heading, User: u, CSRF: sess.CSRFToken, B2CEnabled: s.B2CEnabled, Compare: v,
		Form: map[string]string{"label": keepTyped(in["label"], 100)}}
	if priceline.SavedLimit.In(err) {
		err = withNextStep(err, "Delete one on the Saved page first.")
	}
	return asForm(err, "compare.html", p)
}

// handleDeleteEstimate deletes one of the user's saved estimates.
func (s *Server) handleDeleteEstimate(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	in, err := readInput(r, true, []string{"id"}, []string{"csrf_token"})
	if err != nil {
		return err
	}
	if !priceline.IsLowerHex(in["id"], 32) {
		// The form's own wording; the store says only "not found".
		return priceline.Errorf(priceline.KindNotFound, "saved_not_found", "That saved estimate was not found. It may have been deleted already.")
	}
	if err := s.prices().DeleteSavedEstimate(r.Context(), u.ID, in["id"]); err != nil {
		return err
	}
	http.Redirect(w, r, "/saved?done=deleted", http.StatusSeeOther)
	return nil
}

// benefitsText lists the plan details an estimate was saved with.
func benefitsText(b priceline.PlanBenefits) string {
	var parts []string
	add := func(what, v, unit string) {
		if v == "" {
			return
		}
		if unit == "%" {
			parts = append(parts, what+" "+v+"%")
		} else {
			parts = append(parts, what+" $"+v)
		}
	}
	add("deductible remaining", b.DeductibleRemaining, "$")
	add("coinsurance", b.CoinsurancePercent, "%")
	add("copay", b.Copay, "$")
	add("out-of-pocket max remaining", b.OOPMaxRemaining, "$")
	return strings.Join(parts, ", ")
}

// savedCompareURL is a saved estimate's comparison with the plan details it
// was saved with, so that the page shows what the person would pay.
func savedCompareURL(e *priceline.SavedEstimate) string {
	b := e.Benefits
	f := compareForm{Service: e.ServiceID, NoDescriptions: e.NoDescriptionMatches, Code: e.Code, CodeType: e.CodeType, Payer: e.Payer, Plan: e.Plan,
		Benefits: pricing.BenefitsInput{DeductibleRemaining: b.DeductibleRemaining, CoinsurancePercent: b.CoinsurancePercent,
			Copay: b.Copay, OOPMaxRemaining: b.OOPMaxRemaining}}
	return f.url("")
}
