package memstore

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// PutFlow stores f; an existing ID is a conflict.
func (m *AuthFlows) PutFlow(_ context.Context, f *priceline.AuthFlow) error {
	return m.write("PutFlow", priceline.ValidAuthFlow(f), func() error {
		rec := *f
		rec.CreatedAt, rec.ExpiresAt = stored(f.CreatedAt), stored(f.ExpiresAt)
		return m.flows.add(f.ID, rec, priceline.AuthFlowExists.Err)
	})
}

// TakeFlow reads and deletes the flow under the lock, so it completes once.
func (m *AuthFlows) TakeFlow(_ context.Context, id string) (*priceline.AuthFlow, error) {
	return answer(&m.base, "TakeFlow", func() (*priceline.AuthFlow, error) {
		return takeLive(m.flows, id, clock(m.Now), (*priceline.AuthFlow).Expired, priceline.AuthFlowNotFound.Err, priceline.AuthFlowExpired.Err)
	})
}

// DeleteExpiredFlows removes flows expired at now, like the real store's
// clean-up, and returns how many it removed.
func (m *AuthFlows) DeleteExpiredFlows(_ context.Context, now time.Time) (int, error) {
	return answer(&m.base, "DeleteExpiredFlows", func() (int, error) {
		return m.flows.sweep(now, (*priceline.AuthFlow).Expired), nil
	})
}

// Len returns how many flows are stored, expired ones included: what a
// test reads to see that a flow was kept or taken. For tests.
func (m *AuthFlows) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.flows)
}
