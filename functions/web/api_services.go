package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/pricing"
	"hospitalpriceline/functions/services"
)

// serviceJSON is one shoppable service of the catalogue.
type serviceJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Category    string            `json:"category"`
	Description string            `json:"description"`
	Codes       []serviceCodeJSON `json:"codes"`
}

type serviceCodeJSON struct {
	Code     string `json:"code"`
	CodeType string `json:"codeType"`
}

func toServiceJSON(s *services.Service) serviceJSON {
	out := serviceJSON{ID: s.ID, Name: s.Name, Category: s.Category, Description: s.Description, Codes: []serviceCodeJSON{}}
	for _, c := range s.Codes {
		out.Codes = append(out.Codes, serviceCodeJSON{Code: c.Code, CodeType: c.Type})
	}
	return out
}

// handleServices lists the catalogue's services matching q (plain words,
// synonyms or a code), or all of them by category without q.
func (p *PriceAPI) handleServices(w http.ResponseWriter, r *http.Request) error {
	return answerQuery(w, r, map[string]int{"q": maxQueryLen}, func(q map[string]string) (any, error) {
		return map[string]any{"services": viewsOf(p.service().Services(q["q"]), toServiceJSON)}, nil
	})
}

// handlePayers lists the insurers under their normalised names, with their
// plans and the raw names hospitals used.
func (p *PriceAPI) handlePayers(w http.ResponseWriter, r *http.Request) error {
	return answerQuery(w, r, map[string]int{}, func(map[string]string) (any, error) {
		ps, err := p.service().Payers(r.Context())
		return map[string]any{"payers": ps}, err
	})
}

// compareExtraParams are the parameters GET /api/prices/compare takes
// beside code, codeType, payer and plan: a service instead of a code, the
// switch for description matches, and the person's benefits.
var compareExtraParams = map[string]int{
	"service": 100, "descriptionMatches": 5, "sort": maxSortLen,
	"deductibleRemaining": 40, "coinsurancePercent": 20, "copay": 40, "oopMaxRemaining": 40,
	"zip": 10, "radiusMiles": 10,
}

// compareOptions reads what both comparisons (by code and by service) take
// beside what they compare, in this order: the four benefit parameters (400
// with the estimate package's codes when one is not an amount), sort=distance
// (taken out of q, see distanceSort) and the origin (zip, radiusMiles).
func compareOptions(q map[string]string) (b estimate.Benefits, byDistance bool, err error) {
	b, err = estimate.ParseBenefits(q["deductibleRemaining"], q["coinsurancePercent"], q["copay"], q["oopMaxRemaining"])
	if err != nil {
		return b, false, err
	}
	if byDistance, err = distanceSort(q); err != nil {
		return b, false, err
	}
	_, _, err = pricing.ParseOrigin(q["zip"], q["radiusMiles"])
	return b, byDistance, err
}

// addEstimate adds what the person would pay to a comparison entry.
func addEstimate(e map[string]any, est estimate.Estimate, ok bool) {
	if !ok || est.Basis == estimate.BasisNone {
		return
	}
	// Whole cents, always with two decimals: an amount to pay.
	c := est.YouPay.Cents
	e["estimatedYouPay"] = strconv.FormatInt(c/100, 10) + "." + twoDigits(c%100)
	e["estimateBasis"] = string(est.Basis)
}

// handleServiceCompare is GET /api/prices/compare?service=ID: one entry per
// hospital whose rows matched the service, each saying how.
func (p *PriceAPI) handleServiceCompare(w http.ResponseWriter, r *http.Request, q map[string]string) error {
	if q["code"] != "" || q["codeType"] != "" {
		return invalid("invalid_query", "Give either service or code and codeType, not both.")
	}
	withDesc, err := pricing.ParseDescriptionMatches(q["descriptionMatches"])
	if err != nil {
		return err
	}
	b, byDistance, err := compareOptions(q)
	if err != nil {
		return err
	}
	c, err := p.service().CompareService(r.Context(), pricing.ServiceQuery{
		ServiceID: q["service"], DescriptionMatches: withDesc, Payer: q["payer"], Plan: q["plan"], Sort: q["sort"], Benefits: b,
	})
	if err != nil {
		return err
	}
	body := toCompareJSON(&c.Comparison)
	body["service"] = toServiceJSON(&c.Service)
	body["descriptionMatches"] = withDesc
	body["codesLeftOut"] = c.CodesLeftOut
	byID := entriesByHospital(body["hospitals"])
	entries := []map[string]any{}
	for _, hp := range c.Prices {
		e := byID[hp.HospitalID]
		if e == nil {
			continue
		}
		m := c.Matches[hp.HospitalID]
		e["match"] = m.By
		e["matchedDescription"] = m.Description
		e["matchedCode"] = m.Code.Code
		e["matchedCodeType"] = m.Code.Type
		est, ok := c.Estimates[hp.HospitalID]
		addEstimate(e, est, ok)
		entries = append(entries, e)
	}
	body["hospitals"] = entries
	if body, err = withDistances(r.Context(), p.service(), body, q, byDistance); err != nil {
		return err
	}
	writePublicJSON(w, body)
	return nil
}

// entriesByHospital turns a comparison's hospital entries into maps by
// hospital ID, so that fields can be added to them whatever else the
// entries hold.
func entriesByHospital(v any) map[string]map[string]any {
	b, err := json.Marshal(v)
	out := map[string]map[string]any{}
	if err != nil {
		return out
	}
	var list []map[string]any
	if json.Unmarshal(b, &list) != nil {
		return out
	}
	for _, m := range list {
		if h, ok := m["hospital"].(map[string]any); ok {
			if id, ok := h["id"].(string); ok {
				out[id] = m
			}
		}
	}
	return out
}

// withEstimates adds estimatedYouPay and estimateBasis to the entries of a
// comparison by code.
func withEstimates(body map[string]any, c *pricing.Comparison, est map[string]estimate.Estimate) map[string]any {
	if len(est) == 0 {
		return body
	}
	byID := entriesByHospital(body["hospitals"])
	entries := []map[string]any{}
	for _, hp := range c.Prices {
		if e := byID[hp.HospitalID]; e != nil {
			x, ok := est[hp.HospitalID]
			addEstimate(e, x, ok)
			entries = append(entries, e)
		}
	}
	body["hospitals"] = entries
	return body
}
