package priceline

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Hospital is the publisher of a CMS machine-readable price file, as the
// file describes itself.
type Hospital struct {
	ID            string   // HospitalID(Name, LicenseNumber, LicenseState)
	Name          string   // hospital_name
	Locations     []string // location_name (v3) or hospital_location (v2)
	Addresses     []string // hospital_address
	LicenseNumber string   // may be empty: CMS requires only the state
	LicenseState  string   // two-letter code
	LastUpdatedOn string   // YYYY-MM-DD, normalised from the file's date
	Version       string   // the version string the file declares, as written
	// Facts are what the import of the current file found; stores keep
	// them with the hospital so that readers can judge the file.
	Facts ImportFacts
}

// ImportFacts are the counts and statements of one imported file that tell
// a reader how far to trust its numbers (from the ingest summary).
type ImportFacts struct {
	// Attests is "true" or "false" as the file answers its attestation
	// (v3) or affirmation (v2) that it is complete, "" when it gives no
	// valid answer (or the file was imported before the store kept it).
	Attests      string
	RowsRead     int // data rows (CSV) or items (JSON)
	RowsImported int // rows whose charges were stored
	RowsRejected int // rows left out
	RowsSalvaged int // rows imported with cells the import dropped
	CellsDropped int // cells left out of imported and rejected rows
}

// Known reports whether the facts were recorded at all: hospitals
// imported before the store kept them have none.
func (f ImportFacts) Known() bool { return f.RowsRead > 0 }

// HospitalID derives a stable ID for a hospital from the values that identify
// it in its price file, so that re-importing a file finds the same hospital.
// Case and runs of spaces in the name do not change the ID.
func HospitalID(name, licenseNumber, state string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	sum := sha256.Sum256([]byte(norm(name) + "\x00" + norm(licenseNumber) + "\x00" + norm(state)))
	return hex.EncodeToString(sum[:])[:32]
}

// Money is an exact amount of US dollars. CMS files may carry more than two
// decimals (unit prices of drugs, for example), so Decimal keeps the amount
// exactly as a plain decimal string and Cents holds it rounded half-to-even
// to whole cents for sorting and display. Money is never a float.
type Money struct {
	Decimal string // canonical plain decimal, e.g. "1234.5", "0.125"; "" when not Set
	Cents   int64  // Decimal rounded half-to-even to cents
	Set     bool   // false when the file left the amount out
}

// Code is one billing code of a charge, with its code type (CPT, HCPCS,
// MS-DRG, NDC, RC, LOCAL, ...).
type Code struct {
	Code string
	Type string
}

// Charge is one standard charge of one item or service: for payer-specific
// charges, one payer and plan; for the gross and cash prices alone, Payer and
// Plan are empty.
type Charge struct {
	HospitalID     string
	Description    string
	Codes          []Code
	Setting        string   // inpatient, outpatient or both
	Modifiers      []string // modifier codes the charge applies with
	DrugUnit       string   // drug_unit_of_measurement, a decimal string
	DrugType       string   // drug_type_of_measurement: GR, ME, ML, UN, F2, EA, GM
	Gross          Money
	DiscountedCash Money
	Min            Money // de-identified minimum negotiated charge
	Max            Money // de-identified maximum negotiated charge

	Payer                string
	Plan                 string
	NegotiatedDollar     Money
	NegotiatedPercentage string // decimal string, e.g. "62.5" meaning 62.5%
	NegotiatedAlgorithm  string
	EstimatedAmount      Money  // v2 only; removed in v3
	Median               Money  // v3 allowed amounts
	P10                  Money  // v3 10th percentile of allowed amounts
	P90                  Money  // v3 90th percentile of allowed amounts
	Count                string // v3 count of allowed amounts: "0", "1 through 10" or a number > 10
	Methodology          string // case rate, fee schedule, percent of total billed charges, per diem, other
	PayerNotes           string // additional_payer_notes
	GenericNotes         string // additional_generic_notes
}

// MaxChargeTextBytes bounds the text of one charge (see TextBytes): far
// above any real row, it keeps one row from filling a stored page.
const MaxChargeTextBytes = 64 << 10

// TextBytes is how many bytes of text c carries: its strings, codes,
// modifiers and the decimals of its amounts. Stores size pages by it.
func (c *Charge) TextBytes() int {
	n := len(c.Description) + len(c.Setting) + len(c.DrugUnit) + len(c.DrugType) + len(c.Payer) + len(c.Plan) +
		len(c.NegotiatedPercentage) + len(c.NegotiatedAlgorithm) + len(c.Count) + len(c.Methodology) +
		len(c.PayerNotes) + len(c.GenericNotes)
	for _, m := range c.Modifiers {
		n += len(m)
	}
	for _, cd := range c.Codes {
		n += len(cd.Code) + len(cd.Type)
	}
	for _, m := range []*Money{&c.Gross, &c.DiscountedCash, &c.Min, &c.Max, &c.NegotiatedDollar, &c.EstimatedAmount, &c.Median, &c.P10, &c.P90} {
		n += len(m.Decimal)
	}
	return n
}
