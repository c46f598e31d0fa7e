package web

import (
	"net/http"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// PriceAPI serves the public price endpoints (hospitals, procedure search,
// charge rows, the comparison across hospitals) and the signed-in user's
// saved estimates. It only translates HTTP: each handler reads its
// parameters, asks the price service, and writes the answer as JSON. The
// price pages ask the same service.
type PriceAPI struct {
	// Service answers every price question; nil answers 503, as a service
	// without stores does.
	Service *pricing.Service
}

// service returns the price service; nil when there is none, which every
// pricing method answers with 503.
func (p *PriceAPI) service() *pricing.Service {
	if p == nil {
		return nil
	}
	return p.Service
}

// priceCacheSeconds is how long browsers and proxies may keep a public
// price answer: prices change only when a file is imported.
const priceCacheSeconds = "60"

// handleHospitals lists the hospitals with imported prices, by name.
func (p *PriceAPI) handleHospitals(w http.ResponseWriter, r *http.Request) error {
	return answerQuery(w, r, map[string]int{}, func(map[string]string) (any, error) {
		hs, err := p.service().Hospitals(r.Context())
		return map[string]any{"hospitals": viewsOf(hs, toHospitalJSON)}, err
	})
}

// handleProcedures is the autocomplete: code prefix or description words.
func (p *PriceAPI) handleProcedures(w http.ResponseWriter, r *http.Request) error {
	q, err := queryParams(r, map[string]int{"q": maxQueryLen, "limit": 4})
	if err != nil {
		return err
	}
	limit, err := parseLimit(q, pricing.MaxProcedureLimit)
	if err != nil {
		return err
	}
	ps, err := p.service().Procedures(r.Context(), q["q"], limit)
	if err != nil {
		return err
	}
	out := make([]procedureJSON, 0, len(ps))
	for _, pr := range ps {
		out = append(out, procedureJSON{Code: pr.Code, CodeType: pr.CodeType, Description: pr.Description})
	}
	writePublicJSON(w, map[string]any{"procedures": out})
	return nil
}

// handlePrices lists charge rows of one procedure (code and codeType), or of
// the procedures whose descriptions match q, filtered, sorted and paged.
func (p *PriceAPI) handlePrices(w http.ResponseWriter, r *http.Request) error {
	q, err := queryParams(r, map[string]int{
		"code": maxCodeLen, "codeType": maxCodeTypeLen, "q": maxQueryLen, "payer": maxNameLen, "plan": maxNameLen,
		"setting": 20, "hospital": 32, "sort": maxSortLen, "limit": 4, "cursor": maxCursorLen,
		"zip": geoParams["zip"], "radiusMiles": geoParams["radiusMiles"],
	})
	if err != nil {
		return err
	}
	limit, err := parseLimit(q, pricing.MaxPriceLimit)
	if err != nil {
		return err
	}
	page, err := p.service().Search(r.Context(), pricing.PriceQuery{
		Code: q["code"], CodeType: q["codeType"], Q: q["q"], Payer: q["payer"], Plan: q["plan"],
		Setting: q["setting"], HospitalID: q["hospital"], Sort: q["sort"], Limit: limit, Cursor: q["cursor"],
		Zip: q["zip"], RadiusMiles: q["radiusMiles"],
	})
	if err != nil {
		return err
	}
	out := make([]chargeJSON, 0, len(page.Rows))
	for i := range page.Rows {
		c := toChargeJSON(&page.Rows[i].Charge, page.Rows[i].Code, page.Names)
		c.Flags = toFlagsJSON(page.Rows[i].Flags)
		if miles, ok := page.Distances[page.Rows[i].Charge.HospitalID]; ok {
			c.DistanceMiles = &miles
		}
		out = append(out, c)
	}
	body := map[string]any{"prices": out, "total": page.Total}
	if page.NextCursor != "" {
		body["nextCursor"] = page.NextCursor
	}
	writePublicJSON(w, body)
	return nil
}

// handleCompare gives one entry per hospital for a procedure and the spread
// of each price across hospitals.
func (p *PriceAPI) handleCompare(w http.ResponseWriter, r *http.Request) error {
	limits := map[string]int{"code": maxCodeLen, "codeType": maxCodeTypeLen, "payer": maxNameLen, "plan": maxNameLen}
	for k, v := range compareExtraParams {
		limits[k] = v
	}
	q, err := queryParams(r, limits)
	if err != nil {
		return err
	}
	if _, ok := q["service"]; ok {
		return p.handleServiceCompare(w, r, q)
	}
	if _, ok := q["descriptionMatches"]; ok {
		return errSwitchWithCode()
	}
	b, byDistance, err := compareOptions(q)
	if err != nil {
		return err
	}
	c, rows, err := p.service().CompareRows(r.Context(), pricing.CompareQuery{Code: q["code"], CodeType: q["codeType"], Payer: q["payer"], Plan: q["plan"], Sort: q["sort"]})
	if err != nil {
		return err
	}
	body, err := withDistances(r.Context(), p.service(), withEstimates(toCompareJSON(c), c, pricing.Estimates(rows, c.Payer, c.Plan, b)), q, byDistance)
	if err != nil {
		return err
	}
	writePublicJSON(w, body)
	return nil
}

// handleListSaved lists the signed-in user's saved estimates (GET
// /api/me/saved, behind withSession).
func (p *PriceAPI) handleListSaved(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerOwn(w, r, func() (any, error) {
		es, err := p.service().SavedEstimates(r.Context(), u.ID)
		return map[string]any{"saved": viewsOf(es, toSavedJSON), "limit": priceline.MaxSavedEstimates}, err
	})
}

// handleCreateSaved saves an estimate (POST /api/me/saved, behind
// withSession, which requires the CSRF token).
func (p *PriceAPI) handleCreateSaved(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	in, err := readSaveInput(r, false, []string{"hospital", "payer", "plan", "label", "descriptionMatches"})
	if err != nil {
		return err
	}
	e, err := p.service().SaveEstimate(r.Context(), u.ID, pricing.SaveInput{
		Code: in["code"], CodeType: in["codeType"], ServiceID: in["service"], HospitalID: in["hospital"], Payer: in["payer"], Plan: in["plan"], Label: in["label"],
		Benefits: benefitsInput(in), DescriptionMatches: in["descriptionMatches"],
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"saved": toSavedJSON(e)})
	return nil
}

// readSaveInput reads an estimate to save: service, or code and codeType
// (required as before when no service is given), and the optional fields.
func readSaveInput(r *http.Request, allowForm bool, optional []string) (input, error) {
	in, err := readInput(r, allowForm, nil, append(append([]string{"code", "codeType", "service"}, optional...), benefitFields...))
	if err != nil {
		return nil, err
	}
	if _, ok := in["service"]; !ok {
		for _, f := range []string{"code", "codeType"} {
			if _, ok := in[f]; !ok {
				return nil, invalid("missing_field", "The field %q is required.", f)
			}
		}
	}
	return in, nil
}

// handleDeleteSaved deletes one of the user's estimates (DELETE
// /api/me/saved/{id}); another user's ID is simply not found.
func (p *PriceAPI) handleDeleteSaved(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	if err := p.service().DeleteSavedEstimate(r.Context(), u.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
