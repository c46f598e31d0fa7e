package tablestorage

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// deleteStale removes, as recorded in the hospcode table, the rows of
// generation prev (the one keep replaced) and of every other generation
// but keep whose record is older than abandonAfter: an import that crashed.
// A younger record may be an import still running elsewhere, whose rows
// must not vanish under it; a later commit removes them if it dies.
func (s *PriceStore) deleteStale(ctx context.Context, hospitalID, keep, prev string) (int, error) {
	filter := "PartitionKey eq " + odataString(hospitalID)
	sel := "PartitionKey,RowKey,Timestamp"
	abandoned := time.Now().Add(-s.abandonAfter())
	var stale []string
	err := eachEntity(ctx, s.hospCodes, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list hospital partitions", "decode hospital partition", func(k struct {
			RowKey    string
			Timestamp time.Time
		}) error {
			gen, _, ok := strings.Cut(k.RowKey, ".")
			if ok && gen != keep && (gen == prev || k.Timestamp.Before(abandoned)) {
				stale = append(stale, k.RowKey)
			}
			return nil
		})
	if err != nil {
		return 0, err
	}
	// A few partitions at a time: each costs a query and a delete of its
	// own (a procedure is a partition), and one at a time left the table
	// service idle between them, so a re-import's commit took longer than
	// writing the file.
	var deleted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(stale))
	sem := make(chan struct{}, staleDeleters)
	for _, rk := range stale {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			gen, pk, _ := strings.Cut(rk, ".")
			n, err := s.deletePrefix(ctx, pk, hospitalID+"."+gen+".")
			deleted.Add(int64(n))
			if err != nil {
				errs <- err
				return
			}
			if _, err := s.hospCodes.DeleteEntity(ctx, hospitalID, rk, &aztables.DeleteEntityOptions{IfMatch: ptr(azcore.ETagAny)}); err != nil && !isStatus(err, 404) {
				errs <- translate(err, "delete partition record")
				return
			}
			s.recorded.Delete(hospitalID + "." + rk)
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return int(deleted.Load()), err
	}
	return int(deleted.Load()), ctx.Err()
}

// staleDeleters is how many stale partitions a commit clears at once.
const staleDeleters = 4

// abandonAfter is how old an uncommitted generation's record must be before
// a commit treats the import as dead (default: 6 hours, far beyond any
// import's run time).
func (s *PriceStore) abandonAfter() time.Duration {
	if s.AbandonAfter > 0 {
		return s.AbandonAfter
	}
	return 6 * time.Hour
}

// deletePrefix deletes the charge entities of partition pk whose row keys
// start with prefix, in batches of 100, and returns how many charges they
// held.
func (s *PriceStore) deletePrefix(ctx context.Context, pk, prefix string) (int, error) {
	filter := "PartitionKey eq " + odataString(pk) + " and RowKey ge " + odataString(prefix) + " and RowKey lt " + odataString(prefix+keyRangeEnd)
	sel := "PartitionKey,RowKey," + pageCountProp
	var keys []string
	var counts []int
	err := eachEntity(ctx, s.charges, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list stale charges", "decode stale charge", func(k struct {
			RowKey string
			N      *int
		}) error {
			keys = append(keys, k.RowKey)
			counts = append(counts, 1) // a charge as versions before pages wrote it
			if k.N != nil {
				counts[len(counts)-1] = *k.N
			}
			return nil
		})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for len(keys) > 0 {
		n := min(len(keys), priceline.MaxChargeBatch)
		rows := 0
		for _, c := range counts[:n] {
			rows += c
		}
		var actions []aztables.TransactionAction
		for _, rk := range keys[:n] {
			body, _ := json.Marshal(entity{"PartitionKey": pk, "RowKey": rk})
			actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: body, IfMatch: ptr(azcore.ETagAny)})
		}
		if err := s.submit(ctx, s.charges, actions); err != nil {
			if !priceline.IsNotFound(err) {
				return deleted, err
			}
			// Someone deleted one meanwhile (a concurrent commit): one
			// by one, where a missing entity is not an error.
			for i := range actions {
				if err := s.submit(ctx, s.charges, actions[i:i+1]); err != nil {
					return deleted, err
				}
			}
		}
		deleted += rows
		keys, counts = keys[n:], counts[n:]
	}
	return deleted, nil
}
