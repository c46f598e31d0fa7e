package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
)

// faultFile reads one of mrf's salvage fault files.
func faultFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "mrf", "testdata", "salvage", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestImport_SalvageFaultsCostNoRows imports each fault file into the
// in-memory store: every row that carries a code and a price is imported.
func TestImport_SalvageFaultsCostNoRows(t *testing.T) {
	for _, tc := range []struct {
		file                         string
		imported, rejected, salvaged int
		rule                         string // a rule the summary must count
	}{
		{"wide-incomplete-payers.csv", 3, 0, 0, mrf.RuleSalvagePayerColumns},
		{"header-faults.csv", 2, 0, 0, mrf.RuleSalvagePlaceholder},
		{"cr-line-endings.csv", 2, 0, 0, mrf.RuleSalvageLineEndings},
		{"v2-rules.csv", 2, 0, 0, ""},                   // v3.0 and v2.2 rules do not apply to v2.0
		{"money.csv", 3, 1, 3, mrf.RuleSalvageCellRead}, // "Only N/A" has no price left
		{"windows-1252.csv", 1, 0, 0, mrf.RuleSalvageTranscoded},
		{"ragged.csv", 4, 0, 0, mrf.RuleSalvageRagged},
		{"date-m-d-yyyy.csv", 1, 0, 0, ""},
		{"date-mm-dd-yyyy.csv", 1, 0, 0, ""},
		{"date-iso.csv", 1, 0, 0, ""},
		{"date-slashes-iso.csv", 1, 0, 0, mrf.RuleSalvageDate},
	} {
		t.Run(tc.file, func(t *testing.T) {
			svc := &Service{Store: memstore.NewPrices()}
			sum, err := importBytes(t, svc, faultFile(t, tc.file), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if sum.RowsImported != tc.imported || sum.RowsRejected != tc.rejected || sum.RowsSalvaged != tc.salvaged {
				t.Errorf("imported %d rejected %d salvaged %d, want %d %d %d; by rule %v", sum.RowsImported, sum.RowsRejected, sum.RowsSalvaged,
					tc.imported, tc.rejected, tc.salvaged, sum.ByRule)
			}
			if sum.RowsRead != sum.RowsImported+sum.RowsRejected {
				t.Errorf("rows read %d ≠ imported + rejected", sum.RowsRead)
			}
			if tc.rule != "" && sum.ByRule[tc.rule] == (RuleCount{}) {
				t.Errorf("rule %s not counted: %v", tc.rule, sum.ByRule)
			}
		})
	}
}

func TestImport_IncompletePayerColumnsAreStoredAsAllPlans(t *testing.T) {
	store := memstore.NewPrices()
	svc := &Service{Store: store}
	if _, err := importBytes(t, svc, faultFile(t, "wide-incomplete-payers.csv"), "wide.csv"); err != nil {
		t.Fatal(err)
	}
	cs, err := store.ChargesFor(context.Background(), priceline.Code{Code: "99213", Type: "CPT"})
	if err != nil {
		t.Fatal(err)
	}
	plans := map[string]string{}
	for _, c := range cs {
		plans[c.Payer] = c.Plan + " " + c.NegotiatedDollar.Decimal
	}
	if plans["MEDICARE"] != mrf.AllPlans+" 80" || plans["AETNA"] != mrf.AllPlans+" 100" || plans["Cigna"] != "PPO 120" {
		t.Fatalf("payers and plans: %v", plans)
	}
}

// TestImport_SalvageRefusesOnlyUnreadableFiles: not comma-separated, tall
// and wide mixed, no hospital name, no CMS header rows (a real chargemaster
// published before CMS's template) are refused with nothing written.
func TestImport_SalvageRefusesOnlyUnreadableFiles(t *testing.T) {
	store := memstore.NewPrices()
	svc := &Service{Store: store}
	files := map[string][]byte{}
	for _, name := range []string{"refused-tab.csv", "refused-mixed.csv", "refused-no-name.csv"} {
		files[name] = faultFile(t, name)
	}
	if cdm, err := os.ReadFile(realCDMPath); err == nil {
		files["real-cdm.csv"] = cdm
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("real CDM: %v", err)
	} else {
		t.Logf("real CDM missing (%v): that case is not run", err)
	}
	for name, data := range files {
		if _, err := importBytes(t, svc, data, name); priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	if hs, err := store.Hospitals(context.Background()); err != nil || len(hs) != 0 {
		t.Fatalf("hospitals after refused files: %v %v", hs, err)
	}
}
