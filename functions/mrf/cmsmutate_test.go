package mrf

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// The mutator makes files with one fault of the kind real hospital files
// have, deterministically from a seed, from CMS's own examples. Each mutant
// is a base (an example, possibly turned into a v2.0 or v2.1 file) plus one
// mutation, plus sometimes a byte-level fault (BOM, CRLF, CR).

// mutant is one generated file.
type mutant struct {
	name string // base and mutation, for people
	data []byte
}

// csvBase is a CSV example as records, with the changes that make it a
// v2.0/v2.1 file.
type csvBase struct {
	name string
	recs [][]string
}

type jsonBase struct {
	name string
	keys []string // top-level keys in file order
	doc  map[string]any
}

// badValues are values real files put where CMS expects something else, and
// some valid ones so conditional rules get exercised both ways.
var badValues = []string{
	"", " ", "abc", "$1,234.50", "1,000", "-5", "0", "0.00", "N/A", "-", "999999999", ".5", "5.", "12.345",
	"other", "Other", "fee schedule", "per diem", "case rate", "percent of total billed charges", "flat rate",
	"inpatient", "INPATIENT", "both", "outpatient", "all", "CPT", "cpt", "CPT4", "NDC", "ms-drgg", "CMG", "MS-LTC-DRG", "RC",
	"UN", "ml", "XX", "1 through 10", "5", "11", "true", "false", "yes", "2024-02-30", "7/1/2024", "July 1 2024",
}

var versionStrings = []string{"2", "2.0", "2.0.0", "2.1.0", "2.2.0", "2.2.1", "1.0.0", "csv_wide", "v2.2.0", "3", "3.0.0", ""}

// readCSVBase reads path as records (the examples are well-formed).
func readCSVBase(path string) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	return cr.ReadAll()
}

func cloneRecs(recs [][]string) [][]string {
	out := make([][]string, len(recs))
	for i, r := range recs {
		out[i] = append([]string(nil), r...)
	}
	return out
}

// dropColumns removes the row-3 columns whose normalised header keep says
// no to, from row 3 and every data row.
func dropColumns(recs [][]string, drop func(h string) bool) [][]string {
	out := cloneRecs(recs)
	var gone []int
	for i, h := range out[2] {
		if drop(normHeader(h)) {
			gone = append(gone, i)
		}
	}
	for r := 2; r < len(out); r++ {
		var kept []string
		for i, v := range out[r] {
			if !containsInt(gone, i) {
				kept = append(kept, v)
			}
		}
		out[r] = kept
	}
	return out
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func setHeaderValue(recs [][]string, name, val string) {
	for i, h := range recs[0] {
		if normHeader(h) == name && i < len(recs[1]) {
			recs[1][i] = val
		}
	}
}

// is22Column reports the columns v2.2.0 added.
func is22Column(h string) bool {
	return h == "modifiers" || h == "drug_unit_of_measurement" || h == "drug_type_of_measurement" ||
		h == "estimated_amount" || strings.HasPrefix(h, "estimated_amount|")
}

// csvBases turns each v2 example into v2.2 (as is), v2.1 and v2.0 files.
func csvBases(paths map[string]string) ([]csvBase, error) {
	var out []csvBase
	for name, p := range paths {
		recs, err := readCSVBase(p)
		if err != nil {
			return nil, err
		}
		out = append(out, csvBase{name, recs})
		if strings.Contains(recs[1][2], "3.0") {
			continue
		}
		v21 := cloneRecs(recs)
		setHeaderValue(v21, "version", "2.1.0")
		out = append(out, csvBase{name + "@2.1-with-2.2-columns", v21})
		v20 := dropColumns(recs, is22Column)
		out = append(out, csvBase{name + "@2.0", v20})
		v20b := cloneRecs(v20)
		setHeaderValue(v20b, "version", "2.1.0")
		out = append(out, csvBase{name + "@2.1", v20b})
	}
	return out, nil
}

// mutateCSV applies one random fault to a copy of b.
func mutateCSV(rng *rand.Rand, b csvBase) mutant {
	recs := cloneRecs(b.recs)
	var what string
	dataRow := func() int {
		if len(recs) <= 3 {
			return -1
		}
		return 3 + rng.IntN(len(recs)-3)
	}
	col := func() int { return rng.IntN(len(recs[2])) }
	switch k := rng.IntN(19); k {
	case 0, 1, 2: // removed value
		r, c := dataRow(), col()
		if r >= 0 && c < len(recs[r]) {
			recs[r][c] = ""
			what = fmt.Sprintf("clear row %d %q", r+1, recs[2][c])
		}
	case 3, 4, 5, 6: // wrong value
		r, c := dataRow(), col()
		v := badValues[rng.IntN(len(badValues))]
		if r >= 0 && c < len(recs[r]) {
			recs[r][c] = v
			what = fmt.Sprintf("row %d %q = %q", r+1, recs[2][c], v)
		}
	case 7: // header value
		c := rng.IntN(len(recs[0]))
		v := badValues[rng.IntN(len(badValues))]
		if c < len(recs[1]) {
			recs[1][c] = v
			what = fmt.Sprintf("row 2 %q = %q", clip(recs[0][c]), v)
		}
	case 8:
		v := versionStrings[rng.IntN(len(versionStrings))]
		setHeaderValue(recs, "version", v)
		what = fmt.Sprintf("version %q", v)
	case 9: // case of headers
		r := rng.IntN(3)
		if r == 1 {
			r = 2
		}
		for i := range recs[r] {
			if rng.IntN(2) == 0 {
				recs[r][i] = strings.ToUpper(recs[r][i])
			}
		}
		what = fmt.Sprintf("upper-case headers in row %d", r+1)
	case 10: // spaces around pipes
		for i := range recs[2] {
			recs[2][i] = strings.ReplaceAll(normHeader(recs[2][i]), "|", " | ")
		}
		what = "spaces around | in row 3"
	case 11: // blank header cells, one or two
		n := 1 + rng.IntN(2)
		for j := 0; j < n; j++ {
			at := rng.IntN(len(recs[2]) + 1)
			fill := ""
			if rng.IntN(2) == 0 {
				fill = "stray"
			}
			insertColumn(recs, at, "", fill)
		}
		what = fmt.Sprintf("%d blank header cell(s)", n)
	case 12:
		insertColumn(recs, rng.IntN(len(recs[2])+1), "internal_cdm_id", "X1")
		what = "extra unknown column"
	case 13:
		c := col()
		insertColumn(recs, rng.IntN(len(recs[2])+1), recs[2][c], "")
		what = fmt.Sprintf("duplicate column %q", recs[2][c])
	case 14:
		c := col()
		h := normHeader(recs[2][c])
		recs = dropColumns(recs, func(x string) bool { return x == h })
		what = fmt.Sprintf("missing column %q", h)
	case 15: // ragged
		r := dataRow()
		if r >= 0 {
			if rng.IntN(2) == 0 {
				recs[r] = recs[r][:rng.IntN(len(recs[r]))+1]
				what = fmt.Sprintf("row %d short", r+1)
			} else {
				recs[r] = append(recs[r], "", "extra")
				what = fmt.Sprintf("row %d long", r+1)
			}
		}
	case 16: // license state
		for i, h := range recs[0] {
			if strings.HasPrefix(normHeader(h), "license_number|") {
				s := []string{"XX", "ca", "Ca", "[state]", ""}[rng.IntN(5)]
				recs[0][i] = "license_number|" + s
				what = fmt.Sprintf("license state %q", s)
			}
		}
	case 17: // a payer row with min, max and methodology but no charge
		r := dataRow()
		if r >= 0 {
			for i, h := range recs[2] {
				n := normHeader(h)
				if strings.HasSuffix(n, "negotiated_dollar") || strings.HasSuffix(n, "negotiated_percentage") || strings.HasSuffix(n, "negotiated_algorithm") {
					if i < len(recs[r]) {
						recs[r][i] = ""
					}
				}
			}
			what = fmt.Sprintf("row %d: payer without negotiated charge", r+1)
		}
	case 18: // header typo or no data
		if rng.IntN(2) == 0 {
			recs = recs[:3]
			what = "no data rows"
		} else {
			c := col()
			recs[2][c] += "x"
			what = fmt.Sprintf("header typo %q", recs[2][c])
		}
	}
	if what == "" {
		what = "unchanged"
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(recs)
	data := buf.Bytes()
	switch rng.IntN(8) {
	case 0:
		data = append([]byte("\xEF\xBB\xBF"), data...)
		what += " +BOM"
	case 1:
		data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		what += " +CRLF"
	}
	return mutant{name: b.name + ": " + what, data: data}
}

func insertColumn(recs [][]string, at int, header, fill string) {
	for r := 2; r < len(recs); r++ {
		v := fill
		if r == 2 {
			v = header
		}
		row := recs[r]
		if at > len(row) {
			continue
		}
		row = append(row, "")
		copy(row[at+1:], row[at:])
		row[at] = v
		recs[r] = row
	}
}

// readJSONBase decodes a JSON example keeping its top-level key order.
func readJSONBase(name, path string) (jsonBase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return jsonBase{}, err
	}
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	jb := jsonBase{name: name}
	if err := json.Unmarshal(b, &jb.doc); err != nil {
		return jb, fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // '{'
		return jb, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return jb, err
		}
		k, _ := t.(string)
		jb.keys = append(jb.keys, k)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jb, err
		}
	}
	return jb, nil
}

// deepCopy copies decoded JSON.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = deepCopy(x)
		}
		return a
	}
	return v
}

// pickNode returns a random object or array inside v, with its path.
func pickNode(rng *rand.Rand, v any, path string) (any, string) {
	for i := 0; i < 6; i++ {
		var next any
		var key string
		switch t := v.(type) {
		case map[string]any:
			if len(t) == 0 {
				return v, path
			}
			keys := sortedKeys(t)
			key = keys[rng.IntN(len(keys))]
			next = t[key]
		case []any:
			if len(t) == 0 {
				return v, path
			}
			j := rng.IntN(len(t))
			key, next = fmt.Sprint(j), t[j]
		}
		switch next.(type) {
		case map[string]any, []any:
			if rng.IntN(3) > 0 {
				v, path = next, path+"/"+key
				continue
			}
		}
		return v, path
	}
	return v, path
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func jsonBadValue(rng *rand.Rand) any {
	switch rng.IntN(4) {
	case 0:
		return []any{nil, true, false, 0.0, -5.0, 100.0, 999999999.0, 0.5}[rng.IntN(8)]
	default:
		return badValues[rng.IntN(len(badValues))]
	}
}

// mutateJSON applies one random fault to a copy of b.
func mutateJSON(rng *rand.Rand, b jsonBase) mutant {
	doc := deepCopy(b.doc).(map[string]any)
	keys := append([]string(nil), b.keys...)
	var what string
	items, _ := doc["standard_charge_information"].([]any)
	switch k := rng.IntN(10); {
	case k < 3 && len(items) > 0: // removed value inside an item
		j := rng.IntN(len(items))
		node, path := pickNode(rng, items[j], fmt.Sprintf("/standard_charge_information/%d", j))
		switch t := node.(type) {
		case map[string]any:
			if ks := sortedKeys(t); len(ks) > 0 {
				key := ks[rng.IntN(len(ks))]
				delete(t, key)
				what = "delete " + path + "/" + key
			}
		case []any:
			if len(t) > 0 {
				what = "empty " + path
				setAt(items[j], path, fmt.Sprintf("/standard_charge_information/%d", j))
			}
		}
	case k < 7 && len(items) > 0: // wrong value inside an item
		j := rng.IntN(len(items))
		node, path := pickNode(rng, items[j], fmt.Sprintf("/standard_charge_information/%d", j))
		v := jsonBadValue(rng)
		switch t := node.(type) {
		case map[string]any:
			if ks := sortedKeys(t); len(ks) > 0 {
				key := ks[rng.IntN(len(ks))]
				t[key] = v
				what = fmt.Sprintf("%s/%s = %#v", path, key, v)
			}
		case []any:
			if len(t) > 0 {
				i := rng.IntN(len(t))
				t[i] = v
				what = fmt.Sprintf("%s/%d = %#v", path, i, v)
			}
		}
	case k == 7: // version
		v := versionStrings[rng.IntN(len(versionStrings))]
		doc["version"] = v
		what = fmt.Sprintf("version %q", v)
	case k == 8: // top-level value
		key := keys[rng.IntN(len(keys))]
		if key == "standard_charge_information" {
			doc[key] = []any{}
			what = "no items"
			break
		}
		switch rng.IntN(3) {
		case 0:
			delete(doc, key)
			what = "delete /" + key
		default:
			node, path := pickNode(rng, doc[key], "/"+key)
			v := jsonBadValue(rng)
			switch t := node.(type) {
			case map[string]any:
				if ks := sortedKeys(t); len(ks) > 0 {
					kk := ks[rng.IntN(len(ks))]
					t[kk] = v
					what = fmt.Sprintf("%s/%s = %#v", path, kk, v)
				}
			case []any:
				if len(t) > 0 {
					t[0] = v
					what = fmt.Sprintf("%s/0 = %#v", path, v)
				}
			default:
				doc[key] = v
				what = fmt.Sprintf("/%s = %#v", key, v)
			}
		}
	default: // a payer without a charge
		if len(items) > 0 {
			j := rng.IntN(len(items))
			item, _ := items[j].(map[string]any)
			scs, _ := item["standard_charges"].([]any)
			for _, sc := range scs {
				m, _ := sc.(map[string]any)
				pis, _ := m["payers_information"].([]any)
				for _, pi := range pis {
					if p, ok := pi.(map[string]any); ok {
						delete(p, "standard_charge_dollar")
						delete(p, "standard_charge_percentage")
						delete(p, "standard_charge_algorithm")
					}
				}
			}
			what = fmt.Sprintf("item %d: payers without a charge", j+1)
		}
	}
	if what == "" {
		what = "unchanged"
	}
	var buf bytes.Buffer
	if rng.IntN(8) == 0 {
		buf.WriteString("\xEF\xBB\xBF")
		what += " +BOM"
	}
	buf.WriteString("{\n")
	first := true
	for _, k := range keys {
		v, ok := doc[k]
		if !ok {
			continue
		}
		if !first {
			buf.WriteString(",\n")
		}
		first = false
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		buf.Write(kb)
		buf.WriteString(": ")
		buf.Write(vb)
	}
	buf.WriteString("\n}\n")
	return mutant{name: b.name + ": " + what, data: buf.Bytes()}
}

// setAt empties the array at path inside root (path is relative to prefix).
func setAt(root any, path, prefix string) {
	parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, prefix), "/"), "/")
	if len(parts) == 0 || parts[0] == "" {
		return
	}
	cur := root
	for i, p := range parts {
		last := i == len(parts)-1
		switch t := cur.(type) {
		case map[string]any:
			if last {
				t[p] = []any{}
				return
			}
			cur = t[p]
		case []any:
			var j int
			fmt.Sscan(p, &j)
			if j >= len(t) {
				return
			}
			if last {
				t[j] = []any{}
				return
			}
			cur = t[j]
		}
	}
}

// writeMutants generates n mutants from seed into dir and returns their
// paths and names, in order.
func writeMutants(dir string, seed uint64, n int, csvs []csvBase, jsons []jsonBase) ([]string, []string, error) {
	var paths, names []string
	total := len(csvs) + len(jsons)
	for i := 0; i < n; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		var m mutant
		ext := ".csv"
		if b := i % total; b < len(csvs) {
			m = mutateCSV(rng, csvs[b])
		} else {
			m = mutateJSON(rng, jsons[b-len(csvs)])
			ext = ".json"
		}
		p := filepath.Join(dir, fmt.Sprintf("mutant-%d-%05d%s", seed, i, ext))
		if err := os.WriteFile(p, m.data, 0o600); err != nil {
			return nil, nil, err
		}
		paths = append(paths, p)
		names = append(names, m.name)
	}
	return paths, names, nil
}
