package pricing

import (
	"context"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/services"
)

// SaveInput is what a user sends to save an estimate: a procedure,
// optionally narrowed to a hospital, payer and plan, and their own label.
type SaveInput struct {
	Code, CodeType string
	// ServiceID is a catalogue service, instead of Code and CodeType, for
	// an estimate saved from a comparison by service.
	ServiceID   string
	HospitalID  string // "" for every hospital
	Payer, Plan string
	Label       string
	// Benefits are the plan details the estimate used, checked as
	// ParsePlanBenefits checks them; all empty for none.
	Benefits BenefitsInput
	// DescriptionMatches is the comparison's descriptionMatches switch as
	// sent ("", "true" or "false", ParseDescriptionMatches); "false" is
	// kept with a service estimate. With a code any value is refused, as
	// the comparison by code refuses the switch.
	DescriptionMatches string
}

// SavedEstimates lists the user's saved estimates, oldest first.
func (s *Service) SavedEstimates(ctx context.Context, userID string) ([]priceline.SavedEstimate, error) {
	st, err := s.saved()
	if err != nil {
		return nil, err
	}
	return st.SavedEstimates(ctx, userID)
}

// SaveEstimate keeps in for the user and returns what was stored: an
// estimate of a billing code, or of a catalogue service (ServiceID). This is
// the one place a saved estimate is built: text trimmed, the code type
// upper-cased (as lookups compare it, so one procedure saved twice reads the
// same), a new random ID, and the service clock to the millisecond (what
// the store keeps). It fails with KindInvalid/"invalid_estimate" for bad
// input and KindConflict/"saved_limit" past priceline.MaxSavedEstimates.
func (s *Service) SaveEstimate(ctx context.Context, userID string, in SaveInput) (*priceline.SavedEstimate, error) {
	st, err := s.saved()
	if err != nil {
		return nil, err
	}
	benefits, err := ParsePlanBenefits(in.Benefits)
	if err != nil {
		return nil, err
	}
	if in.DescriptionMatches != "" && strings.TrimSpace(in.ServiceID) == "" {
		return nil, invalid("invalid_estimate", "descriptionMatches applies to an estimate of a service.")
	}
	withDesc, err := ParseDescriptionMatches(in.DescriptionMatches)
	if err != nil {
		return nil, err
	}
	e := &priceline.SavedEstimate{
		ID: priceline.NewToken(16), UserID: userID, Code: strings.TrimSpace(in.Code), CodeType: strings.TrimSpace(in.CodeType),
		ServiceID:  strings.TrimSpace(in.ServiceID),
		HospitalID: in.HospitalID, Payer: strings.TrimSpace(in.Payer), Plan: strings.TrimSpace(in.Plan),
		Label: strings.TrimSpace(in.Label), CreatedAt: s.now().UTC().Truncate(time.Millisecond), Benefits: benefits,
		NoDescriptionMatches: !withDesc,
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if _, ok := services.Default().ByID(e.ServiceID); e.ServiceID != "" && !ok {
		return nil, invalid("invalid_estimate", "service must be an id from /api/services.")
	}
	// Upper-cased only once valid: Validate allows ASCII alone, and
	// ToUpper could turn a non-ASCII letter into an ASCII one.
	e.CodeType = strings.ToUpper(e.CodeType)
	if err := st.SaveEstimate(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// DeleteSavedEstimate removes one of the user's estimates; another user's
// ID is KindNotFound/"saved_not_found", as a missing one is.
func (s *Service) DeleteSavedEstimate(ctx context.Context, userID, id string) error {
	st, err := s.saved()
	if err != nil {
		return err
	}
	return st.DeleteSavedEstimate(ctx, userID, id)
}
