package memstore

import (
	"context"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
)

// PutChallenge stores c; an existing ID is a conflict.
func (m *Challenges) PutChallenge(_ context.Context, c *priceline.Challenge) error {
	return m.write("PutChallenge", priceline.ValidChallenge(c), func() error {
		rec := *c
		rec.Data = slices.Clone(c.Data)
		rec.CreatedAt, rec.ExpiresAt = stored(c.CreatedAt), stored(c.ExpiresAt)
		return m.byID.add(c.ID, rec, priceline.ChallengeExists.Err)
	})
}

// TakeChallenge reads and deletes the challenge under the lock.
func (m *Challenges) TakeChallenge(_ context.Context, id string) (*priceline.Challenge, error) {
	return answer(&m.base, "TakeChallenge", func() (*priceline.Challenge, error) {
		return takeLive(m.byID, id, clock(m.Now), (*priceline.Challenge).Expired, priceline.ChallengeNotFound.Err, priceline.ChallengeExpired.Err)
	})
}

// DeleteExpiredChallenges removes challenges expired at now.
func (m *Challenges) DeleteExpiredChallenges(_ context.Context, now time.Time) (int, error) {
	return answer(&m.base, "DeleteExpiredChallenges", func() (int, error) {
		return m.byID.sweep(now, (*priceline.Challenge).Expired), nil
	})
}

// Len returns how many challenges are stored, expired ones included. For tests.
func (m *Challenges) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}
