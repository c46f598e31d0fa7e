package tablestorage

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

// compareViews keeps only the fields CompareRows promises.
func compareViews(cs []priceline.Charge) []priceline.Charge {
	out := make([]priceline.Charge, len(cs))
	for i := range cs {
		out[i] = compareView(&cs[i])
	}
	return out
}

func compareRows(t *testing.T, s *PriceStore, code, typ string) []priceline.Charge {
	t.Helper()
	cs, err := s.CompareRows(context.Background(), priceline.Code{Code: code, Type: typ})
	if err != nil {
		t.Fatalf("CompareRows(%s %s): %v", typ, code, err)
	}
	return cs
}

func TestPrices_CompareRowsAreChargesForWithCompareFieldsOnly(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	a, b := testHospital("Compare A", "2026-01-01"), testHospital("Compare B", "2026-01-01")
	pct := testCharge(a, "99213", "CPT", "Pct Health", 0)
	pct.NegotiatedDollar, pct.Gross = priceline.Money{}, priceline.Money{}
	pct.NegotiatedPercentage, pct.NegotiatedAlgorithm, pct.Methodology = "62.5", "62.5% of billed", "percent of total billed charges"
	pct.Min, pct.Max, pct.Median = money(100), money(90000), money(5000)
	long := testCharge(b, "99213", "CPT", "Long Algo", 7000)
	long.NegotiatedAlgorithm = strings.Repeat("é algorithm text ", 400) // long free text
	importGen(t, s, a, "20260101-aaaa", testCharge(a, "99213", "CPT", "Acme", 10000), pct)
	importGen(t, s, b, "20260101-bbbb", testCharge(b, "99213", "CPT", "Acme", 9000))

	// An uncommitted generation stays invisible to comparisons too.
	if err := pricelinetest.PutCharges(ctx, s, a.ID, "20260201-cccc", priceline.Code{Code: "99213", Type: "CPT"},
		[]priceline.Charge{testCharge(a, "99213", "CPT", "Acme", 1)}); err != nil {
		t.Fatal(err)
	}
	full := chargesFor(t, s, "99213", "CPT")
	got := compareRows(t, s, "99213", "CPT")
	if len(full) != 3 {
		t.Fatalf("ChargesFor: %d rows, want 3", len(full))
	}
	if d := cmp.Diff(compareViews(full), got, cmpSortCharges()); d != "" {
		t.Fatalf("CompareRows differs from ChargesFor (-want +got):\n%s", d)
	}
	name := func(id string) string { return id }
	if d := cmp.Diff(priceline.Compare(full, "pct health", "", name), priceline.Compare(got, "pct health", "", name)); d != "" {
		t.Fatalf("comparison differs (-full +projected):\n%s", d)
	}

	// Long free text round-trips in full.
	importGen(t, s, b, "20260102-dddd", testCharge(b, "99213", "CPT", "Acme", 9000), long)
	full = chargesFor(t, s, "99213", "CPT")
	got = compareRows(t, s, "99213", "CPT")
	if len(full) != 4 {
		t.Fatalf("ChargesFor: %d rows, want 4", len(full))
	}
	if d := cmp.Diff(compareViews(full), got, cmpSortCharges()); d != "" {
		t.Fatalf("CompareRows with long text differs (-want +got):\n%s", d)
	}
}

// Rows written before pages (one charge per entity, as a priceline.Charge
// JSON object, no N, in the procedure's partition) are still read, counted
// and deleted.
func TestPrices_ReadsSingleChargeRowsOfEarlierVersions(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Legacy Rows", "2026-01-01")
	c := testCharge(h, "70551", "CPT", "Acme", 50000)
	if err := s.BeginImport(ctx, h, "20260101-eeee"); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	pk := procedureKey(c.Codes[0])
	if err := s.record(ctx, h.ID, "20260101-eeee", pk); err != nil {
		t.Fatal(err)
	}
	legacy, _ := json.Marshal(entity{"PartitionKey": pk, "RowKey": h.ID + ".20260101-eeee." + strings.Repeat("ab", 16), "C0": string(body)})
	if _, err := s.charges.UpsertEntity(ctx, legacy, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		t.Fatal(err)
	}
	commitOldLayout(t, s, h, "20260101-eeee")
	if d := cmp.Diff([]priceline.Charge{c}, chargesFor(t, s, "70551", "CPT")); d != "" {
		t.Fatalf("legacy row (-want +got):\n%s", d)
	}
	if d := cmp.Diff(compareViews([]priceline.Charge{c}), compareRows(t, s, "70551", "CPT")); d != "" {
		t.Fatalf("legacy row compared (-want +got):\n%s", d)
	}
	newer := h
	newer.LastUpdatedOn = "2026-02-01"
	if n := importGen(t, s, newer, "20260201-ffff", testCharge(h, "70551", "CPT", "Acme", 40000)); n != 1 {
		t.Fatalf("replacing the legacy row deleted %d rows, want 1", n)
	}
}

// A call's charges are one entity (a page), not one entity each, and a page
// of long rows splits before it could pass the entity size limit.
func TestPrices_ChargesAreStoredInPagesUnderTheEntityLimit(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Paged General", "2026-01-01")
	var many, long []priceline.Charge
	for i := range priceline.MaxChargeBatch {
		many = append(many, testCharge(h, "99213", "CPT", fmt.Sprintf("Payer %03d", i), int64(1000+i)))
		c := testCharge(h, "99214", "CPT", fmt.Sprintf("Payer %03d", i), int64(1000+i))
		c.GenericNotes = randomLetters(60_000) // 60 KB that deflate cannot shrink much
		// 20 of them, 1.2 MB: several pages, each near the page limit.
		if i < 20 {
			long = append(long, c)
		}
	}
	if err := s.BeginImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	for _, cs := range [][]priceline.Charge{many, long} {
		if err := pricelinetest.PutCharges(ctx, s, h.ID, "20260101-aaaa", cs[0].Codes[0], cs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CommitImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	count := func(pk string) (entities int, maxLen int) {
		filter := bucketFilter(pk)
		pager := s.charges.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range page.Entities {
				entities++
				maxLen = max(maxLen, len(raw))
			}
		}
		return entities, maxLen
	}
	if n, _ := count(procedureKey(priceline.Code{Code: "99213", Type: "CPT"})); n != 1 {
		t.Errorf("100 short charges took %d entities, want 1", n)
	}
	n, longest := count(procedureKey(priceline.Code{Code: "99214", Type: "CPT"}))
	if n < 3 || longest > 1<<20 {
		t.Errorf("%d long charges took %d entities, the longest %d bytes; want pages under 1 MiB", len(long), n, longest)
	}
	notes := map[string]bool{}
	for _, c := range long {
		notes[c.GenericNotes] = true
	}
	got := chargesFor(t, s, "99214", "CPT")
	for _, c := range got {
		delete(notes, c.GenericNotes)
	}
	if len(got) != len(long) || len(notes) != 0 {
		t.Fatalf("long charges read back: %d rows, %d notes missing", len(got), len(notes))
	}
	if got := chargesFor(t, s, "99213", "CPT"); len(got) != priceline.MaxChargeBatch {
		t.Fatalf("short charges read back: %d rows", len(got))
	}
}

func TestPrices_CachedHospitalsSeeAnotherInstancesCommit(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	reader, writer := c.Prices(), c.Prices() // two instances of the app
	h := testHospital("Elsewhere General", "2026-01-01")
	importGen(t, writer, h, "20260101-ffff", testCharge(h, "99213", "CPT", "Acme", 10000))
	if got := compareRows(t, reader, "99213", "CPT"); len(got) != 1 || got[0].DiscountedCash.Cents != 10000 {
		t.Fatalf("first read: %+v", got)
	}

	// The writer commits a newer file and a new hospital; the reader's
	// cached list still names the old generation.
	h2 := h
	h2.LastUpdatedOn = "2026-02-01"
	importGen(t, writer, h2, "20260201-ffff", testCharge(h2, "99213", "CPT", "Acme", 11000))
	n := testHospital("Newcomer", "2026-02-01")
	importGen(t, writer, n, "20260201-ffff", testCharge(n, "99213", "CPT", "Acme", 12000))
	time.Sleep(genRecheck + 100*time.Millisecond)
	for name, read := range map[string]func() []priceline.Charge{
		"CompareRows": func() []priceline.Charge { return compareRows(t, reader, "99213", "CPT") },
		"ChargesFor":  func() []priceline.Charge { return chargesFor(t, reader, "99213", "CPT") },
	} {
		got := read()
		cents := map[int64]bool{}
		for _, g := range got {
			cents[g.DiscountedCash.Cents] = true
		}
		if len(got) != 2 || !cents[11000] || !cents[12000] {
			t.Errorf("%s after another instance's commits: %+v", name, got)
		}
	}
	hs, err := reader.Hospitals(ctx)
	if err != nil || len(hs) != 2 {
		t.Fatalf("Hospitals after refresh = %+v, %v", hs, err)
	}
}

func cmpSortCharges() cmp.Option {
	return cmp.Transformer("sorted", func(cs []priceline.Charge) []priceline.Charge {
		out := slices.Clone(cs)
		slices.SortFunc(out, func(a, b priceline.Charge) int {
			return strings.Compare(a.HospitalID+a.Payer+a.NegotiatedAlgorithm, b.HospitalID+b.Payer+b.NegotiatedAlgorithm)
		})
		return out
	})
}

// randomLetters is n random ASCII letters: text that compresses poorly.
func randomLetters(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + mathrand.IntN(26))
	}
	return string(b)
}

// A damaged page (not deflate, inflating far past a page's size, a count
// out of range, or more values than its count) is a corrupt_page error for
// that read, never a crash or an allocation the page did not pay for.
func TestPrices_DamagedPageIsAnErrorNotACrash(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Damaged Pages", "2026-01-01")
	importGen(t, s, h, "20260101-aaaa", testCharge(h, "99213", "CPT", "Acme", 100))
	var bomb bytes.Buffer
	zw, _ := flate.NewWriter(&bomb, flate.BestCompression)
	zw.Write(make([]byte, 8*maxPageBytes))
	zw.Close()
	deflate := func(write func(w io.Writer)) []byte {
		var b bytes.Buffer
		zw, _ := flate.NewWriter(&b, flate.BestCompression)
		write(zw)
		zw.Close()
		return b.Bytes()
	}
	// 300,000 empty charges in one slice: ~1 KB deflated, ~200 MB decoded.
	slice := deflate(func(w io.Writer) { gob.NewEncoder(w).Encode(make([]storedCharge, 300_000)) })
	// The same as separate values, under a page that says it holds one.
	values := deflate(func(w io.Writer) {
		enc := gob.NewEncoder(w)
		for range 10_000 {
			enc.Encode(&storedCharge{})
		}
	})
	one := deflate(func(w io.Writer) { gob.NewEncoder(w).Encode(&storedCharge{Payer: "x"}) })
	pk := procedureKey(priceline.Code{Code: "99213", Type: "CPT"})
	for _, tc := range []struct {
		name    string
		n       int
		payload []byte
	}{
		{"not deflate", 1, []byte("plain bytes")}, {"zeros", 1, bomb.Bytes()}, {"one huge slice", 1, slice},
		{"more values than N", 1, values}, {"N zero", 0, one}, {"N past a page", 101, values}, {"N past its values", 2, one},
	} {
		e, _ := json.Marshal(entity{"PartitionKey": chargeBucket(pk), "RowKey": pk + "." + h.ID + ".20260101-aaaa." + strings.Repeat("cd", 16), pageCountProp: tc.n,
			"C0": base64.StdEncoding.EncodeToString(tc.payload), "C0@odata.type": "Edm.Binary"})
		if _, err := s.charges.UpsertEntity(ctx, e, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := s.ChargesFor(ctx, priceline.Code{Code: "99213", Type: "CPT"})
		runtime.ReadMemStats(&after)
		if priceline.ErrorCode(err) != "corrupt_page" || priceline.ErrorKind(err) != priceline.KindInternal {
			t.Errorf("%s: ChargesFor error = %v, want internal corrupt_page", tc.name, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Errorf("%s: reading a damaged page allocated %d MiB", tc.name, grew>>20)
		}
	}
}

// A charge too large for any page is refused before anything is written,
// rather than stored where no read could decode it.
func TestPrices_ChargeTooLargeForAPageIsRefused(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Huge Notes", "2026-01-01")
	if err := s.BeginImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	ok := testCharge(h, "99213", "CPT", "Acme", 100)
	huge := testCharge(h, "99213", "CPT", "Acme", 200)
	huge.GenericNotes = randomLetters(priceline.MaxChargeTextBytes)
	err := pricelinetest.PutCharges(ctx, s, h.ID, "20260101-aaaa", ok.Codes[0], []priceline.Charge{ok, huge})
	if priceline.ErrorCode(err) != "charge_too_large" || priceline.ErrorKind(err) != priceline.KindInvalid {
		t.Fatalf("PutCharges error = %v, want invalid charge_too_large", err)
	}
	if _, err := s.CommitImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	if got := chargesFor(t, s, "99213", "CPT"); len(got) != 0 {
		t.Fatalf("a refused call wrote %d rows", len(got))
	}
}

// Text that JSON escapes sixfold (<, >, &, control characters) is sized by
// its bytes, as the importer sizes it: a row the importer accepts is
// stored and read back, never refused for its escaping.
func TestPrices_EscapedTextIsSizedLikeTheImporterSizesIt(t *testing.T) {
	s := newPriceStore(t)
	h := testHospital("Angle Brackets", "2026-01-01")
	var cs []priceline.Charge
	for i := range 8 {
		c := testCharge(h, "99213", "CPT", fmt.Sprintf("Payer %d", i), 100)
		c.Description = strings.Repeat("<", priceline.MaxChargeTextBytes-200)
		cs = append(cs, c)
	}
	if n := cs[0].TextBytes(); n > priceline.MaxChargeTextBytes {
		t.Fatalf("setup: %d text bytes", n)
	}
	ctx := context.Background()
	if err := s.BeginImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	if err := pricelinetest.PutCharges(ctx, s, h.ID, "20260101-aaaa", cs[0].Codes[0], cs); err != nil {
		t.Fatalf("PutCharges: %v", err)
	}
	if _, err := s.CommitImport(ctx, h, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	if got := chargesFor(t, s, "99213", "CPT"); len(got) != len(cs) || got[0].Description != cs[0].Description {
		t.Fatalf("read back %d rows", len(got))
	}
}
