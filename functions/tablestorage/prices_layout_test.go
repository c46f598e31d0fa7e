package tablestorage

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// commitOldLayout commits gen and then stores the hospital as a version
// before buckets committed it: without the layout marker.
func commitOldLayout(t *testing.T, s *PriceStore, h priceline.Hospital, gen string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CommitImport(ctx, h, gen); err != nil {
		t.Fatal(err)
	}
	e, etag, err := s.hospitalEntityTag(ctx, h.ID)
	if err != nil || e == nil {
		t.Fatalf("read hospital: %v, %v", e, err)
	}
	e.Layout = ""
	body, _ := json.Marshal(e)
	if _, err := s.hospitals.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace}); err != nil {
		t.Fatal(err)
	}
	s.forgetHospitals()
}

// putOldLayout writes charges of one procedure as versions before buckets
// did: a page in the procedure's own partition, and a record naming it.
func putOldLayout(t *testing.T, s *PriceStore, h priceline.Hospital, gen string, cs ...priceline.Charge) {
	t.Helper()
	ctx := context.Background()
	pk := procedureKey(cs[0].Codes[0])
	if err := s.record(ctx, h.ID, gen, pk); err != nil {
		t.Fatal(err)
	}
	pages, err := buildPages(cs)
	if err != nil {
		t.Fatal(err)
	}
	for i, pb := range pages {
		body, err := chargePage(pk, h.ID+"."+gen+"."+strings.Repeat("0", 31)+string(rune('a'+i)), pb.charges)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.charges.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
			t.Fatal(err)
		}
	}
}

// countEntities counts the entities of table that filter selects.
func countEntities(t *testing.T, tc *aztables.Client, filter string) int {
	t.Helper()
	n := 0
	pager := tc.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Entities)
	}
	return n
}

// A hospital committed by a version that filed charges by procedure
// partition stays readable beside hospitals in buckets, and its next
// import's commit deletes those partitions' rows and records; from then on
// reads query the buckets alone.
func TestPrices_OldLayoutIsReadUntilTheNextCommitClearsIt(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	old, fresh := testHospital("Old Layout General", "2026-01-01"), testHospital("Bucket General", "2026-01-01")
	if err := s.BeginImport(ctx, old, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	putOldLayout(t, s, old, "20260101-aaaa", testCharge(old, "99213", "CPT", "Acme", 100), testCharge(old, "99213", "CPT", "Bolt", 200))
	putOldLayout(t, s, old, "20260101-aaaa", testCharge(old, "99214", "CPT", "Acme", 300))
	commitOldLayout(t, s, old, "20260101-aaaa")
	importGen(t, s, fresh, "20260101-bbbb", testCharge(fresh, "99213", "CPT", "Cove", 400))

	hs, _, err := s.cachedHospitals(ctx, 0)
	if err != nil || !anyOldLayout(hs) {
		t.Fatalf("hospitals %+v, %v: want one of the old layout", hs, err)
	}
	if got := chargesFor(t, s, "99213", "CPT"); len(got) != 3 {
		t.Fatalf("99213 across both layouts: %d rows, want 3", len(got))
	}
	if got := compareRows(t, s, "99214", "CPT"); len(got) != 1 || got[0].HospitalID != old.ID {
		t.Fatalf("99214 in the old layout: %+v", got)
	}

	newer := old
	newer.LastUpdatedOn = "2026-02-01"
	if n := importGen(t, s, newer, "20260201-cccc", testCharge(old, "99213", "CPT", "Dart", 500)); n != 3 {
		t.Fatalf("the commit deleted %d rows of the old layout, want 3", n)
	}
	for _, code := range []string{"99213", "99214"} {
		pk := procedureKey(priceline.Code{Code: code, Type: "CPT"})
		if n := countEntities(t, s.charges, "PartitionKey eq "+odataString(pk)); n != 0 {
			t.Errorf("%s: %d entities left in its old partition", code, n)
		}
	}
	if n := countEntities(t, s.hospCodes, "PartitionKey eq "+odataString(old.ID)+" and RowKey lt '20260201'"); n != 0 {
		t.Errorf("%d records of the replaced generation left", n)
	}
	if hs, _, err = s.cachedHospitals(ctx, 0); err != nil || anyOldLayout(hs) {
		t.Fatalf("hospitals %+v, %v: want every one in buckets", hs, err)
	}
	got := chargesFor(t, s, "99213", "CPT")
	if len(got) != 2 || got[0].Payer == "Acme" || got[1].Payer == "Acme" {
		t.Fatalf("99213 after the re-import: %+v", got)
	}
}

// While committed hospitals are in the layout before buckets every charge
// read costs two queries; the store says so once, with how many hospitals
// and what clears it, however often it reads the hospital list.
func TestPrices_OldLayoutIsLoggedOnce(t *testing.T) {
	s := newPriceStore(t)
	var logs bytes.Buffer
	s.log = slog.New(slog.NewJSONHandler(&logs, nil))
	ctx := context.Background()
	fresh := testHospital("Bucket Only General", "2026-01-01")
	importGen(t, s, fresh, "20260101-aaaa", testCharge(fresh, "99213", "CPT", "Acme", 100))
	chargesFor(t, s, "99213", "CPT")
	if logs.Len() != 0 {
		t.Fatalf("logged with every hospital in buckets: %s", logs.String())
	}

	var olds []priceline.Hospital
	for _, name := range []string{"Old Layout East", "Old Layout West"} {
		h := testHospital(name, "2026-01-01")
		if err := s.BeginImport(ctx, h, "20260101-bbbb"); err != nil {
			t.Fatal(err)
		}
		putOldLayout(t, s, h, "20260101-bbbb", testCharge(h, "99213", "CPT", "Bolt", 200))
		commitOldLayout(t, s, h, "20260101-bbbb")
		olds = append(olds, h)
	}
	for range 3 {
		s.forgetHospitals() // each read lists the hospitals again
		if got := chargesFor(t, s, "99213", "CPT"); len(got) != 3 {
			t.Fatalf("99213: %d rows, want 3", len(got))
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d:\n%s", len(lines), logs.String())
	}
	var rec struct {
		Level     string `json:"level"`
		Msg       string `json:"msg"`
		Hospitals int    `json:"hospitals"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Level != "WARN" || rec.Hospitals != len(olds) || !strings.Contains(rec.Msg, "importing them again") {
		t.Errorf("log line %+v: want WARN naming %d hospitals and the re-import", rec, len(olds))
	}
	for _, h := range olds {
		if strings.Contains(lines[0], h.ID) || strings.Contains(lines[0], h.Name) {
			t.Errorf("the log line names a hospital: %s", lines[0])
		}
	}
}

// A replaced generation's pages in buckets are deleted by the records its
// batches wrote, records included, and a page already gone (a concurrent
// commit, or an import that died between its record and its batch) is
// counted as nothing rather than failing the clean-up.
func TestPrices_BucketRecordsClearTheirPagesExactly(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Bucket Records", "2026-01-01")
	var groups []priceline.ChargeGroup
	for i := range 150 {
		code := priceline.Code{Code: strings.Repeat("7", 1+i%3) + string(rune('A'+i%26)) + strings.Repeat("1", i/26), Type: "CPT"}
		c := testCharge(h, code.Code, "CPT", "Acme", int64(100+i))
		groups = append(groups, priceline.ChargeGroup{Code: code, Charges: []priceline.Charge{c, testCharge(h, code.Code, "CPT", "Bolt", 1)}})
	}
	if err := s.BeginImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutChargeGroups(ctx, h.ID, "20260101-aaaa", groups); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	records := countEntities(t, s.hospCodes, "PartitionKey eq "+odataString(h.ID))
	if records == 0 || records > chargeBuckets {
		t.Fatalf("150 procedures in one call wrote %d records; want one per bucket batch, at most %d", records, chargeBuckets)
	}
	// One page vanishes before the clean-up.
	pk := procedureKey(groups[0].Code)
	filter := bucketFilter(pk)
	sel := "PartitionKey,RowKey"
	var victim entityKey
	if err := eachEntity(ctx, s.charges, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel}, "list", "decode", func(k entityKey) error {
		victim = k
		return errStop
	}); err != nil || victim.RowKey == "" {
		t.Fatalf("find a page: %v", err)
	}
	if _, err := s.charges.DeleteEntity(ctx, victim.PartitionKey, victim.RowKey, &aztables.DeleteEntityOptions{IfMatch: ptr(azcore.ETagAny)}); err != nil {
		t.Fatal(err)
	}
	newer := h
	newer.LastUpdatedOn = "2026-02-01"
	if n := importGen(t, s, newer, "20260201-bbbb", testCharge(h, "99213", "CPT", "Only", 100)); n != 298 {
		t.Fatalf("the commit deleted %d rows, want the 298 still stored", n)
	}
	if n := countEntities(t, s.hospCodes, "PartitionKey eq "+odataString(h.ID)+" and RowKey lt '20260201'"); n != 0 {
		t.Errorf("%d records of the replaced generation left", n)
	}
	if n := countEntities(t, s.charges, "RowKey ge 'CPT.7' and RowKey lt 'CPT.8'"); n != 0 {
		t.Errorf("%d pages of the replaced generation left", n)
	}
}
