package payers

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedData is the project's shared test data, beside the repository
// root (see the repository README).
const sharedData = "../../../shared/data"

// readShared reads a file of the shared data, failing under CI=true and
// skipping loudly elsewhere when the folder is absent.
func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedData, rel))
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s is missing", rel)
		}
		t.Skipf("SKIPPED, NOT VERIFIED: shared data %s is missing", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The payer columns of a real Alabama chargemaster (real-cdm/SOURCES.md):
// every one must have an expectation here, so that a new column is looked at.
func TestNormalizeRealChargemasterPayers(t *testing.T) {
	want := map[string][2]string{
		"BCBS of AL":         {"Blue Cross Blue Shield of Alabama", ""},
		"Cigna ":             {"Cigna", ""},
		"Cigna Medicare Adv": {"Cigna", "Medicare Advantage"},
		"Simpra Advantage Inc MCR Adv (Plan: All)": {"Simpra Advantage", "Medicare Advantage"},
		"Tricare ":          {"Tricare", ""},
		"United Healthcare": {"UnitedHealthcare", ""},
		"VIVA":              {"VIVA", ""}, // a local Medicare Advantage plan: unknown to the table, kept
	}
	b := readShared(t, "real-cdm/Community_Hospital_Machine_Readable_Standard_Charges_12_2020.csv")
	header, err := csv.NewReader(strings.NewReader(string(b))).Read()
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "Payer Negotiated Charge: "
	var seen int
	for _, col := range header {
		raw, ok := strings.CutPrefix(col, prefix)
		if !ok {
			continue
		}
		seen++
		w, ok := want[raw]
		if !ok {
			t.Errorf("payer column %q has no expectation in this test", raw)
			continue
		}
		if payer, plan := Normalize(raw, ""); payer != w[0] || plan != w[1] {
			t.Errorf("Normalize(%q) = %q, %q; want %q, %q", raw, payer, plan, w[0], w[1])
		}
	}
	if seen != len(want) {
		t.Errorf("found %d payer columns, want %d", seen, len(want))
	}
}

// The CMS example files spell their two fictional payers with spaces (v3,
// tall v2) and underscores (wide v2 headers): each must come out as one
// payer with one plan.
func TestNormalizeCMSExamplePayers(t *testing.T) {
	var d Directory
	for _, f := range []string{"V2.0.0_Wide_CSV_Format_Example.csv", "V3.0.0_Wide_CSV_Format_Example.csv"} {
		rows, err := csv.NewReader(strings.NewReader(string(readShared(t, "cms-examples/"+f)))).ReadAll()
		if err != nil {
			t.Fatal(f, err)
		}
		for _, h := range rows[2] {
			parts := strings.Split(h, "|")
			if len(parts) == 4 && parts[0] == "standard_charge" {
				d.Add(parts[1], parts[2])
			}
		}
	}
	for _, f := range []string{"V2.0.0_Tall_CSV_Format_Example.csv", "V3.0.0_Tall_CSV_Format_Example.csv"} {
		r := csv.NewReader(strings.NewReader(string(readShared(t, "cms-examples/"+f))))
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(f, err)
		}
		payerCol, planCol := slices.Index(rows[2], "payer_name"), slices.Index(rows[2], "plan_name")
		for _, row := range rows[3:] {
			d.Add(row[payerCol], row[planCol])
		}
	}
	for _, f := range []string{"V2.0.0_JSON_Format_Example.json", "v3_json_format_example.json"} {
		var doc struct {
			StandardChargeInformation []struct {
				StandardCharges []struct {
					PayersInformation []struct {
						PayerName string `json:"payer_name"`
						PlanName  string `json:"plan_name"`
					} `json:"payers_information"`
				} `json:"standard_charges"`
			} `json:"standard_charge_information"`
		}
		if err := json.Unmarshal(readShared(t, "cms-examples/"+f), &doc); err != nil {
			t.Fatal(f, err)
		}
		for _, sci := range doc.StandardChargeInformation {
			for _, sc := range sci.StandardCharges {
				for _, p := range sc.PayersInformation {
					d.Add(p.PayerName, p.PlanName)
				}
			}
		}
	}
	want := []Payer{
		{Name: "Platform Health Insurance", Plans: []Plan{{Name: "PPO", RawNames: []string{"PPO"}}},
			RawNames: []string{"Platform Health Insurance", "Platform_Health_Insurance"}},
		{Name: "Region Health Insurance", Plans: []Plan{{Name: "HMO", RawNames: []string{"HMO"}}},
			RawNames: []string{"Region Health Insurance", "Region_Health_Insurance"}},
	}
	if diff := diffPayers(want, d.Payers()); diff != "" {
		t.Errorf("directory of the CMS examples mismatch:\n%s", diff)
	}
}
