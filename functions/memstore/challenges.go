package memstore

import (
	"context"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Challenges is an in-memory priceline.ChallengeStore: a challenge is taken
// at most once, and an expired one is deleted and refused.
type Challenges struct {
	// Now is the clock TakeChallenge checks expiry against; nil means time.Now.
	Now func() time.Time
	// Fail, when set, is called with the method name before each call.
	Fail func(op string) error

	guarded // Calls, Succeeded and the lock
	byID    map[string]priceline.Challenge
}

var _ priceline.ChallengeStore = (*Challenges)(nil)

// NewChallenges returns an empty store.
func NewChallenges() *Challenges { return &Challenges{} }

// PutChallenge stores c; an existing ID is a conflict.
func (m *Challenges) PutChallenge(_ context.Context, c *priceline.Challenge) (err error) {
	defer m.call(m.Fail, "PutChallenge", &err)()
	if err != nil {
		return err
	}
	if err := priceline.ValidChallenge(c); err != nil {
		return err
	}
	if err := priceline.CheckText("return path", c.ReturnTo); err != nil {
		return err
	}
	m.byID = ensure(m.byID)
	if _, ok := m.byID[c.ID]; ok {
		return priceline.Errorf(priceline.KindConflict, "challenge_exists", "This challenge exists already.")
	}
	rec := *c
	rec.Data = slices.Clone(c.Data)
	rec.CreatedAt, rec.ExpiresAt = stored(c.CreatedAt), stored(c.ExpiresAt)
	m.byID[c.ID] = rec
	return nil
}

// TakeChallenge reads and deletes the challenge under the lock.
func (m *Challenges) TakeChallenge(_ context.Context, id string) (_ *priceline.Challenge, err error) {
	defer m.call(m.Fail, "TakeChallenge", &err)()
	if err != nil {
		return nil, err
	}
	c, ok := m.byID[id]
	if !ok {
		return nil, priceline.ChallengeNotFound()
	}
	delete(m.byID, id)
	if c.Expired(clock(m.Now)) {
		return nil, priceline.ChallengeExpired()
	}
	return &c, nil
}

// DeleteExpiredChallenges removes challenges expired at now.
func (m *Challenges) DeleteExpiredChallenges(_ context.Context, now time.Time) (_ int, err error) {
	defer m.call(m.Fail, "DeleteExpiredChallenges", &err)()
	if err != nil {
		return 0, err
	}
	return sweep(m.byID, now, (*priceline.Challenge).Expired), nil
}

// Len returns how many challenges are stored, expired ones included. For tests.
func (m *Challenges) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}
