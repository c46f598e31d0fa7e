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
type AttemptStore struct{ store }

// maxRecordTries bounds the optimistic-concurrency loops. A write that
// loses its condition lost to a write that succeeded, and once a counter is
// over its limit the check refuses without writing, so a contender loses at
// most about as often as the limit allows attempts (50 per address), plus
// the releases racing it; beyond this the caller gets KindUnavailable rather
// than a silently lost count. The auth flows also queue same-key
// reservations within one instance, so the contenders are the instances.
const maxRecordTries = 128

type attemptRecord struct {
	Failures    int
	LastFailure edmTime
}

// attemptErrors has no notFound: a key with no record has no failures.
var attemptErrors = entityErrors{what: "attempts"}

func (s *AttemptStore) read(ctx context.Context, key string) (*priceline.Attempts, azcore.ETag, error) {
	pk, rk := attemptKeys(key)
	rec, etag, err := readEntity[attemptRecord](ctx, s.t, attemptErrors, pk, rk)
	if err != nil {
		return nil, "", err
	}
	return &priceline.Attempts{Key: key, Failures: rec.Failures, LastFailure: rec.LastFailure.Time, Version: string(etag)}, etag, nil
}

// Attempts returns the record for key, or a zero record if there is none.
func (s *AttemptStore) Attempts(ctx context.Context, key string) (*priceline.Attempts, error) {
	a, _, err := s.read(ctx, key)
	return a, err
}

// Reserve reads the record, lets check decide, and writes count+1
// conditionally on the ETag it read (or inserts 1 if there was no record):
// an If-Match that fails (412, or 409 for a racing insert) means another
// instance wrote first, and the loop starts over from a fresh read, so the
// decision is always made on the record the write replaces.
func (s *AttemptStore) Reserve(ctx context.Context, key string, at time.Time, forgetAfter time.Duration, check priceline.AttemptCheck) (*priceline.Attempts, error) {
	pk, rk := attemptKeys(key)
	at = at.UTC().Truncate(100 * time.Nanosecond) // Edm.DateTime resolution
	for try := range maxRecordTries {
		if err := backoff(ctx, try); err != nil {
			return nil, translate(err, "reserve attempt")
		}
		cur, etag, err := s.read(ctx, key)
		if err != nil {
			return nil, err
		}
		base := *cur
		if forgetAfter > 0 && base.Failures > 0 && !at.Before(base.LastFailure.Add(forgetAfter)) {
			base.Failures, base.LastFailure = 0, time.Time{}
		}
		if check != nil {
			if err := check(base); err != nil {
				return nil, err
			}
		}
		last := at
		if last.Before(base.LastFailure) {
			last = base.LastFailure // another instance's clock is ahead
		}
		newETag, err := s.write(ctx, pk, rk, etag, base.Failures+1, last)
		if isConflictStatus(err) || isStatus(err, 404) {
			continue // someone else wrote (or reset) first
		}
		if err != nil {
			return nil, translate(err, "reserve attempt")
		}
		return &priceline.Attempts{Key: key, Failures: base.Failures + 1, LastFailure: last, Version: string(newETag), Previous: cur.LastFailure}, nil
	}
	return nil, unavailable(fmt.Errorf("reserve attempt: still contended after %d tries", maxRecordTries))
}

// Release decrements the count conditionally on the ETag it read, like
// Reserve, and deletes the record (again conditionally) when it reaches zero.
func (s *AttemptStore) Release(ctx context.Context, r *priceline.Attempts) error {
	pk, rk := attemptKeys(r.Key)
	for try := range maxRecordTries {
		if err := backoff(ctx, try); err != nil {
			return translate(err, "release attempt")
		}
		cur, etag, err := s.read(ctx, r.Key)
		if err != nil {
			return err
		}
		if etag == "" || cur.Failures <= 0 {
			return nil
		}
		if cur.Failures == 1 {
			_, err = s.t.DeleteEntity(ctx, pk, rk, &aztables.DeleteEntityOptions{IfMatch: &etag})
		} else {
			last := cur.LastFailure
			if string(etag) == r.Version {
				last = r.Previous // nothing was counted since this reservation
			}
			_, err = s.write(ctx, pk, rk, etag, cur.Failures-1, last)
		}
		if isConflictStatus(err) || isStatus(err, 404) {
			continue
		}
		if err != nil {
			return translate(err, "release attempt")
		}
		return nil
	}
	return unavailable(fmt.Errorf("release attempt: still contended after %d tries", maxRecordTries))
}

// write stores failures and last, inserting when etag is "" and otherwise
// replacing only the version etag names.
func (s *AttemptStore) write(ctx context.Context, pk, rk string, etag azcore.ETag, failures int, last time.Time) (azcore.ETag, error) {
	e := entity{"PartitionKey": pk, "RowKey": rk, "Failures": failures}
	e.setTime("LastFailure", last)
	body, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode attempts: %w", err)
	}
	if etag == "" {
		resp, err := s.t.AddEntity(ctx, body, nil)
		return resp.ETag, err
	}
	resp, err := s.t.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
	return resp.ETag, err
}

// backoff waits before retry try (none before the first): jitter spreads
// the writers that lost a condition so they stop colliding.
func backoff(ctx context.Context, try int) error {
	if try == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(rand.IntN(5*min(try, 10))+1) * time.Millisecond):
		return nil
	}
}

// ResetAttempts deletes the record; a missing one is fine.
func (s *AttemptStore) ResetAttempts(ctx context.Context, key string) error {
	pk, rk := attemptKeys(key)
	return deleteEntity(ctx, s.t, pk, rk, "reset attempts")
}
