package memstore

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// AuthFlows is an in-memory priceline.AuthFlowStore: a flow is taken at
// most once, and an expired one is deleted and refused.
type AuthFlows struct {
	// Now is the clock TakeFlow checks expiry against; nil means time.Now.
	Now func() time.Time
	// Fail, when set, is called with the method name before each call.
	Fail func(op string) error

	guarded // Calls, Succeeded and the lock
	flows   map[string]priceline.AuthFlow
}

var _ priceline.AuthFlowStore = (*AuthFlows)(nil)

// NewAuthFlows returns an empty flow store.
func NewAuthFlows() *AuthFlows { return &AuthFlows{} }

func authFlowNotFound() error {
	return priceline.Errorf(priceline.KindNotFound, "auth_flow_not_found",
		"This sign-in attempt was not started here or has already been used. Please start again.")
}

// PutFlow stores f; an existing ID is a conflict.
func (m *AuthFlows) PutFlow(_ context.Context, f *priceline.AuthFlow) (err error) {
	defer m.call(m.Fail, "PutFlow", &err)()
	if err != nil {
		return err
	}
	if err := priceline.ValidAuthFlow(f); err != nil {
		return err
	}
	m.flows = ensure(m.flows)
	if _, ok := m.flows[f.ID]; ok {
		return priceline.Errorf(priceline.KindConflict, "auth_flow_exists", "This sign-in attempt already exists.")
	}
	rec := *f
	rec.CreatedAt, rec.ExpiresAt = stored(f.CreatedAt), stored(f.ExpiresAt)
	m.flows[f.ID] = rec
	return nil
}

// TakeFlow reads and deletes the flow under the lock, so it completes once.
func (m *AuthFlows) TakeFlow(_ context.Context, id string) (_ *priceline.AuthFlow, err error) {
	defer m.call(m.Fail, "TakeFlow", &err)()
	if err != nil {
		return nil, err
	}
	f, ok := m.flows[id]
	if !ok {
		return nil, authFlowNotFound()
	}
	delete(m.flows, id)
	if f.Expired(clock(m.Now)) {
		return nil, priceline.Errorf(priceline.KindNotFound, "auth_flow_expired",
			"This sign-in attempt took too long. Please start again.")
	}
	return &f, nil
}

// DeleteExpiredFlows removes flows expired at now, like the real store's
// clean-up, and returns how many it removed.
func (m *AuthFlows) DeleteExpiredFlows(_ context.Context, now time.Time) (_ int, err error) {
	defer m.call(m.Fail, "DeleteExpiredFlows", &err)()
	if err != nil {
		return 0, err
	}
	return sweep(m.flows, now, (*priceline.AuthFlow).Expired), nil
}

// Len returns how many flows are stored, expired ones included: what a
// test reads to see that a flow was kept or taken. For tests.
func (m *AuthFlows) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.flows)
}
