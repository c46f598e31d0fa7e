package tablestorage

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// challengesTable holds pending multi-factor sign-ins and WebAuthn ceremony
// state between the two requests of a ceremony:
//
//	challenges: "ch"+id[:2] / id → Kind, UserID, Data (Edm.Binary), ReturnTo, CreatedAt, ExpiresAt
//
// Like authflows, the ID is 64 server-generated hex characters.
const challengesTable = "challenges"

// ChallengeStore keeps priceline.Challenges; TakeChallenge's
// ETag-conditional delete makes each single use across instances.
type ChallengeStore struct{ store }

type challengeRecord struct {
	Kind      string
	UserID    string
	Data      []byte
	ReturnTo  string
	CreatedAt edmTime
	ExpiresAt edmTime
}

var challengeErrors = entityErrors{what: "challenge", notFound: priceline.ChallengeNotFound, exists: priceline.ChallengeExists}

func challengeKeys(id string) (pk, rk string) { return "ch" + id[:2], id }

// PutChallenge stores c with AddEntity, so an existing ID is a conflict.
func (s *ChallengeStore) PutChallenge(ctx context.Context, c *priceline.Challenge) error {
	if err := priceline.ValidChallenge(c); err != nil {
		return err
	}
	pk, rk := challengeKeys(c.ID)
	e := entity{"PartitionKey": pk, "RowKey": rk, "Kind": c.Kind, "UserID": c.UserID, "ReturnTo": c.ReturnTo}
	if len(c.Data) > 0 {
		e["Data"], e["Data@odata.type"] = c.Data, "Edm.Binary"
	}
	e.setTime("CreatedAt", c.CreatedAt)
	e.setTime("ExpiresAt", c.ExpiresAt)
	return addEntity(ctx, s.t, challengeErrors, e, nil)
}

// TakeChallenge reads the challenge and deletes it on the condition that it
// is still the version read; of racing takers only one gets it.
func (s *ChallengeStore) TakeChallenge(ctx context.Context, id string) (*priceline.Challenge, error) {
	if !priceline.IsLowerHex(id, 64) {
		return nil, priceline.ChallengeNotFound.Err()
	}
	pk, rk := challengeKeys(id)
	return takeLive(ctx, s.store, challengeErrors, pk, rk, func(rec challengeRecord) *priceline.Challenge {
		return &priceline.Challenge{
			ID: id, Kind: rec.Kind, UserID: rec.UserID, Data: rec.Data, ReturnTo: rec.ReturnTo,
			CreatedAt: rec.CreatedAt.Time, ExpiresAt: rec.ExpiresAt.Time,
		}
	}, (*priceline.Challenge).Expired, priceline.ChallengeExpired.Err)
}

// DeleteExpiredChallenges removes challenges whose ExpiresAt is at or before now.
func (s *ChallengeStore) DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error) {
	return deleteListed(ctx, s.t.Client, "ExpiresAt le "+odataDateTime(now), "challenge", false)
}
