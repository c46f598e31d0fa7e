package tablestorage

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// hospitalEntity is a hospital as stored.
type hospitalEntity struct {
	PartitionKey  string
	RowKey        string
	Name          string
	Locations     string // JSON array
	Addresses     string // JSON array
	LicenseNumber string
	LicenseState  string
	LastUpdatedOn string
	Version       string
	Gen           string // the committed generation; readers see only its rows
	Facts         string // JSON of priceline.ImportFacts; "" for hospitals imported before it was kept
	Layout        string // layoutBuckets, or "" when Gen's charges are in procedure partitions (earlier versions)
}

func (e *hospitalEntity) hospital() priceline.Hospital {
	h := priceline.Hospital{
		ID: e.RowKey, Name: e.Name, LicenseNumber: e.LicenseNumber, LicenseState: e.LicenseState,
		LastUpdatedOn: e.LastUpdatedOn, Version: e.Version,
	}
	_ = json.Unmarshal([]byte(e.Locations), &h.Locations)
	_ = json.Unmarshal([]byte(e.Addresses), &h.Addresses)
	if e.Facts != "" {
		_ = json.Unmarshal([]byte(e.Facts), &h.Facts)
	}
	return h
}

func (s *PriceStore) hospitalEntity(ctx context.Context, id string) (*hospitalEntity, error) {
	e, _, err := s.hospitalEntityTag(ctx, id)
	return e, err
}

// hospitalEntityTag is hospitalEntity with the entity's ETag ("" and nil
// when there is no such hospital). It is not readEntity: a missing price
// table is translate's not_found error here, as in every price-table
// call, and readEntity knows only absence and outage (see table.outage).
func (s *PriceStore) hospitalEntityTag(ctx context.Context, id string) (*hospitalEntity, azcore.ETag, error) {
	resp, err := s.hospitals.GetEntity(ctx, hospitalPartition, id, nil)
	if err != nil {
		if isStatus(err, 404) && !hasErrorCode(err, aztables.TableNotFound) {
			return nil, "", nil
		}
		return nil, "", translate(err, "read hospital")
	}
	var e hospitalEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return nil, "", translate(err, "decode hospital")
	}
	return &e, resp.ETag, nil
}

// boundedList encodes a hospital's locations or addresses as JSON that fits
// one string property; a file listing more than fits keeps the first ones.
func boundedList(xs []string) []byte {
	for {
		b, _ := json.Marshal(xs)
		if len(b) <= chunkBytes || len(xs) == 0 {
			return b
		}
		xs = xs[:len(xs)/2]
	}
}

// hospitalEntities lists the hospitals that have a committed generation.
func (s *PriceStore) hospitalEntities(ctx context.Context) ([]hospitalEntity, error) {
	filter := "PartitionKey eq " + odataString(hospitalPartition)
	var out []hospitalEntity
	if err := eachEntity(ctx, s.hospitals, &aztables.ListEntitiesOptions{Filter: &filter}, "list hospitals", "decode hospital", func(e hospitalEntity) error {
		if e.Gen != "" {
			out = append(out, e)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// forgetHospitals drops the cached hospital list, so that this instance's
// readers see its own commit at once.
func (s *PriceStore) forgetHospitals() {
	s.hospMu.Lock()
	s.hospList, s.hospAt = nil, time.Time{}
	s.hospEpoch++
	s.hospMu.Unlock()
}

// cachedHospitals returns the committed hospitals as read at most maxAge
// ago (reading them if need be) and when they were read. Callers must not
// modify the slice.
func (s *PriceStore) cachedHospitals(ctx context.Context, maxAge time.Duration) ([]hospitalEntity, time.Time, error) {
	s.hospMu.Lock()
	list, at, epoch := s.hospList, s.hospAt, s.hospEpoch
	s.hospMu.Unlock()
	if !at.IsZero() && time.Since(at) < maxAge {
		return list, at, nil
	}
	at = time.Now()
	list, err := s.hospitalEntities(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	s.noteOldLayout(ctx, list)
	s.hospMu.Lock()
	// A commit since the read started may not be in list: do not keep it.
	if s.hospEpoch == epoch && at.After(s.hospAt) {
		s.hospList, s.hospAt = list, at
	}
	s.hospMu.Unlock()
	return list, at, nil
}

// Hospitals lists the committed hospitals, in the store's key order. The
// list may be up to hospitalCacheTTL older than another instance's commit.
func (s *PriceStore) Hospitals(ctx context.Context) ([]priceline.Hospital, error) {
	es, _, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	out := make([]priceline.Hospital, 0, len(es))
	for i := range es {
		out = append(out, es[i].hospital())
	}
	return out, nil
}

// oldLayout reports whether h's charges are still in procedure partitions,
// where reads must look too.
func oldLayout(h hospitalEntity) bool { return h.Layout != layoutBuckets }

// anyOldLayout reports whether a committed hospital is in the old layout.
// Every charge read asks, so it stops at the first.
func anyOldLayout(hs []hospitalEntity) bool { return slices.ContainsFunc(hs, oldLayout) }

// noteOldLayout logs, once per store, that committed hospitals are still in
// the layout before buckets: while one is, every charge read makes two
// queries, which nothing else shows, and only importing those hospitals
// again ends it. It names how many, nothing about them.
func (s *PriceStore) noteOldLayout(ctx context.Context, hs []hospitalEntity) {
	if s.oldLayoutNoted.Load() { // every listing calls this; count only until noted
		return
	}
	n := 0
	for _, h := range hs {
		if oldLayout(h) {
			n++
		}
	}
	if n == 0 || s.oldLayoutNoted.Swap(true) {
		return
	}
	s.log.LogAttrs(ctx, slog.LevelWarn,
		"hospitals committed before charge buckets make every charge read two queries; importing them again clears it",
		slog.Int("hospitals", n))
}

// generations maps each committed hospital to its current generation.
func generations(hs []hospitalEntity) map[string]string {
	gens := make(map[string]string, len(hs))
	for _, h := range hs {
		gens[h.RowKey] = h.Gen
	}
	return gens
}
