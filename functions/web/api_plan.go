package web

import (
	"net/http"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// benefitFields are the plan details' parameter and field names, the same
// in the comparison's query, /api/me/plan and the saved estimate.
var benefitFields = []string{"deductibleRemaining", "coinsurancePercent", "copay", "oopMaxRemaining"}

// benefitsInput picks the plan details out of parsed input.
func benefitsInput(in map[string]string) pricing.BenefitsInput {
	return pricing.BenefitsInput{DeductibleRemaining: in["deductibleRemaining"], CoinsurancePercent: in["coinsurancePercent"],
		Copay: in["copay"], OOPMaxRemaining: in["oopMaxRemaining"]}
}

// handleGetPlan answers the plan details kept on the account (GET
// /api/me/plan, behind withSession).
func (p *PriceAPI) handleGetPlan(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	if _, err := queryParams(r, map[string]int{}); err != nil {
		return err
	}
	b, err := p.service().PlanBenefits(r.Context(), u.ID)
	return answerPlan(w, b, err)
}

// handlePutPlan replaces the plan details kept on the account (PUT
// /api/me/plan, behind withSession, which requires the CSRF token); every
// field left out or empty forgets them.
func (p *PriceAPI) handlePutPlan(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	in, err := readInput(r, false, nil, benefitFields)
	if err != nil {
		return err
	}
	b, err := p.service().SetPlanBenefits(r.Context(), u.ID, benefitsInput(in))
	return answerPlan(w, b, err)
}

// answerPlan answers both plan routes with the plan details b, or their
// error: uncacheable, as is every answer about the signed-in user.
func answerPlan(w http.ResponseWriter, b priceline.PlanBenefits, err error) error {
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"plan": toPlanJSON(b)})
	return nil
}
