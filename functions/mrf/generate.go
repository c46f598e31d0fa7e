package mrf

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Generate writes a valid v3.0.0 price file of the given format
// (FormatCSVTall, FormatCSVWide or FormatJSON) with rows data rows (tall:
// one payer each; wide: two payers each) or rows items (JSON). The same
// seed always gives the same bytes. It exists for tests and benchmarks.
func Generate(w io.Writer, format string, rows int, seed int64) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x6d7266))}
	var err error
	switch format {
	case FormatCSVTall, FormatCSVWide:
		err = g.csv(bw, format == FormatCSVWide, rows)
	case FormatJSON:
		err = g.json(bw, rows)
	default:
		return fmt.Errorf("generate: unknown format %q", format)
	}
	if err != nil {
		return fmt.Errorf("generate %s: %w", format, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("generate %s: %w", format, err)
	}
	return nil
}

type generator struct{ rng *rand.Rand }

var genPayers = [2][2]string{{"Platform Health Insurance", "PPO"}, {"Region Health Insurance", "HMO"}}

// genCharge is one generated payer-specific charge and the item it belongs to.
type genCharge struct {
	desc, code, codeType, setting, drugUnit, drugType string
	gross, cash, min, max                             string
	dollar, pct, alg, median, p10, p90, count         string
	methodology, notes                                string
}

func (g *generator) amount(lo, hi int) string {
	c := lo*100 + g.rng.IntN((hi-lo)*100)
	return fmt.Sprintf("%d.%02d", c/100, c%100)
}

// item returns the charges of item n for both payers.
func (g *generator) item(n int) [2]genCharge {
	base := genCharge{setting: "outpatient", code: strconv.Itoa(10000 + n%89999), codeType: "CPT"}
	base.desc = fmt.Sprintf("Generated service %d", n)
	base.gross = g.amount(200, 5000)
	base.cash = g.amount(100, 200)
	base.min, base.max = "50.00", "9999.99"
	var out [2]genCharge
	for p := range out {
		c := base
		switch n % 4 {
		case 0:
			c.dollar, c.methodology = g.amount(51, 9999), "fee schedule"
		case 1:
			c.setting, c.codeType, c.code = "inpatient", "MS-DRG", fmt.Sprintf("%03d", n%999)
			c.pct, c.methodology = strconv.Itoa(40+g.rng.IntN(60)), "percent of total billed charges"
			c.median, c.p10, c.p90 = g.amount(3000, 4000), g.amount(1000, 2000), g.amount(5000, 6000)
			c.count = strconv.Itoa(11 + g.rng.IntN(500))
		case 2:
			c.alg, c.methodology = "Allowed amount is 110% of the supplier invoice.", "other"
			c.count, c.notes = "0", "No claims in the lookback period; methodology in the algorithm."
		case 3:
			c.setting, c.codeType, c.code = "both", "NDC", fmt.Sprintf("0093-%04d-01", n%10000)
			c.drugUnit, c.drugType = "1", "UN"
			c.dollar, c.methodology = g.amount(51, 99), "per diem"
		}
		out[p] = c
	}
	return out
}

func genHeader(cw *csv.Writer, extra ...string) error {
	row1 := []string{"hospital_name", "last_updated_on", "version", "location_name", "hospital_address", "license_number|CA", "type_2_npi", attestationV3, "attester_name"}
	row2 := []string{"Generated Test Hospital", "2026-04-01", "3.0.0", "Generated Test Hospital", "1 Test Way, Testville, CA 90000", "50056", "0000000001", "true", "Test Attester"}
	if err := cw.Write(row1); err != nil {
		return err
	}
	if err := cw.Write(row2); err != nil {
		return err
	}
	return cw.Write(extra)
}

func (g *generator) csv(w io.Writer, wide bool, rows int) error {
	cw := csv.NewWriter(w)
	common := []string{"description", "code|1", "code|1|type", "modifiers", "setting", "drug_unit_of_measurement", "drug_type_of_measurement",
		"standard_charge|gross", "standard_charge|discounted_cash", "standard_charge|min", "standard_charge|max", "additional_generic_notes"}
	row3 := append([]string(nil), common...)
	if wide {
		for _, p := range genPayers {
			pp := p[0] + "|" + p[1]
			row3 = append(row3, "standard_charge|"+pp+"|negotiated_dollar", "standard_charge|"+pp+"|negotiated_percentage",
				"standard_charge|"+pp+"|negotiated_algorithm", "median_amount|"+pp, "10th_percentile|"+pp, "90th_percentile|"+pp,
				"count|"+pp, "standard_charge|"+pp+"|methodology", "additional_payer_notes|"+pp)
		}
	} else {
		row3 = append(row3, "payer_name", "plan_name", "standard_charge|negotiated_dollar", "standard_charge|negotiated_percentage",
			"standard_charge|negotiated_algorithm", "median_amount", "10th_percentile", "90th_percentile", "count", "standard_charge|methodology")
	}
	if err := genHeader(cw, row3...); err != nil {
		return err
	}
	rec := make([]string, 0, len(row3))
	for n := 0; n < rows; {
		item := g.item(n)
		commonVals := func(c genCharge, notes string) []string {
			return []string{c.desc, c.code, c.codeType, "", c.setting, c.drugUnit, c.drugType, c.gross, c.cash, c.min, c.max, notes}
		}
		if wide {
			rec = append(rec[:0], commonVals(item[0], "")...)
			for p, c := range item {
				_ = p
				rec = append(rec, c.dollar, c.pct, c.alg, c.median, c.p10, c.p90, c.count, c.methodology, c.notes)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
			n++
			continue
		}
		for p := 0; p < 2 && n < rows; p++ {
			c := item[p]
			rec = append(rec[:0], commonVals(c, c.notes)...)
			rec = append(rec, genPayers[p][0], genPayers[p][1], c.dollar, c.pct, c.alg, c.median, c.p10, c.p90, c.count, c.methodology)
			if err := cw.Write(rec); err != nil {
				return err
			}
			n++
		}
	}
	cw.Flush()
	return cw.Error()
}

// JSON shapes for the generator; numbers are json.Number so the decimals
// written are exactly the generated strings.
type (
	genJSONPayer struct {
		Payer       string      `json:"payer_name"`
		Plan        string      `json:"plan_name"`
		Dollar      json.Number `json:"standard_charge_dollar,omitempty"`
		Pct         json.Number `json:"standard_charge_percentage,omitempty"`
		Alg         string      `json:"standard_charge_algorithm,omitempty"`
		Median      json.Number `json:"median_amount,omitempty"`
		P10         json.Number `json:"10th_percentile,omitempty"`
		P90         json.Number `json:"90th_percentile,omitempty"`
		Count       string      `json:"count,omitempty"`
		Methodology string      `json:"methodology"`
		Notes       string      `json:"additional_payer_notes,omitempty"`
	}
	genJSONCharges struct {
		Setting string         `json:"setting"`
		Gross   json.Number    `json:"gross_charge"`
		Cash    json.Number    `json:"discounted_cash"`
		Min     json.Number    `json:"minimum"`
		Max     json.Number    `json:"maximum"`
		Payers  []genJSONPayer `json:"payers_information"`
	}
	genJSONItem struct {
		Description string              `json:"description"`
		Drug        *genJSONDrug        `json:"drug_information,omitempty"`
		Codes       []map[string]string `json:"code_information"`
		Charges     []genJSONCharges    `json:"standard_charges"`
	}
	genJSONDrug struct {
		Unit json.Number `json:"unit"`
		Type string      `json:"type"`
	}
)

func (g *generator) json(w io.Writer, rows int) error {
	head, err := json.Marshal(attestationV3)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, `{"hospital_name":"Generated Test Hospital","last_updated_on":"2026-04-01","version":"3.0.0",`+
		`"location_name":["Generated Test Hospital"],"hospital_address":["1 Test Way, Testville, CA 90000"],`+
		`"license_information":{"license_number":"50056","state":"CA"},"type_2_npi":["0000000001"],`+
		`"attestation":{"attestation":%s,"confirm_attestation":true,"attester_name":"Test Attester"},`+
		"\n"+`"standard_charge_information":[`, head); err != nil {
		return err
	}
	for n := 0; n < rows; n++ {
		item := g.item(n)
		c0 := item[0]
		it := genJSONItem{Description: c0.desc, Codes: []map[string]string{{"code": c0.code, "type": c0.codeType}}}
		if c0.drugType != "" {
			it.Drug = &genJSONDrug{Unit: json.Number(c0.drugUnit), Type: c0.drugType}
		}
		sc := genJSONCharges{Setting: c0.setting, Gross: json.Number(c0.gross), Cash: json.Number(c0.cash), Min: json.Number(c0.min), Max: json.Number(c0.max)}
		for p, c := range item {
			sc.Payers = append(sc.Payers, genJSONPayer{Payer: genPayers[p][0], Plan: genPayers[p][1], Dollar: json.Number(c.dollar),
				Pct: json.Number(c.pct), Alg: c.alg, Median: json.Number(c.median), P10: json.Number(c.p10), P90: json.Number(c.p90),
				Count: c.count, Methodology: c.methodology, Notes: c.notes})
		}
		it.Charges = []genJSONCharges{sc}
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := io.WriteString(w, ",\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}
