package mrf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hospitalpriceline/functions/internal/modroot"
)

// readAllJSON reads a file to the end and returns everything it gave, as
// text to compare.
func readAllJSON(data []byte, salvage bool) string {
	var b strings.Builder
	rd, err := OpenWith(bytes.NewReader(data), "f.json", Options{Salvage: salvage})
	if err != nil {
		return "open: " + err.Error()
	}
	for {
		ch, ps, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(&b, "err %v\n", err)
			break
		}
		fmt.Fprintf(&b, "%#v\n%#v\n", ch, ps)
	}
	fmt.Fprintf(&b, "%#v %#v %s %d\n", rd.Hospital(), rd.FileProblems(), rd.AppliedVersion(), rd.Rows())
	return b.String()
}

// rawItemCases are items in shapes the flat reader must read as the tree
// does, or give up on.
var rawItemCases = []string{
	`{"description":"a","code_information":[{"code":"1","type":"CPT"}],"standard_charges":[{"setting":"both","gross_charge":1.5,"payers_information":[{"payer_name":"P","plan_name":"Q","standard_charge_dollar":2,"methodology":"fee schedule"}]}]}`,
	`{"description":"a","description":"b","code_information":[{"code":"1","type":"CPT"}],"standard_charges":[{"setting":"both","gross_charge":1}]}`,
	`{"description":"a\u00e9\"\\ \ud83d\ude00 \ud800","code_information":[{"code":"1","type":"CPT","x":[1,{"y":"]}"}]}],"standard_charges":[{"setting":"both","gross_charge":1e2,"zz":null}]}`,
	`{"description":"","code_information":[],"standard_charges":[]}`,
	`{"description":5,"code_information":{},"standard_charges":[1]}`,
	`{"code_information":[{"code":"","type":""}],"drug_information":{"unit":"1","type":"ML"},"standard_charges":[{"setting":"both","minimum":-1,"maximum":"$1,234.50","modifier_code":["25"," 26 "]}]}`,
	`{"description":"a","code_information":[{"code":"1","type":"CPT"}],"drug_information":{"unit":1,"type":"ML"},"standard_charges":[{"setting":"both","modifier_code":[],"payers_information":[]}]}`,
	`{"description":"a","code_information":[{"code":"1","type":"CPT"}],"drug_information":{},"standard_charges":[{"setting":"both","modifier_code":[" "],"gross_charge":1}]}`,
	`{"description":"a","code_information":[{"code":"1","type":"CPT"}],"standard_charges":[{"setting":"both","payers_information":[{"payer_name":"P","plan_name":"Q","standard_charge_percentage":50,"methodology":"other","count":"0","median_amount":3,"10th_percentile":1,"90th_percentile":5}],"payers_information":[]}]}`,
	`{"standard_charges":[{"setting":"x","gross_charge":1},{"setting":"both","discounted_cash":0,"additional_generic_notes":"n"}],"description":"late","code_information":[{"type":"NDC","code":"1"}]}`,
	`[]`, `"x"`, `null`, `{}`,
}

func rawItemFile(version, item string) []byte {
	head := `{"hospital_name":"H","last_updated_on":"2024-01-01","version":"` + version + `","hospital_address":["a"],"license_information":{"state":"CA","license_number":"1"},`
	if strings.HasPrefix(version, "3") {
		head += `"location_name":["l"],"attestation":{"attestation":"x","confirm_attestation":true,"attester_name":"n"},`
	} else {
		head += `"hospital_location":["l"],"affirmation":{"affirmation":"x","confirm_affirmation":true},`
	}
	return []byte(head + `"standard_charge_information":[` + item + `,` + item + `]}`)
}

// TestRawItemMatchesTree: reading items flat (jsonitem.go) gives the same
// charges, problems and hospital as building each item as a tree, on the
// edge cases above, a generated file, every JSON file of the shared corpus
// and 1,200 JSON mutants of the CMS examples, with and without salvage.
func TestRawItemMatchesTree(t *testing.T) {
	var files [][]byte
	var names []string
	for _, v := range []string{"2.0.0", "2.1.0", "2.2.0", "3.0.0"} {
		for i, it := range rawItemCases {
			files = append(files, rawItemFile(v, it))
			names = append(names, fmt.Sprintf("case %d v%s", i, v))
		}
	}
	var gen bytes.Buffer
	if err := Generate(&gen, FormatJSON, 300, 7); err != nil {
		t.Fatal(err)
	}
	files, names = append(files, gen.Bytes()), append(names, "generated")
	shared := filepath.Join(modroot.ForTest(t), "..", "shared", "data")
	for _, dir := range []string{"hpt-validator-fixtures", "hpt-validator-fixtures/3.0", "cms-examples"} {
		paths, err := filepath.Glob(filepath.Join(shared, dir, "*.json"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no JSON files in %s: %v", dir, err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files, names = append(files, data), append(names, p)
		}
	}
	_, jsons := mutationBases(t, shared)
	dir := t.TempDir()
	paths, mnames, err := writeMutants(dir, 21, 1200, nil, jsons)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files, names = append(files, data), append(names, mnames[i])
	}
	defer func() { rawItemsOff = false }()
	for i, data := range files {
		for _, salvage := range []bool{false, true} {
			rawItemsOff = false
			flat := readAllJSON(data, salvage)
			rawItemsOff = true
			tree := readAllJSON(data, salvage)
			if flat != tree {
				t.Errorf("%s (salvage %v): flat and tree differ\nflat: %.2000s\ntree: %.2000s", names[i], salvage, flat, tree)
			}
		}
	}
}

// FuzzRawItemMatchesTree: for any item, reading it flat gives what the tree
// gives.
func FuzzRawItemMatchesTree(f *testing.F) {
	for _, it := range rawItemCases {
		f.Add("3.0.0", it)
		f.Add("2.2.0", it)
	}
	f.Fuzz(func(t *testing.T, version, item string) {
		data := rawItemFile(version, item)
		defer func() { rawItemsOff = false }()
		for _, salvage := range []bool{false, true} {
			rawItemsOff = false
			flat := readAllJSON(data, salvage)
			rawItemsOff = true
			tree := readAllJSON(data, salvage)
			if flat != tree {
				t.Fatalf("flat and tree differ\nflat: %s\ntree: %s", flat, tree)
			}
		}
	})
}
