package ingest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// tallFile is a v3 tall CSV of the sample hospital with rows in place of
// the sample's.
func tallFile(t *testing.T, updated string, rows ...string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/samples/East_Valley_Medical_Center_generated.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 4)
	lines[1] = strings.Replace(lines[1], "4/1/2026", updated, 1)
	return []byte(strings.Join(append(lines[:3], rows...), "\n") + "\n")
}

func TestImport_ServiceIndexByCodeAndDescription(t *testing.T) {
	ctx := context.Background()
	store := memstore.NewPrices()
	svc := &Service{Store: store}
	file := tallFile(t, "4/1/2026",
		"LIPID PANEL,1314112,CDM,,,outpatient,,,120,90,Aetna,PPO,,45,,,,,,,45,45,fee schedule,",
		"LIPID PANEL,1314112,CDM,,,outpatient,,,120,90,Cigna,PPO,,47,,,,,,,45,47,fee schedule,",
		"LIPID PROFILE,80061,CPT,300100,CDM,outpatient,,,150,100,Aetna,PPO,,60,,,,,,,60,60,fee schedule,",
		"GAUZE 4X4,5551212,CDM,,,outpatient,,,3,2,Aetna,PPO,,1.5,,,,,,,1.5,1.5,fee schedule,",
	)
	sum, err := svc.Import(ctx, bytes.NewReader(file), "lipid.csv")
	if err != nil {
		t.Fatalf("Import: %v (%+v)", err, sum)
	}
	rows, err := store.ServiceRows(ctx, "lipid-panel")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]priceline.ServiceRow{}
	for _, r := range rows {
		got[r.By] = r
	}
	if len(rows) != 2 {
		t.Fatalf("ServiceRows = %+v; want one code and one description match", rows)
	}
	if r := got["code"]; r.Code.Code != "80061" || r.Code.Type != "CPT" || r.Description != "LIPID PROFILE" || r.Score != 1 {
		t.Errorf("code match = %+v; want CPT 80061 LIPID PROFILE", r)
	}
	if r := got["description"]; r.Code.Code != "1314112" || r.Code.Type != "CDM" || r.Description != "LIPID PANEL" || r.Score < 0.5 {
		t.Errorf("description match = %+v; want CDM 1314112 LIPID PANEL", r)
	}

	// A newer file replaces the index with the charges.
	file = tallFile(t, "5/1/2026", "BASIC METABOLIC PANEL,80048,CPT,,,outpatient,,,90,70,Aetna,PPO,,30,,,,,,,30,30,fee schedule,")
	if _, err := svc.Import(ctx, bytes.NewReader(file), "newer.csv"); err != nil {
		t.Fatalf("Import newer: %v", err)
	}
	if rows, err := store.ServiceRows(ctx, "lipid-panel"); err != nil || len(rows) != 0 {
		t.Errorf("ServiceRows after a newer file = %+v, %v; want none", rows, err)
	}
}
