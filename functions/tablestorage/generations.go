package tablestorage

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// deleteStale removes, as recorded in the hospcode table, the rows of
// generation prev (the one keep replaced) and of every other generation
// but keep whose record is older than abandonAfter: an import that crashed.
// A younger record may be an import still running elsewhere, whose rows
// must not vanish under it; a later commit removes them if it dies. A
// bucket record names its pages (deleteRecordedPages); a record of a
// service's index partition, or of a procedure partition of the layout
// before buckets, names a partition whose rows of the generation share a
// row-key prefix (deletePrefix). Records go last, in transactions of 100,
// and only once their rows are gone, so that a clean-up that fails half-way
// is finished by the next commit.
func (s *PriceStore) deleteStale(ctx context.Context, hospitalID, keep, prev string) (int, error) {
	// The generation kept is the one just written, the hospital's largest
	// set of records by far: the row-key range leaves it out of the listing
	// rather than reading it only to pass it over.
	filter := "PartitionKey eq " + odataString(hospitalID) + " and (RowKey lt " + odataString(keep+".") +
		" or RowKey ge " + odataString(keep+"."+keyRangeEnd) + ")"
	sel := "PartitionKey,RowKey,Timestamp," + pagesProp
	abandoned := time.Now().Add(-s.abandonAfter())
	type staleRecord struct{ rowKey, pages string }
	var stale []staleRecord
	err := eachEntity(ctx, s.hospCodes, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list hospital partitions", "decode hospital partition", func(k struct {
			RowKey    string
			Timestamp time.Time
			Pages     string
		}) error {
			gen, _, ok := strings.Cut(k.RowKey, ".")
			if ok && gen != keep && (gen == prev || k.Timestamp.Before(abandoned)) {
				stale = append(stale, staleRecord{k.RowKey, k.Pages})
			}
			return nil
		})
	if err != nil {
		return 0, err
	}
	// A few records at a time: each costs a request or more of its own,
	// and one at a time left the table service idle between them, so a
	// re-import's commit took longer than writing the file.
	var deleted atomic.Int64
	cleared := make([]bool, len(stale))
	err = inParallel(ctx, staleDeleters, len(stale), func(ctx context.Context, i int) error {
		gen, pk, _ := strings.Cut(stale[i].rowKey, ".")
		var n int
		var err error
		if strings.HasPrefix(pk, bucketPrefix) {
			bucket, _, _ := strings.Cut(pk[len(bucketPrefix):], ".")
			n, err = s.deleteRecordedPages(ctx, hospitalID, gen, bucketPrefix+bucket, stale[i].pages)
		} else {
			n, err = s.deletePrefix(ctx, pk, hospitalID+"."+gen+".")
		}
		deleted.Add(int64(n))
		cleared[i] = err == nil
		return err
	})
	var done []string
	for i, r := range stale {
		if cleared[i] {
			done = append(done, r.rowKey)
			s.recorded.Delete(hospitalID + "." + r.rowKey)
		}
	}
	if _, rerr := deleteKeys(ctx, s.hospCodes, hospitalID, done, unitWeights(len(done)), "hospital partition record"); err == nil {
		err = rerr
	}
	return int(deleted.Load()), err
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
	return deleteKeys(ctx, s.charges, pk, keys, counts, "stale charge")
}
