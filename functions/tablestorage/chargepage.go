package tablestorage

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	kflate "github.com/klauspost/compress/flate"

	"hospitalpriceline/functions/priceline"
)

// storedMoney is a Money as stored: absent when not set.
type storedMoney struct {
	D string `json:"d"`
	C int64  `json:"c"`
}

func toStoredMoney(m priceline.Money) *storedMoney {
	if !m.Set {
		return nil
	}
	return &storedMoney{D: m.Decimal, C: m.Cents}
}

func (m *storedMoney) money() priceline.Money {
	if m == nil {
		return priceline.Money{}
	}
	return priceline.Money{Decimal: m.D, Cents: m.C, Set: true}
}

// storedCode is a priceline.Code as stored.
type storedCode struct {
	C string `json:"c"`
	T string `json:"t"`
}

// storedCharge is a charge as stored in a page (gob), without the hospital
// ID (the row key has it). gob matches fields by name: renaming one makes
// stored pages lose it, so add fields, never rename them. The JSON form
// (short names, empty fields left out) only names pages and finds
// duplicates, because it is the same in every process.
type storedCharge struct {
	Description  string       `json:"ds,omitempty"`
	Codes        []storedCode `json:"cs,omitempty"`
	Setting      string       `json:"st,omitempty"`
	Modifiers    []string     `json:"mo,omitempty"`
	DrugUnit     string       `json:"du,omitempty"`
	DrugType     string       `json:"dt,omitempty"`
	Gross        *storedMoney `json:"g,omitempty"`
	Cash         *storedMoney `json:"dc,omitempty"`
	Min          *storedMoney `json:"mn,omitempty"`
	Max          *storedMoney `json:"mx,omitempty"`
	Payer        string       `json:"p,omitempty"`
	Plan         string       `json:"pl,omitempty"`
	Negotiated   *storedMoney `json:"nd,omitempty"`
	Percentage   string       `json:"np,omitempty"`
	Algorithm    string       `json:"na,omitempty"`
	Estimated    *storedMoney `json:"ea,omitempty"`
	Median       *storedMoney `json:"md,omitempty"`
	P10          *storedMoney `json:"p10,omitempty"`
	P90          *storedMoney `json:"p90,omitempty"`
	Count        string       `json:"n,omitempty"`
	Methodology  string       `json:"m,omitempty"`
	PayerNotes   string       `json:"pn,omitempty"`
	GenericNotes string       `json:"gn,omitempty"`
}

func toStoredCharge(c *priceline.Charge) storedCharge {
	sc := storedCharge{
		Description: c.Description, Setting: c.Setting, Modifiers: c.Modifiers, DrugUnit: c.DrugUnit, DrugType: c.DrugType,
		Gross: toStoredMoney(c.Gross), Cash: toStoredMoney(c.DiscountedCash), Min: toStoredMoney(c.Min), Max: toStoredMoney(c.Max),
		Payer: c.Payer, Plan: c.Plan, Negotiated: toStoredMoney(c.NegotiatedDollar), Percentage: c.NegotiatedPercentage,
		Algorithm: c.NegotiatedAlgorithm, Estimated: toStoredMoney(c.EstimatedAmount), Median: toStoredMoney(c.Median),
		P10: toStoredMoney(c.P10), P90: toStoredMoney(c.P90), Count: c.Count, Methodology: c.Methodology,
		PayerNotes: c.PayerNotes, GenericNotes: c.GenericNotes,
	}
	for _, code := range c.Codes {
		sc.Codes = append(sc.Codes, storedCode{C: code.Code, T: code.Type})
	}
	return sc
}

func (sc *storedCharge) charge(hospitalID string) priceline.Charge {
	c := priceline.Charge{
		HospitalID: hospitalID, Description: sc.Description, Setting: sc.Setting, Modifiers: sc.Modifiers,
		DrugUnit: sc.DrugUnit, DrugType: sc.DrugType, Gross: sc.Gross.money(), DiscountedCash: sc.Cash.money(),
		Min: sc.Min.money(), Max: sc.Max.money(), Payer: sc.Payer, Plan: sc.Plan, NegotiatedDollar: sc.Negotiated.money(),
		NegotiatedPercentage: sc.Percentage, NegotiatedAlgorithm: sc.Algorithm, EstimatedAmount: sc.Estimated.money(),
		Median: sc.Median.money(), P10: sc.P10.money(), P90: sc.P90.money(), Count: sc.Count, Methodology: sc.Methodology,
		PayerNotes: sc.PayerNotes, GenericNotes: sc.GenericNotes,
	}
	for _, code := range sc.Codes {
		c.Codes = append(c.Codes, priceline.Code{Code: code.C, Type: code.T})
	}
	return c
}

// chargePage is the entity of one page: up to MaxChargeBatch charges of
// one hospital and generation under one procedure, gob-encoded and
// deflated, in binary properties C0, C1, … of at most binaryChunk bytes
// each, with N the number of charges. One entity per page instead of one
// per charge: Table Storage's costs and limits count entities
// (transactions, 2,000 entities/s per partition, 20,000/s per account), and
// Azurite's work per entity dominates both writing and reading, so a
// procedure's 400 rows across four hospitals are a handful of entities.
// Deflate because rows of one procedure repeat most of their text and a
// read's cost also grows with its bytes (about 15× fewer here); gob because
// every read decodes every row of the procedure, and it decodes these
// records about 3.5× faster than encoding/json.
func chargePage(pk, rowKey string, charges []storedCharge) ([]byte, error) {
	var z bytes.Buffer
	zw := pageWriters.Get().(*kflate.Writer)
	defer pageWriters.Put(zw)
	zw.Reset(&z)
	// One gob value per charge, so that a reader decodes exactly N of them
	// and a damaged page cannot make it allocate a slice of any length.
	enc := gob.NewEncoder(zw)
	for i := range charges {
		if err := enc.Encode(&charges[i]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	e := entity{"PartitionKey": pk, "RowKey": rowKey, pageCountProp: len(charges)}
	zb := z.Bytes()
	for i := 0; len(zb) > 0; i++ {
		n := min(len(zb), binaryChunk)
		name := fmt.Sprintf("C%d", i)
		e[name] = base64.StdEncoding.EncodeToString(zb[:n])
		e[name+"@odata.type"] = "Edm.Binary"
		zb = zb[n:]
	}
	return json.Marshal(e)
}

// pageWriters reuses deflate writers: a writer's state is hundreds of
// kilobytes, and a flush of a file with a handful of rows per procedure
// encodes a thousand small pages, so a new writer per page made the
// allocation, not the compression, the cost. klauspost's deflate at its
// fastest level writes the same format as compress/flate, which reads it.
var pageWriters = sync.Pool{New: func() any {
	zw, _ := kflate.NewWriter(nil, kflate.BestSpeed) // only fails for an invalid level
	return zw
}}

// pageBuilder collects the charges of one page and the hash that names it.
type pageBuilder struct {
	charges []storedCharge
	sum     hash.Hash // SHA-256 of the charges' JSON: unlike gob, the same bytes in every process
	size    int       // at least the bytes of their gob (gobBound)
}

// gobBound is at least the size of c's gob value, given its text bytes:
// gob writes each string as its bytes plus a field tag and a length (no
// escaping, unlike JSON), so the text plus a fixed allowance per field and
// per code or modifier covers it.
func gobBound(c *priceline.Charge, text int) int {
	return text + 512 + 8*(len(c.Codes)+len(c.Modifiers))
}

// pageEntity is a charge entity as read: a page (see chargePage), or one
// charge as versions before pages wrote it (C0… then hold a
// priceline.Charge as JSON text, and there is no N).
type pageEntity struct {
	RowKey string
	N      int
	chunks []string
}

func decodePageEntity(raw []byte) (pageEntity, error) {
	var props map[string]any
	if err := json.Unmarshal(raw, &props); err != nil {
		return pageEntity{}, err
	}
	var p pageEntity
	p.RowKey, _ = props["RowKey"].(string)
	for i := 0; ; i++ {
		s, ok := props[fmt.Sprintf("C%d", i)].(string)
		if !ok {
			break
		}
		p.chunks = append(p.chunks, s)
	}
	p.N = 1
	if n, ok := props[pageCountProp].(float64); ok {
		p.N = int(n)
	}
	return p, nil
}

// charges decodes the page's charges, setting their hospital. A page that
// does not decode to exactly N charges within maxPageBytes plus slack is
// corrupt (KindInternal "corrupt_page"), never a reason to allocate more.
func (p *pageEntity) charges(hospitalID string) ([]priceline.Charge, error) {
	if len(p.chunks) > 0 && strings.HasPrefix(p.chunks[0], "{") { // base64 never starts with "{"
		var c priceline.Charge
		if err := json.Unmarshal([]byte(strings.Join(p.chunks, "")), &c); err != nil {
			return nil, corruptPage(p.RowKey, err)
		}
		c.HospitalID = hospitalID
		return []priceline.Charge{c}, nil
	}
	if p.N < 1 || p.N > priceline.MaxChargeBatch {
		return nil, corruptPage(p.RowKey, fmt.Errorf("it says it holds %d charges", p.N))
	}
	var z []byte
	for _, c := range p.chunks {
		b, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return nil, corruptPage(p.RowKey, err)
		}
		z = append(z, b...)
	}
	zr := flate.NewReader(bytes.NewReader(z))
	defer zr.Close()
	// gob is no longer than the charges' JSON, which PutCharges keeps
	// under maxPageBytes, plus its type descriptions.
	dec := gob.NewDecoder(io.LimitReader(zr, maxPageBytes+64<<10))
	out := make([]priceline.Charge, p.N)
	for i := range out {
		var sc storedCharge
		if err := dec.Decode(&sc); err != nil {
			return nil, corruptPage(p.RowKey, err)
		}
		out[i] = sc.charge(hospitalID)
	}
	var extra storedCharge
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, corruptPage(p.RowKey, fmt.Errorf("more than %d charges", p.N))
	}
	return out, nil
}

// corruptPage reports a charge entity that cannot be read: a fault of the
// stored data, not of the service's availability, so not worth retrying.
func corruptPage(rowKey string, err error) error {
	return priceline.Wrap(fmt.Errorf("charge page %s: %w", rowKey, err), priceline.KindInternal, "corrupt_page", "Stored prices of this procedure cannot be read.")
}
