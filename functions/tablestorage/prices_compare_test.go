package tablestorage

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

// compareView keeps only the fields CompareRows promises.
func compareView(cs []priceline.Charge) []priceline.Charge {
	out := make([]priceline.Charge, len(cs))
	for i := range cs {
		f := toCompareFields(&cs[i])
		out[i] = f.charge(cs[i].HospitalID)
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
	long.NegotiatedAlgorithm = strings.Repeat("é algorithm text ", 400) // compare fields past maxCompareBytes
	importGen(t, s, a, "20260101-aaaa", testCharge(a, "99213", "CPT", "Acme", 10000), pct)
	importGen(t, s, b, "20260101-bbbb", testCharge(b, "99213", "CPT", "Acme", 9000))

	// An uncommitted generation stays invisible to comparisons too.
	if err := s.PutCharges(ctx, a.ID, "20260201-cccc", priceline.Code{Code: "99213", Type: "CPT"},
		[]priceline.Charge{testCharge(a, "99213", "CPT", "Acme", 1)}); err != nil {
		t.Fatal(err)
	}
	full := chargesFor(t, s, "99213", "CPT")
	got := compareRows(t, s, "99213", "CPT")
	if len(full) != 3 {
		t.Fatalf("ChargesFor: %d rows, want 3", len(full))
	}
	if d := cmp.Diff(compareView(full), got, cmpSortCharges()); d != "" {
		t.Fatalf("CompareRows differs from ChargesFor (-want +got):\n%s", d)
	}
	name := func(id string) string { return id }
	if d := cmp.Diff(priceline.Compare(full, "pct health", "", name), priceline.Compare(got, "pct health", "", name)); d != "" {
		t.Fatalf("comparison differs (-full +projected):\n%s", d)
	}

	// A row too long for the projection makes the read fall back to the
	// full JSON, with the same answer.
	importGen(t, s, b, "20260102-dddd", testCharge(b, "99213", "CPT", "Acme", 9000), long)
	full = chargesFor(t, s, "99213", "CPT")
	got = compareRows(t, s, "99213", "CPT")
	if len(full) != 4 {
		t.Fatalf("ChargesFor: %d rows, want 4", len(full))
	}
	if d := cmp.Diff(compareView(full), got, cmpSortCharges()); d != "" {
		t.Fatalf("fallback CompareRows differs (-want +got):\n%s", d)
	}
}

func TestPrices_CompareRowsReadRowsWrittenWithoutProjection(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Legacy Rows", "2026-01-01")
	c := testCharge(h, "70551", "CPT", "Acme", 50000)
	if err := s.BeginImport(ctx, h, "20260101-eeee"); err != nil {
		t.Fatal(err)
	}
	// A row as an earlier version wrote it: the JSON chunks, no projection.
	body, _, err := chargeEntityJSON(procedureKey(c.Codes[0]), h.ID, "20260101-eeee", &c)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	delete(e, compareProp)
	body, _ = json.Marshal(e)
	if _, err := s.charges.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitImport(ctx, h, "20260101-eeee"); err != nil {
		t.Fatal(err)
	}
	got := compareRows(t, s, "70551", "CPT")
	if d := cmp.Diff(compareView([]priceline.Charge{c}), got); d != "" {
		t.Fatalf("legacy row (-want +got):\n%s", d)
	}
}

func TestPrices_CachedHospitalsSeeAnotherInstancesCommit(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if err := c.EnsurePriceTables(ctx); err != nil {
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
