package memstore

import (
	"cmp"
	"context"
	"slices"

	"hospitalpriceline/functions/priceline"
)

// SaveEstimate stores e unless the user already has MaxSavedEstimates.
func (m *Saved) SaveEstimate(_ context.Context, e *priceline.SavedEstimate) error {
	return m.write("SaveEstimate", priceline.ValidSavedEstimate(e), func() error {
		if len(m.byUser[e.UserID]) >= priceline.MaxSavedEstimates {
			return priceline.SavedLimit.Err()
		}
		rec := *e
		rec.CreatedAt = stored(e.CreatedAt)
		m.byUser.put(e.UserID, append(m.byUser[e.UserID], rec))
		return nil
	})
}

// SavedEstimates lists the user's estimates, oldest first (ties by ID).
func (m *Saved) SavedEstimates(_ context.Context, userID string) ([]priceline.SavedEstimate, error) {
	return answer(&m.base, "SavedEstimates", func() ([]priceline.SavedEstimate, error) {
		out := slices.Clone(m.byUser[userID])
		if out == nil && validUserID(userID) {
			out = []priceline.SavedEstimate{}
		}
		slices.SortStableFunc(out, func(a, b priceline.SavedEstimate) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		return out, nil
	})
}

// DeleteSavedEstimate removes the user's estimate with id.
func (m *Saved) DeleteSavedEstimate(_ context.Context, userID, id string) error {
	return m.run("DeleteSavedEstimate", func() error {
		es := m.byUser[userID]
		i := slices.IndexFunc(es, func(e priceline.SavedEstimate) bool { return e.ID == id })
		if i < 0 {
			return priceline.SavedNotFound.Err()
		}
		m.byUser[userID] = slices.Delete(es, i, i+1)
		return nil
	})
}

// PlanBenefits returns the user's plan details, zero when none.
func (m *Saved) PlanBenefits(_ context.Context, userID string) (priceline.PlanBenefits, error) {
	return answer(&m.base, "PlanBenefits", func() (priceline.PlanBenefits, error) {
		return m.plans[userID], nil
	})
}

// PutPlanBenefits keeps b as the user's plan details; zero b forgets them.
func (m *Saved) PutPlanBenefits(_ context.Context, userID string, b priceline.PlanBenefits) error {
	return m.write("PutPlanBenefits", priceline.ValidPlanBenefits(userID, b), func() error {
		if b.IsZero() {
			delete(m.plans, userID)
			return nil
		}
		m.plans.put(userID, b)
		return nil
	})
}

// DeleteUserData forgets the user's saved estimates and plan details.
func (m *Saved) DeleteUserData(_ context.Context, userID string) error {
	return m.do("DeleteUserData", func() { delete(m.byUser, userID); delete(m.plans, userID) })
}
