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
	byID    table[string, priceline.Challenge]
}

var _ priceline.ChallengeStore = (*Challenges)(nil)

// NewChallenges returns an empty store.
func NewChallenges() *Challenges { return &Challenges{} }

var challengeExists = refusal(priceline.KindConflict, "challenge_exists", "This challenge exists already.")

// PutChallenge stores c; an existing ID is a conflict.
func (m *Challenges) PutChallenge(_ context.Context, c *priceline.Challenge) error {
	return m.run(m.Fail, "PutChallenge", func() error {
		if err := priceline.ValidChallenge(c); err != nil {
			return err
		}
		if err := priceline.CheckText("return path", c.ReturnTo); err != nil {
			return err
		}
		rec := *c
		rec.Data = slices.Clone(c.Data)
		rec.CreatedAt, rec.ExpiresAt = stored(c.CreatedAt), stored(c.ExpiresAt)
		return m.byID.add(c.ID, rec, challengeExists)
	})
}

// TakeChallenge reads and deletes the challenge under the lock.
func (m *Challenges) TakeChallenge(_ context.Context, id string) (*priceline.Challenge, error) {
	return counted(&m.guarded, m.Fail, "TakeChallenge", func() (*priceline.Challenge, error) {
		return takeLive(m.byID, id, clock(m.Now), (*priceline.Challenge).Expired, priceline.ChallengeNotFound, priceline.ChallengeExpired)
	})
}

// DeleteExpiredChallenges removes challenges expired at now.
func (m *Challenges) DeleteExpiredChallenges(_ context.Context, now time.Time) (int, error) {
	return counted(&m.guarded, m.Fail, "DeleteExpiredChallenges", func() (int, error) {
		return m.byID.sweep(now, (*priceline.Challenge).Expired), nil
	})
}

// Len returns how many challenges are stored, expired ones included. For tests.
func (m *Challenges) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}
