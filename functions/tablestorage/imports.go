package tablestorage

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// BeginImport refuses a file older than the one the store holds.
func (s *PriceStore) BeginImport(ctx context.Context, h priceline.Hospital, gen string) error {
	if err := priceline.ValidImport(h.ID, gen); err != nil {
		return err
	}
	cur, err := s.hospitalEntity(ctx, h.ID)
	if err != nil {
		return err
	}
	if cur != nil && cur.LastUpdatedOn > h.LastUpdatedOn {
		return priceline.NewerFileHeld(h.Name, cur.LastUpdatedOn, h.LastUpdatedOn)
	}
	return nil
}

// buildPages splits the charges of one procedure into pages (see
// chargePage) of at most maxPageBytes. A page is named by a hash of its
// content, and the importer groups a file's rows the same way every time,
// so writing the same charges again overwrites them with themselves.
// Identical charges are stored once. ValidChargeGroups has checked each
// charge's size.
func buildPages(charges []priceline.Charge) ([]*pageBuilder, error) {
	var pages []*pageBuilder
	seen := map[[32]byte]bool{}
	for i := range charges {
		sc := toStoredCharge(&charges[i])
		body, err := json.Marshal(sc)
		if err != nil {
			return nil, translate(err, "encode charge")
		}
		text := charges[i].TextBytes()
		if sum := sha256.Sum256(body); seen[sum] {
			continue
		} else {
			seen[sum] = true
		}
		size := gobBound(&charges[i], text)
		if len(pages) == 0 || pages[len(pages)-1].size+size > maxPageBytes {
			pages = append(pages, &pageBuilder{sum: sha256.New()})
		}
		pb := pages[len(pages)-1]
		pb.charges = append(pb.charges, sc)
		pb.sum.Write(body)
		pb.sum.Write([]byte{'\n'})
		pb.size += size
	}
	return pages, nil
}

// submit writes upsert actions of one partition: a single entity as a
// plain upsert (cheaper than a one-entity batch), more as a transaction.
// Deletes go through deleteKeys, which counts what it deleted.
func (s *PriceStore) submit(ctx context.Context, tc *aztables.Client, actions []aztables.TransactionAction) error {
	switch len(actions) {
	case 0:
		return nil
	case 1:
		_, err := tc.UpsertEntity(ctx, actions[0].Entity, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
		return translate(err, "upsert entity")
	}
	_, err := tc.SubmitTransaction(ctx, actions, nil)
	return translate(err, "batch write")
}

func ptr[T any](v T) *T { return &v }

// record notes, before the first row of (hospital, gen) lands in
// partition pk (a service's index partition, or a procedure's in the
// layout before buckets), that it did, so that CommitImport can find stale rows
// without scanning the table; an import that dies half-way leaves its
// partitions recorded and the next commit removes its rows.
func (s *PriceStore) record(ctx context.Context, hospitalID, gen, pk string) error {
	key := hospitalID + "." + gen + "." + pk
	if _, ok := s.recorded.Load(key); ok {
		return nil
	}
	body, err := json.Marshal(entity{"PartitionKey": hospitalID, "RowKey": gen + "." + pk})
	if err != nil {
		return translate(err, "encode partition record")
	}
	if _, err := s.hospCodes.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		return translate(err, "record partition")
	}
	s.recorded.Store(key, struct{}{})
	return nil
}

// CommitImport switches the hospital to gen, then deletes the generation
// it replaced and any abandoned one. Readers filter by the hospital's
// generation, so the switch is one atomic entity write and the deletes are
// invisible. The switch is conditional on the hospital entity read just
// before, so two imports of one hospital committing at once cannot let the
// older file win: the loser gets KindConflict "import_conflict".
func (s *PriceStore) CommitImport(ctx context.Context, h priceline.Hospital, gen string) (int, error) {
	if err := priceline.ValidImport(h.ID, gen); err != nil {
		return 0, err
	}
	cur, etag, err := s.hospitalEntityTag(ctx, h.ID)
	if err != nil {
		return 0, err
	}
	if cur != nil && cur.LastUpdatedOn > h.LastUpdatedOn {
		return 0, priceline.NewerFileCommitted(h.Name, cur.LastUpdatedOn)
	}
	locs, addrs := boundedList(h.Locations), boundedList(h.Addresses)
	facts, err := json.Marshal(h.Facts)
	if err != nil {
		return 0, translate(err, "encode import facts")
	}
	body, err := json.Marshal(hospitalEntity{
		PartitionKey: hospitalPartition, RowKey: h.ID, Name: h.Name, Locations: string(locs), Addresses: string(addrs),
		LicenseNumber: h.LicenseNumber, LicenseState: h.LicenseState, LastUpdatedOn: h.LastUpdatedOn, Version: h.Version, Gen: gen,
		Facts: string(facts), Layout: layoutBuckets,
	})
	if err != nil {
		return 0, translate(err, "encode hospital")
	}
	if cur == nil {
		_, err = s.hospitals.AddEntity(ctx, body, nil)
	} else {
		_, err = s.hospitals.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
	}
	s.forgetHospitals() // even on error: the write may have landed
	if isConflictStatus(err) {
		return 0, priceline.Errorf(priceline.KindConflict, "import_conflict",
			"Another import of %s committed while this one ran; import this file again.", h.Name)
	}
	if err != nil {
		return 0, translate(err, "commit import")
	}
	prev := ""
	if cur != nil {
		prev = cur.Gen
	}
	deleted, err := s.deleteStale(ctx, h.ID, gen, prev)
	if err != nil {
		// The switch has happened; only the clean-up is unfinished, and the
		// records it left let a later commit finish it (as abandoned ones).
		return deleted, priceline.Wrap(err, priceline.KindUnavailable, "cleanup_incomplete",
			fmt.Sprintf("The new file of %s is live, but removing the previous file's rows failed; a later import of it will finish that.", h.Name))
	}
	return deleted, nil
}
