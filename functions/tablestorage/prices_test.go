package tablestorage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

func newPriceStore(t *testing.T) *PriceStore {
	t.Helper()
	c := newTestClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatalf("EnsureTables: %v", err)
	}
	return c.Prices()
}

func testHospital(name, updated string) priceline.Hospital {
	return priceline.Hospital{
		ID: priceline.HospitalID(name, "123", "CA"), Name: name, LicenseNumber: "123", LicenseState: "CA",
		LastUpdatedOn: updated, Version: "3.0.0", Locations: []string{name}, Addresses: []string{"1 Main St"},
	}
}

func money(cents int64) priceline.Money {
	return priceline.Money{Decimal: fmt.Sprintf("%d.%02d", cents/100, cents%100), Cents: cents, Set: true}
}

func testCharge(h priceline.Hospital, code, typ, payer string, cents int64) priceline.Charge {
	return priceline.Charge{
		HospitalID: h.ID, Description: "Office visit " + code, Codes: []priceline.Code{{Code: code, Type: typ}},
		Setting: "outpatient", Gross: money(cents * 2), DiscountedCash: money(cents), Payer: payer, Plan: "PPO",
		NegotiatedDollar: money(cents - 10), Methodology: "fee schedule",
	}
}

// importGen writes charges as one generation and commits it.
func importGen(t *testing.T, s *PriceStore, h priceline.Hospital, gen string, charges ...priceline.Charge) int {
	t.Helper()
	ctx := context.Background()
	if err := s.BeginImport(ctx, h, gen); err != nil {
		t.Fatalf("BeginImport: %v", err)
	}
	for _, c := range charges {
		if err := pricelinetest.PutCharges(ctx, s, h.ID, gen, c.Codes[0], []priceline.Charge{c}); err != nil {
			t.Fatalf("PutCharges: %v", err)
		}
	}
	n, err := s.CommitImport(ctx, h, gen)
	if err != nil {
		t.Fatalf("CommitImport: %v", err)
	}
	return n
}

func chargesFor(t *testing.T, s *PriceStore, code, typ string) []priceline.Charge {
	t.Helper()
	cs, err := s.ChargesFor(context.Background(), priceline.Code{Code: code, Type: typ})
	if err != nil {
		t.Fatalf("ChargesFor(%s %s): %v", typ, code, err)
	}
	return cs
}

func TestPrices_NewerFileReplacesRowsWithoutMixing(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("West Mercy", "2026-01-01")
	importGen(t, s, h, "20260101-aaaa",
		testCharge(h, "99213", "CPT", "Acme", 10000), testCharge(h, "99213", "CPT", "Beta", 12000),
		testCharge(h, "0450", "RC", "Acme", 5000))
	if got := len(chargesFor(t, s, "99213", "CPT")); got != 2 {
		t.Fatalf("after first import: %d rows, want 2", got)
	}

	h2 := h
	h2.LastUpdatedOn = "2026-02-01"
	gen := "20260201-bbbb"
	if err := s.BeginImport(ctx, h2, gen); err != nil {
		t.Fatal(err)
	}
	newRow := testCharge(h2, "99213", "CPT", "Acme", 11000)
	if err := pricelinetest.PutCharges(ctx, s, h.ID, gen, newRow.Codes[0], []priceline.Charge{newRow}); err != nil {
		t.Fatal(err)
	}
	// Written but not committed: readers still see exactly the old file.
	cs := chargesFor(t, s, "99213", "CPT")
	if len(cs) != 2 || slices.ContainsFunc(cs, func(c priceline.Charge) bool { return c.DiscountedCash.Cents == 11000 }) {
		t.Fatalf("uncommitted rows are visible: %+v", cs)
	}
	deleted, err := s.CommitImport(ctx, h2, gen)
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 3 {
		t.Errorf("deleted %d stale rows, want 3", deleted)
	}
	cs = chargesFor(t, s, "99213", "CPT")
	if len(cs) != 1 || cs[0].DiscountedCash.Cents != 11000 || cs[0].HospitalID != h.ID {
		t.Fatalf("after the newer file: %+v", cs)
	}
	if cs := chargesFor(t, s, "450", "RC"); len(cs) != 0 {
		t.Fatalf("stale revenue-code rows remain: %+v", cs)
	}
	hs, err := s.Hospitals(ctx)
	if err != nil || len(hs) != 1 || hs[0].LastUpdatedOn != "2026-02-01" || hs[0].Name != "West Mercy" || len(hs[0].Addresses) != 1 {
		t.Fatalf("Hospitals = %+v, %v", hs, err)
	}
}

func TestPrices_SameFileTwiceGivesSameRows(t *testing.T) {
	s := newPriceStore(t)
	h := testHospital("Twice General", "2026-01-01")
	rows := []priceline.Charge{testCharge(h, "99213", "CPT", "Acme", 10000), testCharge(h, "99213", "CPT", "Acme", 10000)}
	importGen(t, s, h, "20260101-cccc", rows...)
	first := chargesFor(t, s, "99213", "CPT")
	if n := importGen(t, s, h, "20260101-cccc", rows...); n != 0 {
		t.Errorf("re-import deleted %d rows", n)
	}
	if second := chargesFor(t, s, "99213", "CPT"); len(second) != len(first) || len(first) != 1 {
		t.Fatalf("first %d rows, second %d rows (identical rows collapse to 1)", len(first), len(second))
	}
}

func TestPrices_OlderFileRefused(t *testing.T) {
	s := newPriceStore(t)
	h := testHospital("Newer Only", "2026-03-01")
	importGen(t, s, h, "20260301-dddd", testCharge(h, "99213", "CPT", "Acme", 10000))
	old := h
	old.LastUpdatedOn = "2025-12-31"
	err := s.BeginImport(context.Background(), old, "20251231-eeee")
	if priceline.ErrorCode(err) != "older_file" || !priceline.IsConflict(err) {
		t.Fatalf("BeginImport(older) = %v, want conflict older_file", err)
	}
}

func TestPrices_RevenueCodesMatchWithOrWithoutLeadingZeros(t *testing.T) {
	s := newPriceStore(t)
	h := testHospital("Zeros", "2026-01-01")
	importGen(t, s, h, "20260101-ffff", testCharge(h, "0450", "RC", "Acme", 5000))
	for _, q := range []string{"0450", "450", "00450", " 450 "} {
		cs := chargesFor(t, s, q, "rc")
		if len(cs) != 1 || cs[0].Codes[0].Code != "0450" {
			t.Errorf("RC %q: %+v (the code must be kept as written)", q, cs)
		}
	}
}

func TestPrices_HostileCodesStayInsideTheirKey(t *testing.T) {
	s := newPriceStore(t)
	h := testHospital("Hostile", "2026-01-01")
	weird := []string{"a/b\\c#d?e", "x' or PartitionKey ne '", "ü-ñ", "9921", "99213 ", strings.Repeat("ß/", 400)}
	var rows []priceline.Charge
	for i, code := range weird {
		rows = append(rows, testCharge(h, code, "LOCAL", "Acme", int64(1000+i)))
	}
	importGen(t, s, h, "20260101-abab", rows...)
	var procs []priceline.Procedure
	for _, code := range weird {
		procs = append(procs, priceline.Procedure{Code: code, CodeType: "LOCAL", Description: code + " " + strings.Repeat("word", 300)})
	}
	if err := s.PutProcedures(context.Background(), procs); err != nil {
		t.Fatalf("PutProcedures with hostile codes: %v", err)
	}
	for i, code := range weird {
		cs := chargesFor(t, s, code, "LOCAL")
		if len(cs) != 1 || cs[0].DiscountedCash.Cents != int64(1000+i) {
			t.Errorf("code %q: %+v", code, cs)
		}
	}
	for _, q := range []string{"' or 1 eq 1 or '", "", "\x00", strings.Repeat("x", 10000), "99"} {
		cs := chargesFor(t, s, q, "LOCAL")
		if len(cs) != 0 {
			t.Errorf("code %q matched %d rows", q, len(cs))
		}
	}
}

func TestPrices_LongTextIsStoredWhole(t *testing.T) {
	s := newPriceStore(t)
	h := testHospital("Long Notes", "2026-01-01")
	c := testCharge(h, "J1234", "HCPCS", "Acme", 700)
	c.GenericNotes = strings.Repeat("ä note ", 8000) // 64 KB, just under MaxChargeTextBytes
	importGen(t, s, h, "20260101-1234", c)
	cs := chargesFor(t, s, "j1234", "hcpcs")
	if len(cs) != 1 || cs[0].GenericNotes != c.GenericNotes {
		t.Fatalf("long notes did not round-trip (%d rows)", len(cs))
	}
}

func TestPrices_BatchOf100IsOneWrite(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Batch", "2026-01-01")
	var rows []priceline.Charge
	for i := range priceline.MaxChargeBatch {
		rows = append(rows, testCharge(h, "99214", "CPT", fmt.Sprintf("Payer %d", i), 5000))
	}
	if err := pricelinetest.PutCharges(ctx, s, h.ID, "20260101-9999", rows[0].Codes[0], rows); err != nil {
		t.Fatal(err)
	}
	if err := pricelinetest.PutCharges(ctx, s, h.ID, "20260101-9999", rows[0].Codes[0], append(rows, rows[0])); priceline.ErrorCode(err) != "invalid_import" {
		t.Fatalf("101 charges: %v", err)
	}
	if _, err := s.CommitImport(ctx, h, "20260101-9999"); err != nil {
		t.Fatal(err)
	}
	if n := len(chargesFor(t, s, "99214", "CPT")); n != 100 {
		t.Fatalf("%d rows, want 100", n)
	}
}

func TestPrices_ProceduresByCodePrefixAndWords(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	err := s.PutProcedures(ctx, []priceline.Procedure{
		{Code: "99213", CodeType: "CPT", Description: "Office or outpatient visit, established patient"},
		{Code: "99214", CodeType: "CPT", Description: "Office visit, established patient, moderate"},
		{Code: "0450", CodeType: "RC", Description: "Emergency room"},
		{Code: "470", CodeType: "MS-DRG", Description: "Major joint replacement of lower extremity"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"9921":                 {"CPT 99213", "CPT 99214"},
		"99214":                {"CPT 99214"},
		"045":                  {"RC 0450"},
		"45":                   {"RC 0450"},
		"office est":           {"CPT 99213", "CPT 99214"},
		"emergency":            {"RC 0450"},
		"JOINT repl":           {"MS-DRG 470"},
		"office moderate":      {"CPT 99214"},
		"' or RowKey ne '":     nil,
		"\u202e\u0000":         nil,
		strings.Repeat("a", 5): nil,
	} {
		if got := pricelinetest.ProcedureCodes(t, s, q, 10); !slices.Equal(got, want) {
			t.Errorf("Procedures(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestSaved_LimitHoldsUnderConcurrentSaves(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	s := c.Saved()
	user := priceline.NewUserID()
	errs := make(chan error, priceline.MaxSavedEstimates+5)
	var wg sync.WaitGroup
	for i := range priceline.MaxSavedEstimates + 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.SaveEstimate(ctx, &priceline.SavedEstimate{ID: priceline.NewToken(16), UserID: user, Code: fmt.Sprint(99200 + i),
				CodeType: "CPT", Label: "visit", CreatedAt: time.Now()})
		}()
	}
	wg.Wait()
	close(errs)
	full := 0
	for err := range errs {
		switch {
		case err == nil:
		case priceline.ErrorCode(err) == "saved_limit":
			full++
		default:
			t.Fatalf("save: %v", err)
		}
	}
	list, err := s.SavedEstimates(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != priceline.MaxSavedEstimates || full != 5 {
		t.Fatalf("%d saved, %d refused; want %d and 5", len(list), full, priceline.MaxSavedEstimates)
	}
	if err := s.DeleteSavedEstimate(ctx, user, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSavedEstimate(ctx, user, list[0].ID); !priceline.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	// Another user's ID never deletes this user's estimate.
	if err := s.DeleteSavedEstimate(ctx, priceline.NewUserID(), list[1].ID); !priceline.IsNotFound(err) {
		t.Fatalf("other user's delete: %v", err)
	}
	if err := s.SaveEstimate(ctx, &priceline.SavedEstimate{ID: priceline.NewToken(16), UserID: user, Code: "1", CodeType: "CPT", CreatedAt: time.Now()}); err != nil {
		t.Fatalf("save into the freed slot: %v", err)
	}
}

// A delete that was listed before a concurrent delete freed the slot and a
// save reused it must not remove the new estimate.
func TestSaved_StaleDeleteDoesNotRemoveTheEstimateThatReusedTheSlot(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	s := c.Saved()
	user := priceline.NewUserID()
	x := &priceline.SavedEstimate{ID: priceline.NewToken(16), UserID: user, Code: "70551", CodeType: "CPT", CreatedAt: time.Now()}
	if err := s.SaveEstimate(ctx, x); err != nil {
		t.Fatal(err)
	}
	listed, err := s.list(ctx, user) // what the second, stale delete saw
	if err != nil || len(listed) != 1 {
		t.Fatalf("list: %v %v", listed, err)
	}
	if err := s.DeleteSavedEstimate(ctx, user, x.ID); err != nil {
		t.Fatal(err)
	}
	y := &priceline.SavedEstimate{ID: priceline.NewToken(16), UserID: user, Code: "99213", CodeType: "CPT", CreatedAt: time.Now()}
	if err := s.SaveEstimate(ctx, y); err != nil {
		t.Fatal(err)
	}
	notFound := priceline.Errorf(priceline.KindNotFound, "saved_not_found", "gone")
	if err := s.deleteSlot(ctx, listed[0], notFound); !priceline.IsNotFound(err) {
		t.Fatalf("stale delete: %v, want not found", err)
	}
	left, err := s.SavedEstimates(ctx, user)
	if err != nil || len(left) != 1 || left[0].ID != y.ID {
		t.Fatalf("the new estimate was removed: %v %v", left, err)
	}
}
