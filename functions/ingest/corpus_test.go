package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// sharedData is ../shared/data from the repository root.
var sharedData = filepath.Join("..", "..", "..", "shared", "data")

var realCDMPath = filepath.Join(sharedData, "real-cdm", "Community_Hospital_Machine_Readable_Standard_Charges_12_2020.csv")

// messyFile is one file of the salvage corpus and what a person could use
// in it: the ids (the "#id" the builder appends to each description) of the
// rows that carry a code and a price, with the code to find each under.
type messyFile struct {
	name   string
	data   []byte
	usable map[int]priceline.Code
}

// corpus builds messy files deterministically: the CMS examples and the
// real chargemaster (turned into a v2.0 wide file with one dollar column
// per payer and no plan segment, as hospitals wrote them) with every fault
// of docs/prices.md's salvage list applied to some rows or files.
type corpus struct {
	nextID int
	files  []messyFile
}

var cmsCodeTypes = map[string]bool{}

func init() {
	for _, t := range strings.Fields("CPT HCPCS ICD DRG MS-DRG R-DRG S-DRG APS-DRG AP-DRG APR-DRG TRIS-DRG APC NDC HIPPS LOCAL EAPG CDT RC CDM CMG MS-LTC-DRG") {
		cmsCodeTypes[t] = true
	}
}

// oraclePrice reads an amount as a person would, independently of mrf.
func oraclePrice(s string) bool {
	s = strings.NewReplacer("$", "", ",", "", "%", "", " ", "").Replace(strings.TrimSpace(s))
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f > 0 && f != 999999999
}

func isPriceHeader(n string) (amount, text bool) {
	switch {
	case strings.HasSuffix(n, "negotiated_algorithm"):
		return false, true
	case strings.HasSuffix(n, "|gross"), strings.HasSuffix(n, "|discounted_cash"), strings.HasSuffix(n, "standard_charge|min"),
		strings.HasSuffix(n, "standard_charge|max"), strings.Contains(n, "negotiated_dollar"), strings.Contains(n, "negotiated_percentage"),
		strings.HasPrefix(n, "median_amount"):
		return true, false
	}
	return false, false
}

func normCell(h string) string {
	parts := strings.Split(h, "|")
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, "|")
}

// addCSV applies the CSV faults to a CMS-shaped table (three header rows,
// then data) and records the usable rows. k varies the faults by file.
func (c *corpus) addCSV(t *testing.T, name string, rows [][]string, k int) {
	t.Helper()
	row1, row2, head := rows[0], rows[1], rows[2]
	data := rows[3:]
	// Row 1 and 2: a hospital of its own, a date in another format, a
	// license state left as the template's placeholder.
	for i, h := range row1 {
		switch n := normCell(h); {
		case n == "hospital_name":
			row2[i] = fmt.Sprintf("Messy Hospital %d", k)
		case n == "last_updated_on":
			row2[i] = []string{"7/1/2024", "07/01/2024", "2024-07-01"}[k%3]
		case strings.HasPrefix(n, "license_number|") && k%2 == 0:
			row1[i] = "license_number|[California]"
		}
	}
	// Wide payer column sets made incomplete: the first loses its plan
	// segment's text and every column but the dollar one, the second its
	// plan segment.
	var keep []int
	payers := map[string]int{}
	for i, h := range head {
		parts := strings.Split(h, "|")
		if len(parts) == 4 && normCell(parts[0]) == "standard_charge" || len(parts) == 3 && normCell(parts[0]) != "code" {
			pi := 1
			if len(parts) == 3 {
				pi = 1
			}
			key := strings.TrimSpace(parts[pi])
			if _, ok := payers[key]; !ok {
				payers[key] = len(payers)
			}
			switch payers[key] {
			case 0:
				if !strings.HasSuffix(normCell(h), "negotiated_dollar") {
					continue // dropped column
				}
				head[i] = "standard_charge|" + key + "||negotiated_dollar"
			case 1:
				if len(parts) == 4 {
					head[i] = "standard_charge|" + key + "|" + parts[3]
				} else {
					head[i] = parts[0] + "|" + key
				}
			}
		}
		keep = append(keep, i)
	}
	pick := func(r []string) []string {
		out := make([]string, 0, len(keep)+2)
		for _, i := range keep {
			if i < len(r) {
				out = append(out, r[i])
			} else {
				out = append(out, "")
			}
		}
		return out
	}
	head = pick(head)
	for i := range data {
		data[i] = pick(data[i])
	}
	// Row 3: case, spaces around "|", a blank column and an unknown one.
	for i, h := range head {
		switch k % 3 {
		case 0:
			head[i] = strings.ToUpper(h)
		case 1:
			head[i] = strings.ReplaceAll(h, "|", " | ")
		}
	}
	desc := -1
	for i, h := range head {
		if normCell(h) == "description" {
			desc = i
		}
	}
	head = append(head, "", "Department")
	for i := range data {
		data[i] = append(data[i], "", "dept "+strconv.Itoa(i%4))
	}
	// The oracle: which rows carry a code and a price.
	f := messyFile{name: name, usable: map[int]priceline.Code{}}
	var rawDesc []bool
	for i, r := range data {
		c.nextID++
		id := c.nextID
		switch {
		case i%4 == 1:
			r[desc] += " café’s – room"
		}
		r[desc] += " #" + strconv.Itoa(id)
		// Money faults.
		for j, h := range head {
			n := normCell(h)
			if amt, _ := isPriceHeader(n); !amt || strings.TrimSpace(r[j]) == "" {
				continue
			}
			switch (i + j) % 9 {
			case 0:
				if v, err := strconv.ParseFloat(r[j], 64); err == nil {
					r[j] = "$" + commas(v)
				}
			case 3:
				r[j] = strings.TrimRight(strings.TrimRight(r[j], "0"), ".") + ""
			case 5:
				r[j] = []string{"N/A", "-", "999999999"}[(i/9)%3]
			}
		}
		var code priceline.Code
		price := false
		for j, h := range head {
			n := normCell(h)
			if strings.HasPrefix(n, "code|") && strings.HasSuffix(n, "|type") && code.Code == "" {
				ci := -1
				for x, h2 := range head {
					if normCell(h2) == strings.TrimSuffix(n, "|type") {
						ci = x
					}
				}
				if ci >= 0 && strings.TrimSpace(r[ci]) != "" && cmsCodeTypes[strings.ToUpper(strings.TrimSpace(r[j]))] {
					code = priceline.Code{Code: strings.TrimSpace(r[ci]), Type: strings.ToUpper(strings.TrimSpace(r[j]))}
				}
			}
			amt, text := isPriceHeader(n)
			if amt && oraclePrice(r[j]) || text && strings.TrimSpace(r[j]) != "" {
				price = true
			}
		}
		if code.Code != "" && price {
			f.usable[id] = code
		}
		// Ragged rows: trailing empty cells left out, or extra cells; an
		// unquoted comma in some descriptions.
		switch i % 5 {
		case 2:
			for len(r) > 0 && r[len(r)-1] == "" {
				r = r[:len(r)-1]
			}
		case 3:
			r = append(r, "extra", "")
		}
		data[i] = r
		rawDesc = append(rawDesc, i%7 == 4 && !strings.ContainsAny(r[desc], "\",\n"))
		if rawDesc[i] {
			r[desc] = strings.Replace(r[desc], " #", ", #", 1)
		}
	}
	var b bytes.Buffer
	if k%4 == 0 {
		b.WriteString("\ufeff")
	}
	nl := []string{"\r\n", "\r", "\n"}[k%3]
	write := func(r []string, raw int) {
		for j, v := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			if j != raw && strings.ContainsAny(v, "\",\r\n") {
				v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			}
			b.WriteString(v)
		}
		b.WriteString(nl)
	}
	write(row1, -1)
	write(row2, -1)
	write(head, -1)
	for i, r := range data {
		raw := -1
		if rawDesc[i] {
			raw = desc
		}
		write(r, raw)
	}
	f.data = b.Bytes()
	if k%2 == 1 {
		f.data = windows1252(t, f.data)
	}
	c.files = append(c.files, f)
}

func commas(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var out []byte
	for i := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i])
	}
	return string(out) + "." + frac
}

func windows1252(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readTable(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data: %v", err)
		}
		t.Skipf("shared data missing (%v); CI=true makes this fail", err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// cdmTable turns the real chargemaster into a CMS v2.0 wide table.
func cdmTable(t *testing.T) [][]string {
	rows := readTable(t, realCDMPath)
	head := rows[0]
	row1 := []string{"hospital_name", "last_updated_on", "version", "hospital_location", "hospital_address", "license_number|AL",
		"To the best of its knowledge and belief, the hospital has included all applicable standard charge information in accordance with the requirements of 45 CFR 180.50, and the information encoded is true, accurate, and complete as of the date indicated."}
	row2 := []string{"x", "2024-07-01", "2", "Community Hospital", "1 Main St, Town, AL", "1", "true"}
	row3 := []string{"description", "code|1", "code|1|type", "code|2", "code|2|type", "code|3", "code|3|type", "setting",
		"standard_charge|gross", "standard_charge|discounted_cash", "standard_charge|min", "standard_charge|max"}
	var payerCols []int
	for i, h := range head {
		if p, ok := strings.CutPrefix(h, "Payer Negotiated Charge:"); ok {
			row3 = append(row3, "standard_charge|"+strings.TrimSpace(p)+"|negotiated_dollar")
			payerCols = append(payerCols, i)
		}
	}
	out := [][]string{row1, row2, row3}
	for _, r := range rows[1:] {
		typ := ""
		switch id := strings.TrimSpace(r[2]); {
		case id == "":
		case len(id) == 5 && id[0] >= '0' && id[0] <= '9':
			typ = "CPT"
		default:
			typ = "HCPCS"
		}
		row := []string{r[3], r[2], typ, r[1], "RC", r[0], "CDM", "", r[4], r[5], r[6], r[7]}
		for _, i := range payerCols {
			row = append(row, r[i])
		}
		out = append(out, row)
	}
	return out
}

// addJSON applies JSON faults: numbers written as strings (some with "$"
// and commas, some "N/A"), a date as M/D/YYYY, Windows-1252 text.
func (c *corpus) addJSON(t *testing.T, name, path string, k int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		readTable(t, path) // fails or skips as for CSV
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	m["hospital_name"] = fmt.Sprintf("Messy Hospital %d", k)
	m["last_updated_on"] = "7/1/2024"
	f := messyFile{name: name, usable: map[int]priceline.Code{}}
	items, _ := m["standard_charge_information"].([]any)
	for i, it := range items {
		item := it.(map[string]any)
		c.nextID++
		id := c.nextID
		item["description"] = fmt.Sprint(item["description"]) + " café’s – #" + strconv.Itoa(id)
		var code priceline.Code
		for _, ci := range item["code_information"].([]any) {
			cm := ci.(map[string]any)
			if typ, _ := cm["type"].(string); code.Code == "" && cmsCodeTypes[typ] {
				code = priceline.Code{Code: fmt.Sprint(cm["code"]), Type: typ}
			}
		}
		price := false
		for j, sc := range item["standard_charges"].([]any) {
			sm := sc.(map[string]any)
			for _, key := range []string{"gross_charge", "discounted_cash", "minimum", "maximum"} {
				v, ok := sm[key].(json.Number)
				if !ok {
					continue
				}
				switch (i + j + len(key)) % 4 {
				case 0:
					f, _ := v.Float64()
					sm[key] = "$" + commas(f)
				case 1:
					sm[key] = "N/A"
					continue
				}
				price = price || oraclePrice(v.String())
			}
			pays, _ := sm["payers_information"].([]any)
			for _, p := range pays {
				pm := p.(map[string]any)
				for _, key := range []string{"standard_charge_dollar", "standard_charge_percentage", "estimated_amount", "median_amount"} {
					if v, ok := pm[key].(json.Number); ok && oraclePrice(v.String()) {
						price = true
					}
				}
				if a, _ := pm["standard_charge_algorithm"].(string); a != "" {
					price = true
				}
			}
		}
		if code.Code != "" && price {
			f.usable[id] = code
		}
	}
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	f.data = windows1252(t, out)
	c.files = append(c.files, f)
}

var idPattern = regexp.MustCompile(`#(\d+)$`)

// TestImport_SalvageCorpusImports99Percent builds the messy corpus, imports
// it into the in-memory store and requires at least 99 % of the rows that
// carry a code and a price to be found under their code.
func TestImport_SalvageCorpusImports99Percent(t *testing.T) {
	ex := filepath.Join(sharedData, "cms-examples")
	var c corpus
	k := 0
	for _, name := range []string{"V2.0.0_Tall_CSV_Format_Example.csv", "V2.0.0_Wide_CSV_Format_Example.csv", "V3.0.0_Tall_CSV_Format_Example.csv", "V3.0.0_Wide_CSV_Format_Example.csv"} {
		for range 3 { // three fault variants of each
			k++
			c.addCSV(t, fmt.Sprintf("%d-%s", k, name), readTable(t, filepath.Join(ex, name)), k)
		}
	}
	for range 3 {
		k++
		c.addCSV(t, fmt.Sprintf("%d-real-cdm.csv", k), cdmTable(t), k)
	}
	for _, name := range []string{"V2.0.0_JSON_Format_Example.json", "v3_json_format_example.json"} {
		k++
		c.addJSON(t, fmt.Sprintf("%d-%s", k, name), filepath.Join(ex, name), k)
	}

	store := memstore.NewPrices()
	svc := &Service{Store: store}
	want := map[int]priceline.Code{}
	codes := map[priceline.Code]bool{}
	for _, f := range c.files {
		sum, err := svc.Import(context.Background(), bytes.NewReader(f.data), f.name)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		t.Logf("%s: rows read %d, imported %d, rejected %d, with dropped cells %d; usable %d; rejected by %v",
			f.name, sum.RowsRead, sum.RowsImported, sum.RowsRejected, sum.RowsSalvaged, len(f.usable), sum.RejectedByRule)
		for id, code := range f.usable {
			want[id] = code
			codes[priceline.NormalizeCode(code)] = true
		}
	}
	found := map[int]bool{}
	for code := range codes {
		cs, err := store.ChargesFor(context.Background(), code)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range cs {
			if m := idPattern.FindStringSubmatch(ch.Description); m != nil {
				id, _ := strconv.Atoi(m[1])
				found[id] = true
			}
		}
	}
	var missing []int
	for id := range want {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	share := 100 * float64(len(want)-len(missing)) / float64(len(want))
	t.Logf("salvage corpus: %d files, %d usable rows, %d imported (%.2f %%)", len(c.files), len(want), len(want)-len(missing), share)
	if len(want) < 5000 || share < 99 {
		t.Fatalf("imported %.2f %% of %d usable rows (want ≥ 99 %%); missing ids %v", share, len(want), first(missing, 30))
	}
}

func first(s []int, n int) []int {
	if len(s) > n {
		return s[:n]
	}
	return s
}
