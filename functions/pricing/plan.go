package pricing

import (
	"context"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/priceline"
)

// BenefitsInput is the four plan details as a person typed them ("" for
// one left out).
type BenefitsInput struct {
	DeductibleRemaining, CoinsurancePercent, Copay, OOPMaxRemaining string
}

// ParsePlanBenefits checks typed plan details with the estimate package's
// rules (the same as the comparison's parameters, with their error codes)
// and returns them in the canonical form stores keep.
func ParsePlanBenefits(in BenefitsInput) (priceline.PlanBenefits, error) {
	b, err := estimate.ParseBenefits(in.DeductibleRemaining, in.CoinsurancePercent, in.Copay, in.OOPMaxRemaining)
	if err != nil {
		return priceline.PlanBenefits{}, err
	}
	return priceline.PlanBenefits{DeductibleRemaining: b.DeductibleRemaining.Decimal, CoinsurancePercent: b.CoinsurancePercent,
		Copay: b.Copay.Decimal, OOPMaxRemaining: b.OOPMaxRemaining.Decimal}, nil
}

// BenefitsOf turns stored plan details back into the estimate's benefits.
// Stored details were canonical when written, so they parse again.
func BenefitsOf(p priceline.PlanBenefits) (estimate.Benefits, error) {
	return estimate.ParseBenefits(p.DeductibleRemaining, p.CoinsurancePercent, p.Copay, p.OOPMaxRemaining)
}

// PlanBenefits returns the plan details the user keeps on the account.
func (s *Service) PlanBenefits(ctx context.Context, userID string) (priceline.PlanBenefits, error) {
	st, err := s.saved()
	if err != nil {
		return priceline.PlanBenefits{}, err
	}
	return st.PlanBenefits(ctx, userID)
}

// SetPlanBenefits checks and keeps the user's plan details (all four left
// out forgets them) and returns what was kept.
func (s *Service) SetPlanBenefits(ctx context.Context, userID string, in BenefitsInput) (priceline.PlanBenefits, error) {
	st, err := s.saved()
	if err != nil {
		return priceline.PlanBenefits{}, err
	}
	b, err := ParsePlanBenefits(in)
	if err != nil {
		return priceline.PlanBenefits{}, err
	}
	if err := st.PutPlanBenefits(ctx, userID, b); err != nil {
		return priceline.PlanBenefits{}, err
	}
	return b, nil
}

// DeleteUserData deletes the user's saved estimates and plan details: the
// price side of deleting an account.
func (s *Service) DeleteUserData(ctx context.Context, userID string) error {
	st, err := s.saved()
	if err != nil {
		return err
	}
	return st.DeleteUserData(ctx, userID)
}
