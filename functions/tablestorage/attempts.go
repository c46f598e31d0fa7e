package tablestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// AttemptStore counts failed logins in the attempts table. The throttle key
// (for example "acct:<email>" or "ip:<addr>") is stored only as its SHA-256:
// the table needs to find a key, not to read it back.
type AttemptStore struct{ c *Client }

var _ priceline.AttemptStore = (*AttemptStore)(nil)

// maxRecordTries bounds the optimistic-concurrency loop. Each round lets at
// least one writer through, so this covers dozens of simultaneous failures
// for one key; beyond it the caller gets KindUnavailable rather than a
// silently lost count.
const maxRecordTries = 64

type attemptRecord struct {
	Failures    int    `json:"Failures"`
	LastFailure string `json:"LastFailure"`
}

func (s *AttemptStore) read(ctx context.Context, key string) (*priceline.Attempts, azcore.ETag, error) {
	pk, rk := attemptKeys(key)
	resp, err := s.c.attempts.GetEntity(ctx, pk, rk, nil)
	if isStatus(err, 404) {
		return &priceline.Attempts{Key: key}, "", nil
	}
	if err != nil {
		return nil, "", translate(err, "read attempts")
	}
	var rec attemptRecord
	if err := json.Unmarshal(resp.Value, &rec); err != nil {
		return nil, "", translate(err, "decode attempts")
	}
	last, err := parseTime(rec.LastFailure)
	if err != nil {
		return nil, "", translate(err, "decode attempts")
	}
	return &priceline.Attempts{Key: key, Failures: rec.Failures, LastFailure: last, Version: string(resp.ETag)}, resp.ETag, nil
}

// Attempts returns the record for key, or a zero record if there is none.
func (s *AttemptStore) Attempts(ctx context.Context, key string) (*priceline.Attempts, error) {
	a, _, err := s.read(ctx, key)
	return a, err
}

// RecordFailure reads the count and writes count+1 conditionally on the ETag
// it read (or inserts 1 if there was no record), starting over when another
// instance wrote first, so that concurrent failures are all counted.
func (s *AttemptStore) RecordFailure(ctx context.Context, key string, at time.Time) (*priceline.Attempts, error) {
	pk, rk := attemptKeys(key)
	at = at.UTC().Truncate(100 * time.Nanosecond) // Edm.DateTime resolution
	for try := range maxRecordTries {
		if try > 0 {
			// Jitter spreads the retrying writers out so they stop colliding.
			select {
			case <-ctx.Done():
				return nil, translate(ctx.Err(), "record failure")
			case <-time.After(time.Duration(rand.IntN(5*min(try, 10))+1) * time.Millisecond):
			}
		}
		cur, etag, err := s.read(ctx, key)
		if err != nil {
			return nil, err
		}
		e := entity{"PartitionKey": pk, "RowKey": rk, "Failures": cur.Failures + 1}
		e.setTime("LastFailure", at)
		body, err := json.Marshal(e)
		if err != nil {
			return nil, translate(err, "encode attempts")
		}
		var newETag azcore.ETag
		if etag == "" {
			resp, aerr := s.c.attempts.AddEntity(ctx, body, nil)
			newETag, err = resp.ETag, aerr
		} else {
			resp, uerr := s.c.attempts.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
			newETag, err = resp.ETag, uerr
		}
		if isConflictStatus(err) || isStatus(err, 404) {
			continue // someone else wrote (or reset) first
		}
		if err != nil {
			return nil, translate(err, "record failure")
		}
		return &priceline.Attempts{Key: key, Failures: cur.Failures + 1, LastFailure: at, Version: string(newETag)}, nil
	}
	return nil, unavailable(fmt.Errorf("record failure: still contended after %d tries", maxRecordTries))
}

// ResetAttempts deletes the record; a missing one is fine.
func (s *AttemptStore) ResetAttempts(ctx context.Context, key string) error {
	pk, rk := attemptKeys(key)
	_, err := s.c.attempts.DeleteEntity(ctx, pk, rk, nil)
	if err != nil && !isStatus(err, 404) {
		return translate(err, "reset attempts")
	}
	return nil
}
