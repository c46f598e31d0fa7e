package tablestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// Writing procedures the catalog already holds (a re-import) costs one
// read per code partition and no writes; a new description of a known code
// still gets its word entries, and so does a code entry written before
// entries listed their descriptions.
func TestPrices_CatalogWritesOnlyWhatItLacks(t *testing.T) {
	s, doer := countedPriceStore(t)
	ctx := context.Background()
	var ps []priceline.Procedure
	for i := range 150 {
		ps = append(ps, priceline.Procedure{Code: fmt.Sprint(20000 + i), CodeType: "CPT", Description: fmt.Sprintf("Knee arthroscopy variant %d", i)})
	}
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	before := doer.n.Load()
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if n := doer.n.Load() - before; n != 1 {
		t.Fatalf("re-putting 150 known procedures of one code partition took %d requests, want 1 read", n)
	}
	found := func(q, code string) bool {
		t.Helper()
		got, err := s.Procedures(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got {
			if p.Code == code {
				return true
			}
		}
		return false
	}
	if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "20007", CodeType: "CPT", Description: "Arthroscopic meniscectomy"}}); err != nil {
		t.Fatal(err)
	}
	if !found("meniscectomy", "20007") || !found("arthroscopy variant 7", "20007") {
		t.Fatal("a second description of a known code is not searchable by both descriptions")
	}
	// A code entry as versions before Descs wrote it: its word entries
	// may be missing, so they are written.
	old, _ := json.Marshal(catalogEntity{PartitionKey: codePrefix + "3", RowKey: "30001.CPT", Code: "30001", CodeType: "CPT", Description: "Septoplasty"})
	if _, err := s.catalog.UpsertEntity(ctx, old, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "30001", CodeType: "CPT", Description: "Septoplasty"}}); err != nil {
		t.Fatal(err)
	}
	if !found("septoplasty", "30001") {
		t.Fatal("a code entry without Descs did not get its word entries")
	}
}
