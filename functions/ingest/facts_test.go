package ingest

import (
	"context"
	"strings"
	"testing"

	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
)

// The import's counts and the file's attestation are stored with the
// hospital at commit, so /api/hospitals can show how far to trust it.
func TestImport_FactsStoredWithHospital(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"attests", "", "", "true"},
		{"does not attest", ",true,Test Attester", ",false,Test Attester", "false"},
		{"no answer", ",true,Test Attester", ",,Test Attester", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(t)
			data := string(generated(t, mrf.FormatCSVTall, 10, 3))
			lines := strings.Split(data, "\n")
			if tc.from != "" {
				if !strings.Contains(lines[1], tc.from) {
					t.Fatalf("row 2 has no %q: %s", tc.from, lines[1])
				}
				lines[1] = strings.Replace(lines[1], tc.from, tc.to, 1)
			}
			// Line 5 is the second data row: break its setting (salvaged).
			lines[4] = strings.Replace(lines[4], ",outpatient,", ",sideways,", 1)
			sum, err := importBytes(t, &Service{Store: store}, []byte(strings.Join(lines, "\n")), "facts.csv")
			if err != nil {
				t.Fatal(err)
			}
			hs, err := store.Hospitals(context.Background())
			if err != nil || len(hs) != 1 {
				t.Fatalf("Hospitals = %v, %v", hs, err)
			}
			want := priceline.ImportFacts{Attests: tc.want, RowsRead: 10, RowsImported: 10, RowsSalvaged: 1, CellsDropped: 1}
			if hs[0].Facts != want || sum.Hospital.Facts != want {
				t.Fatalf("facts stored %+v, summary %+v; want %+v", hs[0].Facts, sum.Hospital.Facts, want)
			}
		})
	}
}
