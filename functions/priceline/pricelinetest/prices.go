package pricelinetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"hospitalpriceline/functions/priceline"
)

func hospital(name, updated string) priceline.Hospital {
	return priceline.Hospital{
		ID: priceline.HospitalID(name, "LIC-1", "CA"), Name: name, Locations: []string{name + " Main"},
		Addresses: []string{"1 Main St, Springfield, CA"}, LicenseNumber: "LIC-1", LicenseState: "CA",
		LastUpdatedOn: updated, Version: "3.0.0",
		// The import facts travel with the hospital through CommitImport.
		Facts: priceline.ImportFacts{Attests: "false", RowsRead: 2_500_000_000, RowsImported: 2_499_999_990, RowsRejected: 10, RowsSalvaged: 3, CellsDropped: 4},
	}
}

func money(d string, cents int64) priceline.Money {
	return priceline.Money{Decimal: d, Cents: cents, Set: true}
}

// charge is a charge of code with a distinguishing payer.
func charge(code priceline.Code, payer string, cents int64) priceline.Charge {
	return priceline.Charge{
		Description: "Office visit, established patient", Codes: []priceline.Code{code}, Setting: "outpatient",
		Modifiers: []string{"25"}, Gross: money(fmt.Sprintf("%d.00", cents/100), cents), DiscountedCash: money("80", 8000),
		Payer: payer, Plan: "PPO", NegotiatedDollar: money("55.5", 5550), Methodology: "fee schedule",
		PayerNotes: "notes", Median: money("61.25", 6125), P10: money("40", 4000), P90: money("90.125", 9013),
		Count: "1 through 10",
	}
}

var cpt = priceline.Code{Code: "99213", Type: "CPT"}

// sortCharges orders charges for comparison: the store returns them in no
// particular order.
func sortCharges(cs []priceline.Charge) []priceline.Charge {
	slices.SortFunc(cs, func(a, b priceline.Charge) int {
		return cmp.Or(cmp.Compare(a.HospitalID, b.HospitalID), cmp.Compare(a.Payer, b.Payer), cmp.Compare(a.Gross.Cents, b.Gross.Cents))
	})
	return cs
}

func withHospital(id string, cs ...priceline.Charge) []priceline.Charge {
	out := slices.Clone(cs)
	for i := range out {
		out[i].HospitalID = id
	}
	return out
}

// importFile runs one import of h under gen: charges filed under code,
// committed when commit is true.
func importFile(t *testing.T, s priceline.PriceStore, h priceline.Hospital, gen string, code priceline.Code, commit bool, cs ...priceline.Charge) int {
	t.Helper()
	ctx := context.Background()
	if err := s.BeginImport(ctx, h, gen); err != nil {
		t.Fatalf("BeginImport(%s): %v", gen, err)
	}
	if err := PutCharges(ctx, s, h.ID, gen, code, cs); err != nil {
		t.Fatalf("PutCharges(%s): %v", gen, err)
	}
	if !commit {
		return 0
	}
	n, err := s.CommitImport(ctx, h, gen)
	if err != nil {
		t.Fatalf("CommitImport(%s): %v", gen, err)
	}
	return n
}

func wantCharges(t *testing.T, s priceline.PriceStore, code priceline.Code, want []priceline.Charge) {
	t.Helper()
	got, err := s.ChargesFor(context.Background(), code)
	if err != nil {
		t.Fatalf("ChargesFor(%v): %v", code, err)
	}
	if diff := gocmp.Diff(sortCharges(want), sortCharges(got), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ChargesFor(%v) mismatch (-want, +got):\n%s", code, diff)
	}
}

// TestPriceStore runs the PriceStore contract against stores made by
// newStore.
func TestPriceStore(t *testing.T, newStore func(t *testing.T) priceline.PriceStore) {
	ctx := context.Background()

	t.Run("RowsVisibleOnlyOnceCommitted", func(t *testing.T) {
		s := newStore(t)
		h := hospital("St Mary's", "2026-01-15")
		a, b := charge(cpt, "Aetna", 10000), charge(cpt, "Cigna", 12000)
		importFile(t, s, h, "g1", cpt, false, a, b)
		wantCharges(t, s, cpt, nil)
		if hs, err := s.Hospitals(ctx); err != nil || len(hs) != 0 {
			t.Fatalf("Hospitals before commit = %v, %v; want none", hs, err)
		}
		if n, err := s.CommitImport(ctx, h, "g1"); err != nil || n != 0 {
			t.Fatalf("CommitImport = %d, %v; want 0, nil", n, err)
		}
		wantCharges(t, s, cpt, withHospital(h.ID, a, b))
		hs, err := s.Hospitals(ctx)
		if err != nil {
			t.Fatalf("Hospitals: %v", err)
		}
		if diff := gocmp.Diff([]priceline.Hospital{h}, hs, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Hospitals mismatch (-want, +got):\n%s", diff)
		}
	})

	t.Run("NewerFileReplacesEveryRowWithoutMixing", func(t *testing.T) {
		s := newStore(t)
		h := hospital("General", "2026-01-01")
		other := priceline.Code{Code: "J1100", Type: "HCPCS"}
		importFile(t, s, h, "g1", cpt, false, charge(cpt, "Aetna", 100), charge(cpt, "Cigna", 200))
		importFile(t, s, h, "g1", other, true, charge(other, "Aetna", 300))
		h2 := h
		h2.LastUpdatedOn, h2.Name = "2026-02-01", "General Hospital"
		newer := charge(cpt, "Humana", 400)
		importFile(t, s, h2, "g2", cpt, false, newer)
		// Until the commit readers see the old file whole.
		wantCharges(t, s, cpt, withHospital(h.ID, charge(cpt, "Aetna", 100), charge(cpt, "Cigna", 200)))
		n, err := s.CommitImport(ctx, h2, "g2")
		if err != nil || n != 3 {
			t.Fatalf("CommitImport = %d, %v; want the 3 rows of the old file deleted", n, err)
		}
		wantCharges(t, s, cpt, withHospital(h.ID, newer))
		wantCharges(t, s, other, nil)
		if hs, err := s.Hospitals(ctx); err != nil || len(hs) != 1 || hs[0].Name != "General Hospital" {
			t.Errorf("Hospitals = %v, %v; want the newer file's details", hs, err)
		}
	})

	t.Run("SameChargesTwiceStoredOnce", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Twice", "2026-01-01")
		a, b := charge(cpt, "Aetna", 100), charge(cpt, "Cigna", 200)
		importFile(t, s, h, "g1", cpt, false, a, b, a)
		importFile(t, s, h, "g1", cpt, true, a, b)
		wantCharges(t, s, cpt, withHospital(h.ID, a, b))
	})

	t.Run("OlderFileRefused", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Older", "2026-02-01")
		importFile(t, s, h, "g1", cpt, true, charge(cpt, "Aetna", 100))
		old := h
		old.LastUpdatedOn = "2026-01-01"
		wantKind(t, s.BeginImport(ctx, old, "g2"), priceline.KindConflict, "older_file")
		_, err := s.CommitImport(ctx, old, "g2")
		wantKind(t, err, priceline.KindConflict, "older_file")
		wantCharges(t, s, cpt, withHospital(h.ID, charge(cpt, "Aetna", 100)))
		// The same date is not older: a corrected file may replace it.
		if err := s.BeginImport(ctx, h, "g3"); err != nil {
			t.Errorf("BeginImport of a file of the same date: %v", err)
		}
	})

	// The interface once said a commit deletes every other generation; the
	// store keeps a younger one, which may be an import still running.
	t.Run("CommitKeepsARunningImportsRows", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Overlap", "2026-01-01")
		importFile(t, s, h, "ga", cpt, true, charge(cpt, "Aetna", 100))
		running := charge(cpt, "Running", 200)
		importFile(t, s, h, "gb", cpt, false, running)
		n := importFile(t, s, h, "gc", cpt, true, charge(cpt, "Cigna", 300))
		if n != 1 {
			t.Errorf("commit of gc deleted %d rows; want the 1 row of ga it replaced", n)
		}
		if _, err := s.CommitImport(ctx, h, "gb"); err != nil {
			t.Fatalf("CommitImport(gb): %v", err)
		}
		wantCharges(t, s, cpt, withHospital(h.ID, running))
	})

	t.Run("HospitalsAreSeparate", func(t *testing.T) {
		s := newStore(t)
		h1, h2 := hospital("North", "2026-01-01"), hospital("South", "2026-01-01")
		importFile(t, s, h1, "g1", cpt, true, charge(cpt, "Aetna", 100))
		importFile(t, s, h2, "g1", cpt, true, charge(cpt, "Aetna", 200))
		wantCharges(t, s, cpt, append(withHospital(h1.ID, charge(cpt, "Aetna", 100)), withHospital(h2.ID, charge(cpt, "Aetna", 200))...))
		hs, err := s.Hospitals(ctx)
		if err != nil || len(hs) != 2 {
			t.Fatalf("Hospitals = %v, %v; want 2", hs, err)
		}
	})

	t.Run("CodesNormalisedForLookup", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Codes", "2026-01-01")
		rc := priceline.Code{Code: "0450", Type: "RC"}
		c := charge(rc, "Aetna", 100)
		importFile(t, s, h, "g1", rc, true, c)
		for _, q := range []priceline.Code{rc, {Code: "450", Type: "rc"}, {Code: " 0450 ", Type: " RC"}} {
			wantCharges(t, s, q, withHospital(h.ID, c))
		}
		for _, q := range []priceline.Code{{Code: "450", Type: "CPT"}, {Code: "04500", Type: "RC"}, {Code: "", Type: "RC"}, {Code: "450", Type: ""}} {
			wantCharges(t, s, q, nil)
		}
	})

	t.Run("HostileCodesStayInsideTheirKey", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Hostile", "2026-01-01")
		var codes []priceline.Code
		for _, v := range hostileStrings() {
			codes = append(codes, priceline.Code{Code: v, Type: "LOCAL"})
		}
		codes = append(codes, priceline.Code{Code: "A", Type: "LOCAL"}, priceline.Code{Code: "AB", Type: "LOCAL"})
		for i, code := range codes {
			importFile(t, s, h, "g1", code, false, charge(code, fmt.Sprintf("payer-%d", i), 100))
		}
		if _, err := s.CommitImport(ctx, h, "g1"); err != nil {
			t.Fatalf("CommitImport: %v", err)
		}
		for i, code := range codes {
			if priceline.NormalizeCode(code).Code == "" {
				continue
			}
			wantCharges(t, s, code, withHospital(h.ID, charge(code, fmt.Sprintf("payer-%d", i), 100)))
		}
	})

	t.Run("CompareRowsHoldTheCompareFields", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Compare", "2026-01-01")
		c := charge(cpt, "Aetna", 100)
		c.NegotiatedPercentage, c.NegotiatedAlgorithm, c.Min, c.Max = "62.5", "algo", money("1", 100), money("9", 900)
		// A v3.0.0 row whose rate is an algorithm with no allowed amounts:
		// the count "0" is kept as the file writes it.
		none := charge(cpt, "Bcbs", 100)
		none.NegotiatedDollar, none.NegotiatedAlgorithm, none.Median, none.P10, none.P90, none.Count =
			priceline.Money{}, "algo", priceline.Money{}, priceline.Money{}, priceline.Money{}, "0"
		importFile(t, s, h, "g1", cpt, true, c, none)
		got, err := s.CompareRows(ctx, cpt)
		if err != nil {
			t.Fatalf("CompareRows: %v", err)
		}
		want := []priceline.Charge{{
			HospitalID: h.ID, Gross: c.Gross, DiscountedCash: c.DiscountedCash, Min: c.Min, Max: c.Max, Payer: c.Payer,
			Plan: c.Plan, NegotiatedDollar: c.NegotiatedDollar, NegotiatedPercentage: c.NegotiatedPercentage,
			NegotiatedAlgorithm: c.NegotiatedAlgorithm, Methodology: c.Methodology,
			Median: c.Median, P10: c.P10, P90: c.P90, Count: c.Count,
		}, {
			HospitalID: h.ID, Gross: none.Gross, DiscountedCash: none.DiscountedCash, Payer: none.Payer, Plan: none.Plan,
			NegotiatedAlgorithm: "algo", Methodology: none.Methodology, Count: "0",
		}}
		if diff := gocmp.Diff(want, sortCharges(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("CompareRows mismatch (-want, +got):\n%s", diff)
		}
	})

	t.Run("MalformedImportsRefused", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Malformed", "2026-01-01")
		bad := h
		bad.ID = "not-hex"
		for _, gen := range []string{"", "G1", "g.1", strings.Repeat("a", 65)} {
			wantKind(t, s.BeginImport(ctx, h, gen), priceline.KindInvalid, "invalid_import")
			wantKind(t, PutCharges(ctx, s, h.ID, gen, cpt, []priceline.Charge{charge(cpt, "A", 1)}), priceline.KindInvalid, "invalid_import")
		}
		wantKind(t, s.BeginImport(ctx, bad, "g1"), priceline.KindInvalid, "invalid_import")
		wantKind(t, s.PutChargeGroups(ctx, bad.ID, "g1", []priceline.ChargeGroup{{Code: cpt, Charges: []priceline.Charge{charge(cpt, "A", 1)}}}),
			priceline.KindInvalid, "invalid_import")
		_, err := s.CommitImport(ctx, bad, "g1")
		wantKind(t, err, priceline.KindInvalid, "invalid_import")
		many := make([]priceline.Charge, priceline.MaxChargeBatch+1)
		for i := range many {
			many[i] = charge(cpt, fmt.Sprint(i), 1)
		}
		wantKind(t, PutCharges(ctx, s, h.ID, "g1", cpt, many), priceline.KindInvalid, "invalid_import")
		if err := PutCharges(ctx, s, h.ID, "g1", cpt, many[:priceline.MaxChargeBatch]); err != nil {
			t.Errorf("PutCharges of MaxChargeBatch charges: %v", err)
		}
		huge := charge(cpt, "A", 1)
		huge.Description = strings.Repeat("x", priceline.MaxChargeTextBytes)
		wantKind(t, PutCharges(ctx, s, h.ID, "g1", cpt, []priceline.Charge{huge}), priceline.KindInvalid, "charge_too_large")
		other := priceline.Code{Code: "J1100", Type: "HCPCS"}
		wantKind(t, s.PutChargeGroups(ctx, h.ID, "g1", []priceline.ChargeGroup{{Code: other, Charges: many}}), priceline.KindInvalid, "invalid_import")
	})

	testChargeGroups(t, newStore)

	t.Run("ProceduresByCodePrefixAndWords", func(t *testing.T) {
		s := newStore(t)
		err := s.PutProcedures(ctx, []priceline.Procedure{
			{Code: "99213", CodeType: "CPT", Description: "Office visit, established patient"},
			{Code: "99214", CodeType: "CPT", Description: "Office visit, established patient, moderate"},
			{Code: "0450", CodeType: "RC", Description: "Emergency room"},
			{Code: "J1100", CodeType: "HCPCS", Description: "Dexamethasone sodium phosphate injection"},
			{Code: "", CodeType: "CPT", Description: "No code"},
		})
		if err != nil {
			t.Fatalf("PutProcedures: %v", err)
		}
		for _, tc := range []struct {
			q     string
			limit int
			want  []string
		}{
			{"9921", 10, []string{"CPT 99213", "CPT 99214"}},
			{"99213", 10, []string{"CPT 99213"}},
			{"9921", 1, nil}, // one of the two; checked below
			{"j11", 10, []string{"HCPCS J1100"}},
			{"0450", 10, []string{"RC 0450"}},
			{"450", 10, []string{"RC 0450"}},
			{"000450", 10, []string{"RC 0450"}},
			{"office", 10, []string{"CPT 99213", "CPT 99214"}},
			{"Visit Offi", 10, []string{"CPT 99213", "CPT 99214"}},
			{"moder visit", 10, []string{"CPT 99214"}},
			{"dexa inj", 10, []string{"HCPCS J1100"}},
			{"emergency visit", 10, nil},
			{"nothing", 10, nil},
			{"office", 0, nil},
			{"", 10, nil},
			{"' or 1 eq 1 or ''='", 10, nil},
			{"a/b\\c#d?e", 10, nil},
		} {
			got := ProcedureCodes(t, s, tc.q, tc.limit)
			if tc.q == "9921" && tc.limit == 1 {
				if len(got) != 1 {
					t.Errorf("Procedures(%q, 1) = %v; want one", tc.q, got)
				}
				continue
			}
			if diff := gocmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Procedures(%q, %d) mismatch (-want, +got):\n%s", tc.q, tc.limit, diff)
			}
		}
	})

	t.Run("ProcedureWordsMayComeFromDifferentDescriptions", func(t *testing.T) {
		s := newStore(t)
		err := s.PutProcedures(ctx, []priceline.Procedure{
			{Code: "70450", CodeType: "CPT", Description: "CT head without contrast"},
			{Code: "70450", CodeType: "CPT", Description: "Computed tomography brain"},
			{Code: "70551", CodeType: "CPT", Description: "MRI brain without contrast"},
		})
		if err != nil {
			t.Fatalf("PutProcedures: %v", err)
		}
		ps, err := s.Procedures(ctx, "head brain", 10)
		if err != nil || len(ps) != 1 || ps[0].Code != "70450" {
			t.Fatalf("Procedures(head brain) = %v, %v; want 70450 alone", ps, err)
		}
	})
}

// PutCharges writes one group of charges through PutChargeGroups, for
// tests that fill a store by procedure.
func PutCharges(ctx context.Context, s priceline.PriceStore, hospitalID, gen string, code priceline.Code, charges []priceline.Charge) error {
	return s.PutChargeGroups(ctx, hospitalID, gen, []priceline.ChargeGroup{{Code: code, Charges: charges}})
}

// ProcedureCodes is s.Procedures(q, limit) as sorted "type code" strings,
// for comparing a search's answer with a list.
func ProcedureCodes(t testing.TB, s priceline.PriceStore, q string, limit int) []string {
	t.Helper()
	ps, err := s.Procedures(context.Background(), q, limit)
	if err != nil {
		t.Fatalf("Procedures(%q): %v", q, err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.CodeType+" "+p.Code)
	}
	slices.Sort(out)
	return out
}
