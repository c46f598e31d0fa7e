package tablestorage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

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
type ChallengeStore struct {
	c     *Client
	table *aztables.Client
}

var _ priceline.ChallengeStore = (*ChallengeStore)(nil)

// Challenges returns the challenge store.
func (c *Client) Challenges() *ChallengeStore {
	return &ChallengeStore{c: c, table: c.svc.NewClient(c.table(challengesTable))}
}

type challengeRecord struct {
	Kind      string `json:"Kind"`
	UserID    string `json:"UserID"`
	Data      []byte `json:"Data"`
	ReturnTo  string `json:"ReturnTo"`
	CreatedAt string `json:"CreatedAt"`
	ExpiresAt string `json:"ExpiresAt"`
}

func challengeKeys(id string) (pk, rk string) { return "ch" + id[:2], id }

// PutChallenge stores c with AddEntity, so an existing ID is a conflict.
func (s *ChallengeStore) PutChallenge(ctx context.Context, c *priceline.Challenge) error {
	if err := priceline.ValidChallenge(c); err != nil {
		return err
	}
	if err := priceline.CheckText("return path", c.ReturnTo); err != nil {
		return err
	}
	pk, rk := challengeKeys(c.ID)
	e := entity{"PartitionKey": pk, "RowKey": rk, "Kind": c.Kind, "UserID": c.UserID, "ReturnTo": c.ReturnTo}
	if len(c.Data) > 0 {
		e["Data"], e["Data@odata.type"] = c.Data, "Edm.Binary"
	}
	e.setTime("CreatedAt", c.CreatedAt)
	e.setTime("ExpiresAt", c.ExpiresAt)
	body, err := json.Marshal(e)
	if err != nil {
		return translate(err, "encode challenge")
	}
	_, err = s.table.AddEntity(ctx, body, nil)
	if err := missingTable(err, s.c.table(challengesTable)); err != nil {
		return err
	}
	if isStatus(err, 409) {
		return priceline.Wrap(redactKeys(err), priceline.KindConflict, "challenge_exists", "This challenge exists already.")
	}
	if err != nil {
		return translate(err, "add challenge")
	}
	return nil
}

// TakeChallenge reads the challenge and deletes it on the condition that it
// is still the version read; of racing takers only one gets it.
func (s *ChallengeStore) TakeChallenge(ctx context.Context, id string) (*priceline.Challenge, error) {
	if !priceline.IsLowerHex(id, 64) {
		return nil, priceline.ChallengeNotFound()
	}
	pk, rk := challengeKeys(id)
	value, err := takeEntity(ctx, s.table, s.c.table(challengesTable), pk, rk, "challenge", priceline.ChallengeNotFound)
	if err != nil {
		return nil, err
	}
	var rec challengeRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return nil, translate(err, "decode challenge")
	}
	c := &priceline.Challenge{ID: id, Kind: rec.Kind, UserID: rec.UserID, Data: rec.Data, ReturnTo: rec.ReturnTo}
	if c.CreatedAt, err = parseTime(rec.CreatedAt); err != nil {
		return nil, translate(err, "decode challenge time")
	}
	if c.ExpiresAt, err = parseTime(rec.ExpiresAt); err != nil {
		return nil, translate(err, "decode challenge time")
	}
	if c.ExpiresAt.IsZero() || c.Expired(s.c.now()) {
		return nil, priceline.ChallengeExpired()
	}
	return c, nil
}

// DeleteExpiredChallenges removes challenges whose ExpiresAt is at or before now.
func (s *ChallengeStore) DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error) {
	return deleteListed(ctx, s.table, "ExpiresAt le "+odataDateTime(now), "challenge")
}
