package auth

import (
	"context"
	"fmt"

	"hospitalpriceline/functions/priceline"
)

// UnverifiedSaveLimit is how many estimates an account may keep before its
// address is verified: enough to try the feature, few enough that the
// limit on saved estimates means one per person, not one per throwaway
// address.
const UnverifiedSaveLimit = 3

// VerifiedSaves is a priceline.SavedStore that refuses to save more than
// UnverifiedSaveLimit estimates for an account whose address is not
// verified (KindForbidden/"email_unverified"). Wrapping the store puts the
// rule under every caller, the JSON API and the pages alike. Cloud
// accounts are vouched for by their provider and are not limited here.
type VerifiedSaves struct {
	priceline.SavedStore
	Users priceline.UserStore
}

var _ priceline.SavedStore = (*VerifiedSaves)(nil)

// SaveEstimate checks the rule, then saves.
func (v *VerifiedSaves) SaveEstimate(ctx context.Context, e *priceline.SavedEstimate) error {
	u, err := v.Users.UserByID(ctx, e.UserID)
	if err != nil {
		return fmt.Errorf("save estimate: load user: %w", err)
	}
	if u.Provider == priceline.ProviderLocal && !u.EmailVerified {
		have, err := v.SavedStore.SavedEstimates(ctx, e.UserID)
		if err != nil {
			return fmt.Errorf("save estimate: %w", err)
		}
		if len(have) >= UnverifiedSaveLimit {
			return priceline.Errorf(priceline.KindForbidden, "email_unverified",
				"Verify your email address to save more than %d estimates. Your account page can send the link again.", UnverifiedSaveLimit)
		}
	}
	return v.SavedStore.SaveEstimate(ctx, e)
}
