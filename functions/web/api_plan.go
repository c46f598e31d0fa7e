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
// /api/me/plan, behind withSession, which makes every answer uncacheable).
func (p *PriceAPI) handleGetPlan(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerOwn(w, r, func() (any, error) {
		b, err := p.service().PlanBenefits(r.Context(), u.ID)
		return planAnswer(b), err
	})
}

// handlePutPlan replaces the plan details kept on the account (PUT
// /api/me/plan, behind withSession, which requires the CSRF token); every
// field left out or empty forgets them.
func (p *PriceAPI) handlePutPlan(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	return answerInput(w, r, http.StatusOK, nil, benefitFields, func(in input) (any, error) {
		b, err := p.service().SetPlanBenefits(r.Context(), u.ID, benefitsInput(in))
		return planAnswer(b), err
	})
}

// planAnswer is the body of both plan routes.
func planAnswer(b priceline.PlanBenefits) map[string]any {
	return map[string]any{"plan": toPlanJSON(b)}
}
