package pricelinetest

import (
	"context"
	"fmt"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// smallProcedures returns n procedures of perCode charges each, as groups,
// the shape of a real tall file (a handful of payers per code): codes
// first, first+1, …, each charge named by payer and generation.
func smallProcedures(first, n, perCode int, payerPrefix string) []priceline.ChargeGroup {
	var gs []priceline.ChargeGroup
	for i := range n {
		code := priceline.Code{Code: fmt.Sprint(first + i), Type: "CPT"}
		g := priceline.ChargeGroup{Code: code}
		for p := range perCode {
			g.Charges = append(g.Charges, charge(code, fmt.Sprintf("%s %d", payerPrefix, p), int64(100*(i+1)+p)))
		}
		gs = append(gs, g)
	}
	return gs
}

// putGroups writes gs under gen in one call.
func putGroups(t *testing.T, s priceline.PriceStore, h priceline.Hospital, gen string, gs []priceline.ChargeGroup) {
	t.Helper()
	if err := s.PutChargeGroups(context.Background(), h.ID, gen, gs); err != nil {
		t.Fatalf("PutChargeGroups(%s, %d groups): %v", gen, len(gs), err)
	}
}

// wantGroups checks that every group's procedure reads back exactly the
// group's charges (of hospital h), and every code of gone none at all.
// Every step-th group is checked, so that a large case stays quick on a
// real store.
func wantGroups(t *testing.T, s priceline.PriceStore, h priceline.Hospital, gs, gone []priceline.ChargeGroup, step int) {
	t.Helper()
	for i := 0; i < len(gs); i += step {
		wantCharges(t, s, gs[i].Code, withHospital(h.ID, gs[i].Charges...))
	}
	for i := 0; i < len(gone); i += step {
		wantCharges(t, s, gone[i].Code, nil)
	}
}

// testChargeGroups is the PutChargeGroups part of the PriceStore contract:
// a call carries many small procedures, more than a store's partitions or
// buckets, and the generations work as they do for PutCharges.
func testChargeGroups(t *testing.T, newStore func(t *testing.T) priceline.PriceStore) {
	ctx := context.Background()

	t.Run("GroupsOfManySmallProcedures", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Grouped", "2026-01-01")
		gs := smallProcedures(10000, 300, 3, "Payer")
		big := priceline.ChargeGroup{Code: cpt}
		for p := range priceline.MaxChargeBatch {
			big.Charges = append(big.Charges, charge(cpt, fmt.Sprintf("Big %d", p), int64(p)))
		}
		// A second group of one procedure in the same call adds to it,
		// as a second PutCharges would.
		more := priceline.ChargeGroup{Code: gs[0].Code, Charges: []priceline.Charge{charge(gs[0].Code, "More", 1)}}
		all := append(append([]priceline.ChargeGroup{big}, gs...), more)
		if err := s.BeginImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		putGroups(t, s, h, "g1", all)
		wantCharges(t, s, gs[0].Code, nil) // not before the commit
		if n, err := s.CommitImport(ctx, h, "g1"); err != nil || n != 0 {
			t.Fatalf("CommitImport = %d, %v; want 0, nil", n, err)
		}
		wantCharges(t, s, cpt, withHospital(h.ID, big.Charges...))
		wantCharges(t, s, gs[0].Code, withHospital(h.ID, append(gs[0].Charges, more.Charges...)...))
		wantGroups(t, s, h, gs[1:], nil, 13)
		// Writing the same groups again changes nothing.
		putGroups(t, s, h, "g1", gs[1:])
		wantGroups(t, s, h, gs[1:], nil, 29)
	})

	t.Run("GroupReimportLeavesNoneOfTheOldRows", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Regrouped", "2026-01-01")
		first := smallProcedures(20000, 150, 2, "Old")
		if err := s.BeginImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		putGroups(t, s, h, "g1", first[:70])
		putGroups(t, s, h, "g1", first[70:])
		if _, err := s.CommitImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		h2 := h
		h2.LastUpdatedOn = "2026-02-01"
		second := smallProcedures(20050, 150, 2, "New")
		if err := s.BeginImport(ctx, h2, "g2"); err != nil {
			t.Fatal(err)
		}
		putGroups(t, s, h2, "g2", second)
		wantGroups(t, s, h, first, nil, 11) // the old file, whole, until the commit
		n, err := s.CommitImport(ctx, h2, "g2")
		if err != nil || n != 300 {
			t.Fatalf("CommitImport = %d, %v; want the old file's 300 rows deleted", n, err)
		}
		wantGroups(t, s, h, second, first[:50], 7)
	})

	t.Run("FailedGroupImportLeavesNothingVisible", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Half Done", "2026-01-01")
		live := smallProcedures(30000, 20, 2, "Live")
		if err := s.BeginImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		putGroups(t, s, h, "g1", live)
		if _, err := s.CommitImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		// An import that dies after writing part of its file.
		crashed := smallProcedures(30000, 40, 2, "Crashed")
		putGroups(t, s, h, "g2", crashed)
		wantGroups(t, s, h, live, crashed[20:], 3)
		// A call with one invalid group is refused whole.
		huge := charge(cpt, "Huge", 1)
		huge.GenericNotes = string(make([]byte, priceline.MaxChargeTextBytes))
		refused := append(smallProcedures(30000, 40, 1, "Refused"), priceline.ChargeGroup{Code: cpt, Charges: []priceline.Charge{huge}})
		wantKind(t, s.PutChargeGroups(ctx, h.ID, "g3", refused), priceline.KindInvalid, "charge_too_large")
		n, err := s.CommitImport(ctx, h, "g3")
		if err != nil || n != 40 {
			t.Fatalf("CommitImport(g3) = %d, %v; want the 40 rows of g1 deleted and the young g2 kept", n, err)
		}
		wantGroups(t, s, h, nil, append(refused, crashed...), 3)
	})

	t.Run("GroupWithoutCodeRefused", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Codeless", "2026-01-01")
		valid := smallProcedures(50000, 5, 1, "Valid")
		if err := s.BeginImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		// A blank code or type would file the charges under a key that
		// no read of a procedure reaches; the call is refused whole.
		for _, code := range []priceline.Code{{}, {Code: " ", Type: "CPT"}, {Code: "99213", Type: "\t"}, {Code: "", Type: "HCPCS"}} {
			bad := priceline.ChargeGroup{Code: code, Charges: []priceline.Charge{charge(code, "Blank", 1)}}
			wantKind(t, s.PutChargeGroups(ctx, h.ID, "g1", append(valid, bad)), priceline.KindInvalid, "invalid_import")
		}
		if _, err := s.CommitImport(ctx, h, "g1"); err != nil {
			t.Fatal(err)
		}
		wantGroups(t, s, h, nil, valid, 1)
	})

	t.Run("OlderGroupImportCannotCommitOverANewerOne", func(t *testing.T) {
		s := newStore(t)
		older, newer := hospital("Racing", "2026-01-01"), hospital("Racing", "2026-02-01")
		for _, x := range []struct {
			h   priceline.Hospital
			gen string
		}{{older, "ga"}, {newer, "gb"}} {
			if err := s.BeginImport(ctx, x.h, x.gen); err != nil {
				t.Fatal(err)
			}
		}
		a, b := smallProcedures(40000, 30, 2, "Older"), smallProcedures(40010, 30, 2, "Newer")
		putGroups(t, s, older, "ga", a)
		putGroups(t, s, newer, "gb", b)
		if _, err := s.CommitImport(ctx, newer, "gb"); err != nil {
			t.Fatal(err)
		}
		_, err := s.CommitImport(ctx, older, "ga")
		wantKind(t, err, priceline.KindConflict, "older_file")
		wantGroups(t, s, newer, b, a[:10], 3)
	})
}
