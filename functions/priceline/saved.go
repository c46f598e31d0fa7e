package priceline

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxSavedEstimates is how many estimates one user may keep.
const MaxSavedEstimates = 50

// SavedEstimate is a price lookup a signed-in user kept to come back to: a
// procedure, optionally narrowed to a hospital, payer and plan.
type SavedEstimate struct {
	ID       string // random, 32 lowercase hex characters
	UserID   string
	Code     string // "" for an estimate of a service
	CodeType string
	// ServiceID is the catalogue service (package services) the estimate
	// compares, for one saved from a comparison by service; "" for one of
	// a billing code. An estimate has a code or a service, never both.
	ServiceID  string
	HospitalID string // "" for every hospital
	Payer      string
	Plan       string
	Label      string // the user's own name for it
	CreatedAt  time.Time
	// Benefits are the plan details the estimate was made with, so the
	// saved page can show what the person would pay; zero when none.
	Benefits PlanBenefits
	// NoDescriptionMatches is a service estimate saved from a comparison
	// with descriptionMatches=false: hospitals matched only by their own
	// description are left out when it is opened again. The zero value,
	// which every estimate saved before the field existed reads as, is the
	// comparison's default (matches included). Never set without ServiceID.
	NoDescriptionMatches bool
}

// Validate checks the user-supplied fields with the same limits as the
// price API's query parameters.
func (e *SavedEstimate) Validate() error {
	bad := func(format string, args ...any) error {
		return Errorf(KindInvalid, "invalid_estimate", format, args...)
	}
	text := func(name, v string, max int) error {
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return bad("%s contains characters that are not allowed.", name)
		}
		if utf8.RuneCountInString(v) > max {
			return bad("%s is longer than %d characters.", name, max)
		}
		return nil
	}
	switch {
	case e.ServiceID != "" && (e.Code != "" || e.CodeType != ""):
		return bad("give a code or a service, not both.")
	case e.ServiceID != "" && (len(e.ServiceID) > 64 || strings.ContainsFunc(e.ServiceID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	})):
		return bad("service must be an id from /api/services.")
	case e.ServiceID != "":
	case e.NoDescriptionMatches:
		return bad("descriptionMatches applies to an estimate of a service.")
	case strings.TrimSpace(e.Code) == "":
		return bad("code is required (or a service).")
	case e.CodeType == "" || len(e.CodeType) > 20 || strings.ContainsFunc(e.CodeType, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}):
		return bad("codeType must be a code type such as CPT, HCPCS, MS-DRG or RC.")
	case e.HospitalID != "" && !IsLowerHex(e.HospitalID, 32):
		return bad("hospital must be an id from /api/hospitals.")
	case e.Plan != "" && e.Payer == "":
		return bad("plan needs a payer.")
	}
	if err := e.Benefits.Validate(); err != nil {
		return bad("the plan details must be plain amounts such as 1500.00 or 20.")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"code", e.Code, 64}, {"payer", e.Payer, 200}, {"plan", e.Plan, 200}, {"label", e.Label, 100}} {
		if err := text(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

// SavedStore keeps users' saved estimates, one partition per user.
type SavedStore interface {
	// SaveEstimate stores e (with e.ID and e.CreatedAt set by the caller).
	// It fails with KindConflict/"saved_limit" when the user already has
	// MaxSavedEstimates, however many saves run at once.
	SaveEstimate(ctx context.Context, e *SavedEstimate) error
	// SavedEstimates lists a user's estimates, oldest first.
	SavedEstimates(ctx context.Context, userID string) ([]SavedEstimate, error)
	// DeleteSavedEstimate removes one; KindNotFound when the user has no
	// estimate with that ID.
	DeleteSavedEstimate(ctx context.Context, userID, id string) error
	// PlanBenefits returns the plan details the user keeps on the account,
	// zero when none.
	PlanBenefits(ctx context.Context, userID string) (PlanBenefits, error)
	// PutPlanBenefits keeps b as the user's plan details (replacing any);
	// zero b forgets them.
	PutPlanBenefits(ctx context.Context, userID string, b PlanBenefits) error
	// DeleteUserData deletes everything the store keeps for the user (saved
	// estimates and plan details), for account deletion; deleting a user
	// with nothing stored succeeds.
	DeleteUserData(ctx context.Context, userID string) error
}
