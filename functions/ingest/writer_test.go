package ingest

import (
	"testing"

	"hospitalpriceline/functions/memstore"
)

// The writer hands the store many procedures per call (a store can then put
// a hundred procedures' pages into one request): a flush sends every buffer
// in one PutChargeGroups call, and full batches go fullGroups at a time.
func TestWriter_GroupsProceduresIntoFewStoreCalls(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rows, payer int
		calls       int
	}{
		// 100 procedures of 5 rows, one flush at the end: one call, not 100.
		{"small procedures", 500, 5, 1},
		// 9 full procedures of 100 rows: 8 together, then the last at the flush.
		{"full batches", 900, 100, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.NewPrices()
			svc := &Service{Store: store}
			sum, err := importBytes(t, svc, realisticTall(t, tc.rows, tc.payer), "real.csv")
			if err != nil {
				t.Fatal(err)
			}
			if sum.RowsImported != tc.rows {
				t.Fatalf("imported %d of %d rows", sum.RowsImported, tc.rows)
			}
			if got := store.Calls("PutChargeGroups"); got != tc.calls {
				t.Errorf("PutChargeGroups called %d times, want %d", got, tc.calls)
			}
		})
	}
}
