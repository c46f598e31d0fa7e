package pricelinetest

import (
	"cmp"
	"context"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"hospitalpriceline/functions/priceline"
)

// IndexedPriceStore is a price store that keeps the service index too.
type IndexedPriceStore interface {
	priceline.PriceStore
	priceline.ServiceIndex
}

func wantServiceRows(t *testing.T, s priceline.ServiceIndex, id string, want []priceline.ServiceRow) {
	t.Helper()
	got, err := s.ServiceRows(context.Background(), id)
	if err != nil {
		t.Fatalf("ServiceRows(%s): %v", id, err)
	}
	order := func(rs []priceline.ServiceRow) []priceline.ServiceRow {
		slices.SortFunc(rs, func(a, b priceline.ServiceRow) int {
			return cmp.Or(cmp.Compare(a.HospitalID, b.HospitalID), cmp.Compare(a.Code.Code, b.Code.Code), cmp.Compare(a.Description, b.Description))
		})
		return rs
	}
	if diff := gocmp.Diff(order(want), order(got), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ServiceRows(%s) mismatch (-want, +got):\n%s", id, diff)
	}
}

// TestServiceIndex runs the ServiceIndex contract: index rows follow the
// generations of the charges they point at.
func TestServiceIndex(t *testing.T, newStore func(t *testing.T) IndexedPriceStore) {
	ctx := context.Background()
	cdm := priceline.Code{Code: "1314112", Type: "CDM"}
	byDesc := func(h priceline.Hospital, desc string) priceline.ServiceRow {
		return priceline.ServiceRow{ServiceID: "lipid-panel", HospitalID: h.ID, Code: cdm, Description: desc, By: "description", Score: 0.8}
	}

	t.Run("VisibleOnCommitReplacedByNextFile", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Lakeside", "2026-01-01")
		lipid := priceline.Code{Code: "80061", Type: "CPT"}
		byCode := priceline.ServiceRow{ServiceID: "lipid-panel", HospitalID: h.ID, Code: lipid, Description: "LIPID PROFILE", By: "code", Score: 1}
		other := priceline.ServiceRow{ServiceID: "office-visit", HospitalID: h.ID, Code: cpt, Description: "Office visit", By: "code", Score: 1}
		importFile(t, s, h, "g1", cdm, false, charge(cdm, "Aetna", 100))
		if err := s.PutServiceRows(ctx, h.ID, "g1", []priceline.ServiceRow{byDesc(h, "LIPID PANEL"), byCode, other, byCode}); err != nil {
			t.Fatalf("PutServiceRows: %v", err)
		}
		wantServiceRows(t, s, "lipid-panel", nil)
		if _, err := s.CommitImport(ctx, h, "g1"); err != nil {
			t.Fatalf("CommitImport: %v", err)
		}
		wantServiceRows(t, s, "lipid-panel", []priceline.ServiceRow{byDesc(h, "LIPID PANEL"), byCode})
		wantServiceRows(t, s, "office-visit", []priceline.ServiceRow{other})
		wantServiceRows(t, s, "no-such-service", nil)

		h2 := h
		h2.LastUpdatedOn = "2026-02-01"
		importFile(t, s, h2, "g2", cdm, false, charge(cdm, "Aetna", 200))
		if err := s.PutServiceRows(ctx, h.ID, "g2", []priceline.ServiceRow{byDesc(h, "LIPID PANEL W/ LDL")}); err != nil {
			t.Fatalf("PutServiceRows: %v", err)
		}
		wantServiceRows(t, s, "lipid-panel", []priceline.ServiceRow{byDesc(h, "LIPID PANEL"), byCode})
		n, err := s.CommitImport(ctx, h2, "g2")
		if err != nil || n != 1 {
			t.Fatalf("CommitImport = %d, %v; want the one charge of the old file deleted (index rows are not charges)", n, err)
		}
		wantServiceRows(t, s, "lipid-panel", []priceline.ServiceRow{byDesc(h, "LIPID PANEL W/ LDL")})
		wantServiceRows(t, s, "office-visit", nil)
	})

	t.Run("MalformedRefused", func(t *testing.T) {
		s := newStore(t)
		h := hospital("Lakeside", "2026-01-01")
		for name, call := range map[string]func() error{
			"bad hospital": func() error { return s.PutServiceRows(ctx, "nope", "g1", []priceline.ServiceRow{byDesc(h, "x")}) },
			"bad gen":      func() error { return s.PutServiceRows(ctx, h.ID, "G/1", []priceline.ServiceRow{byDesc(h, "x")}) },
			"no service": func() error {
				return s.PutServiceRows(ctx, h.ID, "g1", []priceline.ServiceRow{{HospitalID: h.ID, Code: cdm}})
			},
		} {
			if err := call(); priceline.ErrorKind(err) != priceline.KindInvalid {
				t.Errorf("%s: err = %v; want KindInvalid", name, err)
			}
		}
	})
}
