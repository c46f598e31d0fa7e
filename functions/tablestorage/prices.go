package tablestorage

import (
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// Price tables. Names stay at 8 characters or fewer so that any prefix the
// users tables accept also fits the 63-character table-name limit.
const (
	hospitalsTable = "hospital" // PK "h", RK hospital ID
	chargesTable   = "charges"  // PK procedure key, RK hospital.generation.rowhash
	catalogTable   = "catalog"  // procedures catalog: code-prefix and word entries
	hospCodesTable = "hospcode" // PK hospital ID, RK generation.procedure key: where a generation wrote
	savedTable     = "saved"    // PK user ID, RK slot: saved estimates
)

const (
	hospitalPartition = "h"
	codePrefix        = "c." // catalog partition of codes by first character
	wordPrefix        = "w." // catalog partition of words by first two characters
	// keyRangeEnd sorts after every character keyEncode produces, so
	// [p, p+keyRangeEnd) is exactly the keys that start with p.
	keyRangeEnd = "~"
	// maxPartitionRows bounds one procedure's read: far above any real
	// procedure, it keeps a pathological partition from exhausting memory.
	maxPartitionRows = 100_000
	// maxPartitionBytes bounds the stored bytes one procedure's read holds
	// before decoding, whatever its pages claim.
	maxPartitionBytes = 256 << 20
	// maxIntersectWords bounds the words whose ranges a search intersects
	// (each costs up to maxWordMatches entries); a longer query that matches
	// no single description finds nothing rather than cost that much.
	maxIntersectWords = 4
	// maxWordMatches bounds the catalog entries one word search reads.
	maxWordMatches = 1000
	// chunkBytes bounds a hospital's locations or addresses, kept as JSON
	// in one string property (64 KiB, 32 K UTF-16 units, even all-BMP).
	chunkBytes = 30_000
	// maxBatchBytes keeps a batch transaction under its 4 MiB payload limit.
	maxBatchBytes = 3 << 20
	// pageCountProp is the number of charges in a page entity.
	pageCountProp = "N"
	// maxPageBytes bounds a page's gob (see gobBound), so that even
	// deflated to no gain it stays far under the 1 MiB entity limit.
	maxPageBytes = 400_000
	// binaryChunk is how much of a deflated page goes in one binary
	// property (at most 64 KiB each); a multiple of 3, so the base64 of the
	// chunks also joins into the base64 of the whole.
	binaryChunk = 60_000
	// hospitalCacheTTL is how long an instance reuses the hospital list.
	// Names and details may lag another instance's commit by this much;
	// generations do not (see readPartition).
	hospitalCacheTTL = 30 * time.Second
	// genRecheck is how old the cached list must be before a row of an
	// unknown generation makes a read fetch it again, so that an import in
	// progress elsewhere costs at most one extra read a second.
	genRecheck = time.Second
)

// PriceStore keeps hospitals, charges and the procedures catalog in Table
// Storage. It implements priceline.PriceStore; use one per process, because
// it remembers which partitions an import has already recorded.
type PriceStore struct {
	// AbandonAfter is how old the record of an uncommitted generation must
	// be before a commit deletes its rows as a crashed import's; zero means
	// 6 hours.
	AbandonAfter time.Duration

	hospitals, charges, catalog, hospCodes *aztables.Client
	recorded                               sync.Map // hospital.gen.pk → struct{}

	hospMu    sync.Mutex
	hospList  []hospitalEntity // committed hospitals; shared, never modified
	hospAt    time.Time        // when hospList was read; zero when none
	hospEpoch uint64           // bumped by CommitImport so an older read is not cached
}

var _ priceline.PriceStore = (*PriceStore)(nil)

// priceTables are the price tables' names without the prefix.
var priceTables = []string{hospitalsTable, chargesTable, catalogTable, hospCodesTable, savedTable}

func (c *Client) priceTableNames() []string {
	names := make([]string, len(priceTables))
	for i, t := range priceTables {
		names[i] = c.table(t)
	}
	return names
}

// Prices returns the price store. Call it once and share the result.
func (c *Client) Prices() *PriceStore {
	n := c.priceTableNames()
	return &PriceStore{
		hospitals: c.svc.NewClient(n[0]),
		charges:   c.svc.NewClient(n[1]),
		catalog:   c.svc.NewClient(n[2]),
		hospCodes: c.svc.NewClient(n[3]),
	}
}

// EnsurePriceTables creates the price tables that do not exist yet; it is
// safe to call on every start.
func (c *Client) EnsurePriceTables(ctx context.Context) error {
	return c.ensure(ctx, priceTables...)
}

// keyEncode makes any text safe and order-preserving as part of a table key:
// ASCII letters, digits and "-" stay, every other byte becomes "_XX" (hex).
// The output never holds the separator ".", the range end "~", or any
// character keys forbid (/ \ # ? and control characters), and the encoding of
// a prefix is a prefix of the encoding, so prefix range queries work.
func keyEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02X", c)
	}
	return b.String()
}

// procedureKey is the partition of a code's charges: its normalised type
// and code. Codes too long for a readable key are hashed (they still never
// collide, and a lookup compares nothing else).
func procedureKey(code priceline.Code) string {
	n := priceline.NormalizeCode(code)
	k := keyEncode(n.Type) + "." + keyEncode(n.Code)
	if len(k) > 300 {
		return "H." + hashHex(n.Type, n.Code)
	}
	return k
}

// validGen accepts the generation IDs the ingest service makes: short, and
// only characters that need no encoding in a key.
func validGen(g string) bool {
	if g == "" || len(g) > 64 {
		return false
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func invalidImport(format string, args ...any) error {
	return priceline.Errorf(priceline.KindInvalid, "invalid_import", format, args...)
}

// hospitalEntity is a hospital as stored.
type hospitalEntity struct {
	PartitionKey  string
	RowKey        string
	Name          string
	Locations     string // JSON array
	Addresses     string // JSON array
	LicenseNumber string
	LicenseState  string
	LastUpdatedOn string
	Version       string
	Gen           string // the committed generation; readers see only its rows
}

func (e *hospitalEntity) hospital() priceline.Hospital {
	h := priceline.Hospital{
		ID: e.RowKey, Name: e.Name, LicenseNumber: e.LicenseNumber, LicenseState: e.LicenseState,
		LastUpdatedOn: e.LastUpdatedOn, Version: e.Version,
	}
	_ = json.Unmarshal([]byte(e.Locations), &h.Locations)
	_ = json.Unmarshal([]byte(e.Addresses), &h.Addresses)
	return h
}

func (s *PriceStore) hospitalEntity(ctx context.Context, id string) (*hospitalEntity, error) {
	e, _, err := s.hospitalEntityTag(ctx, id)
	return e, err
}

// hospitalEntityTag is hospitalEntity with the entity's ETag ("" and nil
// when there is no such hospital).
func (s *PriceStore) hospitalEntityTag(ctx context.Context, id string) (*hospitalEntity, azcore.ETag, error) {
	resp, err := s.hospitals.GetEntity(ctx, hospitalPartition, id, nil)
	if err != nil {
		if isStatus(err, 404) && !hasErrorCode(err, aztables.TableNotFound) {
			return nil, "", nil
		}
		return nil, "", translate(err, "read hospital")
	}
	var e hospitalEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return nil, "", translate(err, "decode hospital")
	}
	return &e, resp.ETag, nil
}

// BeginImport refuses a file older than the one the store holds.
func (s *PriceStore) BeginImport(ctx context.Context, h priceline.Hospital, gen string) error {
	if !priceline.IsLowerHex(h.ID, 32) || !validGen(gen) {
		return invalidImport("The hospital ID or import generation is malformed.")
	}
	cur, err := s.hospitalEntity(ctx, h.ID)
	if err != nil {
		return err
	}
	if cur != nil && cur.LastUpdatedOn > h.LastUpdatedOn {
		return priceline.Errorf(priceline.KindConflict, "older_file",
			"The store already has a newer file of %s (last updated %s; this file says %s).", h.Name, cur.LastUpdatedOn, h.LastUpdatedOn)
	}
	return nil
}

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

// compareView keeps the fields of c that CompareRows promises.
func compareView(c *priceline.Charge) priceline.Charge {
	return priceline.Charge{
		HospitalID: c.HospitalID, Gross: c.Gross, DiscountedCash: c.DiscountedCash, Min: c.Min, Max: c.Max,
		Payer: c.Payer, Plan: c.Plan, NegotiatedDollar: c.NegotiatedDollar, NegotiatedPercentage: c.NegotiatedPercentage,
		NegotiatedAlgorithm: c.NegotiatedAlgorithm, Methodology: c.Methodology,
	}
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
	zw, err := flate.NewWriter(&z, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
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

// PutCharges upserts charges as pages (see chargePage) of at most
// maxPageBytes, in one batch transaction per partition (split only if the
// payload would pass 4 MiB). A page's row key is a hash of its content
// under the hospital and generation, and the importer groups a file's rows
// the same way every time, so writing the same charges again overwrites
// them with themselves. Identical charges in one call are stored once.
func (s *PriceStore) PutCharges(ctx context.Context, hospitalID, gen string, code priceline.Code, charges []priceline.Charge) error {
	if !priceline.IsLowerHex(hospitalID, 32) || !validGen(gen) {
		return invalidImport("The hospital ID or import generation is malformed.")
	}
	if len(charges) > priceline.MaxChargeBatch {
		return invalidImport("At most %d charges can be written at once.", priceline.MaxChargeBatch)
	}
	if len(charges) == 0 {
		return nil
	}
	pk := procedureKey(code)
	var pages []*pageBuilder
	seen := map[[32]byte]bool{}
	for i := range charges {
		sc := toStoredCharge(&charges[i])
		body, err := json.Marshal(sc)
		if err != nil {
			return translate(err, "encode charge")
		}
		text := charges[i].TextBytes()
		if text > priceline.MaxChargeTextBytes {
			return priceline.Errorf(priceline.KindInvalid, "charge_too_large",
				"A charge of %s has %d bytes of text; at most %d can be stored.", code.Code, text, priceline.MaxChargeTextBytes)
		}
		if sum := sha256.Sum256(body); seen[sum] {
			continue
		} else {
			seen[sum] = true
		}
		size := gobBound(&charges[i], text)
		if len(pages) == 0 || pages[len(pages)-1].size+size > maxPageBytes {
			pages = append(pages, &pageBuilder{sum: sha256.New()})
		}
		pb := pages[len(pages)-1]
		pb.charges = append(pb.charges, sc)
		pb.sum.Write(body)
		pb.sum.Write([]byte{'\n'})
		pb.size += size
	}
	if err := s.record(ctx, hospitalID, gen, pk); err != nil {
		return err
	}
	var actions []aztables.TransactionAction
	size := 0
	for _, pb := range pages {
		body, err := chargePage(pk, hospitalID+"."+gen+"."+hex.EncodeToString(pb.sum.Sum(nil)[:16]), pb.charges)
		if err != nil {
			return translate(err, "encode charges")
		}
		if size+len(body) > maxBatchBytes && len(actions) > 0 {
			if err := s.submit(ctx, s.charges, actions); err != nil {
				return err
			}
			actions, size = nil, 0
		}
		actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
		size += len(body)
	}
	return s.submit(ctx, s.charges, actions)
}

// submit writes actions of one partition: a single entity as a plain
// upsert (cheaper than a one-entity batch), more as a transaction.
func (s *PriceStore) submit(ctx context.Context, tc *aztables.Client, actions []aztables.TransactionAction) error {
	switch len(actions) {
	case 0:
		return nil
	case 1:
		if actions[0].ActionType == aztables.TransactionTypeDelete {
			var k struct{ PartitionKey, RowKey string }
			_ = json.Unmarshal(actions[0].Entity, &k)
			_, err := tc.DeleteEntity(ctx, k.PartitionKey, k.RowKey, &aztables.DeleteEntityOptions{IfMatch: ptr(azcore.ETagAny)})
			if err != nil && !isStatus(err, 404) {
				return translate(err, "delete entity")
			}
			return nil
		}
		_, err := tc.UpsertEntity(ctx, actions[0].Entity, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
		return translate(err, "upsert entity")
	}
	_, err := tc.SubmitTransaction(ctx, actions, nil)
	return translate(err, "batch write")
}

func ptr[T any](v T) *T { return &v }

// record notes, before the first charge of (hospital, gen) lands in
// partition pk, that it did, so that CommitImport can find stale rows
// without scanning the table; an import that dies half-way leaves its
// partitions recorded and the next commit removes its rows.
func (s *PriceStore) record(ctx context.Context, hospitalID, gen, pk string) error {
	key := hospitalID + "." + gen + "." + pk
	if _, ok := s.recorded.Load(key); ok {
		return nil
	}
	body, err := json.Marshal(entity{"PartitionKey": hospitalID, "RowKey": gen + "." + pk})
	if err != nil {
		return translate(err, "encode partition record")
	}
	if _, err := s.hospCodes.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		return translate(err, "record partition")
	}
	s.recorded.Store(key, struct{}{})
	return nil
}

// PrepareCharges records the partitions of codes for (hospitalID, gen) in
// batch transactions of 100: the records share the hospital's partition.
func (s *PriceStore) PrepareCharges(ctx context.Context, hospitalID, gen string, codes []priceline.Code) error {
	if !priceline.IsLowerHex(hospitalID, 32) || !validGen(gen) {
		return invalidImport("The hospital ID or import generation is malformed.")
	}
	var actions []aztables.TransactionAction
	var keys []string
	seen := map[string]bool{}
	flush := func() error {
		if err := s.submit(ctx, s.hospCodes, actions); err != nil {
			return err
		}
		for _, k := range keys {
			s.recorded.Store(k, struct{}{})
		}
		actions, keys = nil, nil
		return nil
	}
	for _, code := range codes {
		pk := procedureKey(code)
		key := hospitalID + "." + gen + "." + pk
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := s.recorded.Load(key); ok {
			continue
		}
		body, err := json.Marshal(entity{"PartitionKey": hospitalID, "RowKey": gen + "." + pk})
		if err != nil {
			return translate(err, "encode partition record")
		}
		actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
		keys = append(keys, key)
		if len(actions) == priceline.MaxChargeBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// catalogEntity is one entry of the procedures catalog.
type catalogEntity struct {
	PartitionKey string
	RowKey       string
	Code         string
	CodeType     string
	Description  string
}

// maxCatalogDescription keeps catalog entries small; the charges keep the
// full text.
const maxCatalogDescription = 300

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

// PutProcedures upserts a code entry for each procedure and a word entry for
// each word of its description, batched by partition.
func (s *PriceStore) PutProcedures(ctx context.Context, ps []priceline.Procedure) error {
	byPK := map[string]map[string]catalogEntity{}
	add := func(e catalogEntity) {
		if byPK[e.PartitionKey] == nil {
			byPK[e.PartitionKey] = map[string]catalogEntity{}
		}
		byPK[e.PartitionKey][e.RowKey] = e
	}
	for _, p := range ps {
		n := priceline.NormalizeCode(priceline.Code{Code: p.Code, Type: p.CodeType})
		if n.Code == "" || n.Type == "" {
			continue
		}
		base := catalogEntity{Code: p.Code, CodeType: p.CodeType, Description: clipRunes(p.Description, maxCatalogDescription)}
		ce := base
		ce.PartitionKey = codePrefix + keyEncode(firstRunes(n.Code, 1))
		ce.RowKey = keyEncode(n.Code) + "." + keyEncode(n.Type)
		if len(ce.RowKey) > 512 {
			continue // no one types such a code; its charges are still stored
		}
		add(ce)
		words := priceline.SearchWords(p.Description)
		// One set of word entries per distinct description of the code:
		// hospitals describe a procedure differently, and a search checks
		// all its words against one entry's description.
		desc := hashHex(strings.ToLower(base.Description))[:8]
		for _, w := range words[:min(len(words), 12)] {
			we := base
			we.PartitionKey = wordPrefix + keyEncode(firstRunes(w, 2))
			we.RowKey = keyEncode(w) + "." + procedureKey(priceline.Code{Code: p.Code, Type: p.CodeType}) + "." + desc
			if len(we.RowKey) > 512 {
				continue
			}
			add(we)
		}
	}
	for _, rows := range byPK {
		var actions []aztables.TransactionAction
		for _, e := range rows {
			body, err := json.Marshal(e)
			if err != nil {
				return translate(err, "encode catalog entry")
			}
			actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
			if len(actions) == priceline.MaxChargeBatch {
				if err := s.submit(ctx, s.catalog, actions); err != nil {
					return err
				}
				actions = nil
			}
		}
		if err := s.submit(ctx, s.catalog, actions); err != nil {
			return err
		}
	}
	return nil
}

// CommitImport switches the hospital to gen, then deletes the generation
// it replaced and any abandoned one. Readers filter by the hospital's
// generation, so the switch is one atomic entity write and the deletes are
// invisible. The switch is conditional on the hospital entity read just
// before, so two imports of one hospital committing at once cannot let the
// older file win: the loser gets KindConflict "import_conflict".
func (s *PriceStore) CommitImport(ctx context.Context, h priceline.Hospital, gen string) (int, error) {
	if !priceline.IsLowerHex(h.ID, 32) || !validGen(gen) {
		return 0, invalidImport("The hospital ID or import generation is malformed.")
	}
	cur, etag, err := s.hospitalEntityTag(ctx, h.ID)
	if err != nil {
		return 0, err
	}
	if cur != nil && cur.LastUpdatedOn > h.LastUpdatedOn {
		return 0, priceline.Errorf(priceline.KindConflict, "older_file",
			"A newer file of %s was imported meanwhile (last updated %s).", h.Name, cur.LastUpdatedOn)
	}
	locs, addrs := boundedList(h.Locations), boundedList(h.Addresses)
	body, err := json.Marshal(hospitalEntity{
		PartitionKey: hospitalPartition, RowKey: h.ID, Name: h.Name, Locations: string(locs), Addresses: string(addrs),
		LicenseNumber: h.LicenseNumber, LicenseState: h.LicenseState, LastUpdatedOn: h.LastUpdatedOn, Version: h.Version, Gen: gen,
	})
	if err != nil {
		return 0, translate(err, "encode hospital")
	}
	if cur == nil {
		_, err = s.hospitals.AddEntity(ctx, body, nil)
	} else {
		_, err = s.hospitals.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
	}
	s.forgetHospitals() // even on error: the write may have landed
	if isConflictStatus(err) {
		return 0, priceline.Errorf(priceline.KindConflict, "import_conflict",
			"Another import of %s committed while this one ran; import this file again.", h.Name)
	}
	if err != nil {
		return 0, translate(err, "commit import")
	}
	prev := ""
	if cur != nil {
		prev = cur.Gen
	}
	deleted, err := s.deleteStale(ctx, h.ID, gen, prev)
	if err != nil {
		// The switch has happened; only the clean-up is unfinished, and the
		// records it left let a later commit finish it (as abandoned ones).
		return deleted, priceline.Wrap(err, priceline.KindUnavailable, "cleanup_incomplete",
			fmt.Sprintf("The new file of %s is live, but removing the previous file's rows failed; a later import of it will finish that.", h.Name))
	}
	return deleted, nil
}

// boundedList encodes a hospital's locations or addresses as JSON that fits
// one string property; a file listing more than fits keeps the first ones.
func boundedList(xs []string) []byte {
	for {
		b, _ := json.Marshal(xs)
		if len(b) <= chunkBytes || len(xs) == 0 {
			return b
		}
		xs = xs[:len(xs)/2]
	}
}

// deleteStale removes, as recorded in the hospcode table, the rows of
// generation prev (the one keep replaced) and of every other generation
// but keep whose record is older than abandonAfter: an import that crashed.
// A younger record may be an import still running elsewhere, whose rows
// must not vanish under it; a later commit removes them if it dies.
func (s *PriceStore) deleteStale(ctx context.Context, hospitalID, keep, prev string) (int, error) {
	filter := "PartitionKey eq " + odataString(hospitalID)
	sel := "PartitionKey,RowKey,Timestamp"
	pager := s.hospCodes.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	abandoned := time.Now().Add(-s.abandonAfter())
	var stale []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, translate(err, "list hospital partitions")
		}
		for _, raw := range page.Entities {
			var k struct {
				RowKey    string
				Timestamp time.Time
			}
			if err := json.Unmarshal(raw, &k); err != nil {
				return 0, translate(err, "decode hospital partition")
			}
			gen, _, ok := strings.Cut(k.RowKey, ".")
			if ok && gen != keep && (gen == prev || k.Timestamp.Before(abandoned)) {
				stale = append(stale, k.RowKey)
			}
		}
	}
	deleted := 0
	for _, rk := range stale {
		gen, pk, _ := strings.Cut(rk, ".")
		n, err := s.deletePrefix(ctx, pk, hospitalID+"."+gen+".")
		deleted += n
		if err != nil {
			return deleted, err
		}
		if _, err := s.hospCodes.DeleteEntity(ctx, hospitalID, rk, &aztables.DeleteEntityOptions{IfMatch: ptr(azcore.ETagAny)}); err != nil && !isStatus(err, 404) {
			return deleted, translate(err, "delete partition record")
		}
		s.recorded.Delete(hospitalID + "." + rk)
	}
	return deleted, nil
}

// abandonAfter is how old an uncommitted generation's record must be before
// a commit treats the import as dead (default: 6 hours, far beyond any
// import's run time).
func (s *PriceStore) abandonAfter() time.Duration {
	if s.AbandonAfter > 0 {
		return s.AbandonAfter
	}
	return 6 * time.Hour
}

// deletePrefix deletes the charge entities of partition pk whose row keys
// start with prefix, in batches of 100, and returns how many charges they
// held.
func (s *PriceStore) deletePrefix(ctx context.Context, pk, prefix string) (int, error) {
	filter := "PartitionKey eq " + odataString(pk) + " and RowKey ge " + odataString(prefix) + " and RowKey lt " + odataString(prefix+keyRangeEnd)
	sel := "PartitionKey,RowKey," + pageCountProp
	pager := s.charges.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	var keys []string
	var counts []int
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, translate(err, "list stale charges")
		}
		for _, raw := range page.Entities {
			var k struct {
				RowKey string
				N      *int
			}
			if err := json.Unmarshal(raw, &k); err != nil {
				return 0, translate(err, "decode stale charge")
			}
			keys = append(keys, k.RowKey)
			counts = append(counts, 1) // a charge as versions before pages wrote it
			if k.N != nil {
				counts[len(counts)-1] = *k.N
			}
		}
	}
	deleted := 0
	for len(keys) > 0 {
		n := min(len(keys), priceline.MaxChargeBatch)
		rows := 0
		for _, c := range counts[:n] {
			rows += c
		}
		var actions []aztables.TransactionAction
		for _, rk := range keys[:n] {
			body, _ := json.Marshal(entity{"PartitionKey": pk, "RowKey": rk})
			actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: body, IfMatch: ptr(azcore.ETagAny)})
		}
		if err := s.submit(ctx, s.charges, actions); err != nil {
			if !priceline.IsNotFound(err) {
				return deleted, err
			}
			// Someone deleted one meanwhile (a concurrent commit): one
			// by one, where a missing entity is not an error.
			for i := range actions {
				if err := s.submit(ctx, s.charges, actions[i:i+1]); err != nil {
					return deleted, err
				}
			}
		}
		deleted += rows
		keys, counts = keys[n:], counts[n:]
	}
	return deleted, nil
}

// hospitalEntities lists the hospitals that have a committed generation.
func (s *PriceStore) hospitalEntities(ctx context.Context) ([]hospitalEntity, error) {
	filter := "PartitionKey eq " + odataString(hospitalPartition)
	pager := s.hospitals.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	var out []hospitalEntity
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "list hospitals")
		}
		for _, raw := range page.Entities {
			var e hospitalEntity
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, translate(err, "decode hospital")
			}
			if e.Gen != "" {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// forgetHospitals drops the cached hospital list, so that this instance's
// readers see its own commit at once.
func (s *PriceStore) forgetHospitals() {
	s.hospMu.Lock()
	s.hospList, s.hospAt = nil, time.Time{}
	s.hospEpoch++
	s.hospMu.Unlock()
}

// cachedHospitals returns the committed hospitals as read at most maxAge
// ago (reading them if need be) and when they were read. Callers must not
// modify the slice.
func (s *PriceStore) cachedHospitals(ctx context.Context, maxAge time.Duration) ([]hospitalEntity, time.Time, error) {
	s.hospMu.Lock()
	list, at, epoch := s.hospList, s.hospAt, s.hospEpoch
	s.hospMu.Unlock()
	if !at.IsZero() && time.Since(at) < maxAge {
		return list, at, nil
	}
	at = time.Now()
	list, err := s.hospitalEntities(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	s.hospMu.Lock()
	// A commit since the read started may not be in list: do not keep it.
	if s.hospEpoch == epoch && at.After(s.hospAt) {
		s.hospList, s.hospAt = list, at
	}
	s.hospMu.Unlock()
	return list, at, nil
}

// Hospitals lists the committed hospitals, in the store's key order. The
// list may be up to hospitalCacheTTL older than another instance's commit.
func (s *PriceStore) Hospitals(ctx context.Context) ([]priceline.Hospital, error) {
	es, _, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	out := make([]priceline.Hospital, 0, len(es))
	for i := range es {
		out = append(out, es[i].hospital())
	}
	return out, nil
}

// ChargesFor reads the procedure's partition once and keeps the rows of
// each hospital's committed generation.
func (s *PriceStore) ChargesFor(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	return readPartition(ctx, s, code)
}

// CompareRows is ChargesFor with only the fields a comparison reads: pages
// hold whole charges, so there is nothing smaller to read.
func (s *PriceStore) CompareRows(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	cs, err := readPartition(ctx, s, code)
	for i := range cs {
		cs[i] = compareView(&cs[i])
	}
	return cs, err
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

// readPartition reads the procedure's partition and returns the charges of
// each hospital's committed generation. The hospital list may be cached; a
// row of a generation the list does not name (another instance's commit,
// or an import in progress) makes it read the list again, so that a commit
// elsewhere shows at once — and since rows are kept by generation, never as
// a mix of two files.
func readPartition(ctx context.Context, s *PriceStore, code priceline.Code) ([]priceline.Charge, error) {
	n := priceline.NormalizeCode(code)
	if n.Code == "" || n.Type == "" {
		return nil, nil
	}
	hs, at, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	filter := "PartitionKey eq " + odataString(procedureKey(code))
	pager := s.charges.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	type row struct {
		hospitalID, gen string
		page            pageEntity
	}
	var rows []row
	read, held := 0, 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "read charges")
		}
		for _, raw := range page.Entities {
			p, err := decodePageEntity(raw)
			if err != nil {
				return nil, translate(err, "decode charge")
			}
			// N is not checked yet (charges does): count at least one row
			// and at most a page's, and bound the bytes held as well.
			read += min(max(p.N, 1), priceline.MaxChargeBatch)
			held += len(raw)
			if read > maxPartitionRows || held > maxPartitionBytes {
				return nil, priceline.Errorf(priceline.KindUnavailable, "procedure_too_large", "This procedure has too many prices to show at once.")
			}
			parts := strings.SplitN(p.RowKey, ".", 3)
			if len(parts) == 3 {
				rows = append(rows, row{hospitalID: parts[0], gen: parts[1], page: p})
			}
		}
	}
	gens := generations(hs)
	if time.Since(at) >= genRecheck && slices.ContainsFunc(rows, func(r row) bool { return gens[r.hospitalID] != r.gen }) {
		if hs, _, err = s.cachedHospitals(ctx, 0); err != nil {
			return nil, err
		}
		gens = generations(hs)
	}
	var out []priceline.Charge
	for _, r := range rows {
		if g := gens[r.hospitalID]; g == "" || g != r.gen {
			continue
		}
		cs, err := r.page.charges(r.hospitalID)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// generations maps each committed hospital to its current generation.
func generations(hs []hospitalEntity) map[string]string {
	gens := make(map[string]string, len(hs))
	for _, h := range hs {
		gens[h.RowKey] = h.Gen
	}
	return gens
}

// Procedures searches the catalog: code entries whose normalised code starts
// with q (revenue codes also without leading zeros), then entries whose
// description has a word starting with each word of q. Every key in a
// filter is built from encoded values, so q cannot change the query.
//
// A word search reads the index range of one word of q only, the longest
// (usually the rarest), and checks the other words against the entry's
// description, stopping once it has limit procedures: Azurite's cost, and
// Table Storage's, grows with every entity a query returns, and a common
// word has thousands.
func (s *PriceStore) Procedures(ctx context.Context, q string, limit int) ([]priceline.Procedure, error) {
	if limit <= 0 {
		return nil, nil
	}
	q = strings.TrimSpace(q)
	var byCode, byWords []catalogEntity
	var codeErr, wordErr error
	var wg sync.WaitGroup
	code := strings.ToUpper(q)
	if code != "" && !strings.ContainsAny(code, " \t") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			byCode, codeErr = s.codeMatches(ctx, code, limit)
		}()
	}
	if words := priceline.SearchWords(q); len(words) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			byWords, wordErr = s.wordMatches(ctx, words, limit)
		}()
	}
	wg.Wait()
	if err := cmp.Or(codeErr, wordErr); err != nil {
		return nil, err
	}
	var out []priceline.Procedure
	seen := map[string]bool{}
	for _, e := range append(byCode, byWords...) {
		k := procedureKey(priceline.Code{Code: e.Code, Type: e.CodeType})
		if !seen[k] && len(out) < limit {
			seen[k] = true
			out = append(out, priceline.Procedure{Code: e.Code, CodeType: e.CodeType, Description: e.Description})
		}
	}
	return out, nil
}

// codeMatches reads up to limit code entries starting with code, and for a
// code with leading zeros, revenue codes without them.
func (s *PriceStore) codeMatches(ctx context.Context, code string, limit int) ([]catalogEntity, error) {
	var out []catalogEntity
	for i, prefix := range []string{code, strings.TrimLeft(code, "0")} {
		if prefix == "" || (i == 1 && prefix == code) {
			continue
		}
		err := s.catalogScan(ctx, codePrefix+keyEncode(firstRunes(prefix, 1)), keyEncode(prefix), limit, "", func(e catalogEntity) bool {
			if i == 1 && !strings.EqualFold(e.CodeType, "RC") {
				return false // only revenue codes match without their zeros
			}
			out = append(out, e)
			return len(out) >= limit
		})
		if err != nil || len(out) >= limit {
			return out, err
		}
	}
	return out, nil
}

// wordMatches finds procedures with a description word starting with each
// of words. First the index range of the longest word, keeping entries
// whose description (each distinct description of a procedure has its own
// entries) has every word, until limit procedures are found. Only when that
// finds none are the other words' ranges read (row keys only, up to 1,000
// entries each) and intersected by procedure, for a query that mixes the
// words of two hospitals' descriptions: that costs a range per word, so it
// is the last resort, not the rule.
func (s *PriceStore) wordMatches(ctx context.Context, words []string, limit int) ([]catalogEntity, error) {
	longest := slices.MaxFunc(words, func(a, b string) int { return cmp.Compare(utf8.RuneCountInString(a), utf8.RuneCountInString(b)) })
	var out, all []catalogEntity
	seen := map[string]bool{}
	err := s.catalogScan(ctx, wordPrefix+keyEncode(firstRunes(longest, 2)), keyEncode(longest), limit, "", func(e catalogEntity) bool {
		all = append(all, e)
		if seen[procOf(e)] || !hasWords(e.Description, words) {
			return false
		}
		seen[procOf(e)] = true
		out = append(out, e)
		return len(out) >= limit
	})
	if err != nil || len(out) > 0 || len(words) == 1 || len(words) > maxIntersectWords {
		return out, err
	}
	others := slices.DeleteFunc(slices.Clone(words), func(w string) bool { return w == longest })
	sets := make([]map[string]bool, len(others))
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	for i, w := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sets[i] = map[string]bool{}
			errs[i] = s.catalogScan(ctx, wordPrefix+keyEncode(firstRunes(w, 2)), keyEncode(w), maxWordMatches, "RowKey", func(e catalogEntity) bool {
				sets[i][procOf(e)] = true
				return false
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, e := range all {
		pk := procOf(e)
		if seen[pk] || slices.ContainsFunc(sets, func(set map[string]bool) bool { return !set[pk] }) {
			continue
		}
		seen[pk] = true
		out = append(out, e)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// procOf is the procedure key of a word entry: the row key is
// word.procedure key.description hash (versions before the hash wrote
// word.procedure key), and neither word nor description hash has a ".".
func procOf(e catalogEntity) string {
	rest := e.RowKey[strings.IndexByte(e.RowKey, '.')+1:]
	if strings.Count(rest, ".") == 2 {
		rest = rest[:strings.LastIndexByte(rest, '.')]
	}
	return rest
}

// hasWords reports whether every word starts a word of description.
func hasWords(description string, words []string) bool {
	have := priceline.SearchWords(description)
	for _, w := range words {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// catalogScan reads the catalog entries of partition pk whose row key starts
// with prefix, in key order, passing each to keep until keep returns true
// or maxWordMatches entries were read. The first request asks for first
// entries (the caller's limit: enough when keep rarely refuses), later ones
// for 100, so a search costs at most 1 + maxWordMatches/100 requests
// whatever limit it was given. sel "" reads the fields of catalogEntity.
func (s *PriceStore) catalogScan(ctx context.Context, pk, prefix string, first int, sel string, keep func(catalogEntity) bool) error {
	if sel == "" {
		sel = "RowKey,Code,CodeType,Description"
	}
	lower := "RowKey ge " + odataString(prefix)
	top := min(max(first, 1), maxWordMatches)
	for read := 0; read < maxWordMatches; top = min(100, maxWordMatches-read) {
		filter := "PartitionKey eq " + odataString(pk) + " and " + lower + " and RowKey lt " + odataString(prefix+keyRangeEnd)
		t := int32(min(top, maxWordMatches-read))
		pager := s.catalog.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel, Top: &t})
		resp, err := pager.NextPage(ctx)
		// Table Storage may answer a page with no entities and a
		// continuation (it stops a query after 5 s); follow it, a bounded
		// number of times.
		for skips := 0; err == nil && len(resp.Entities) == 0 && pager.More() && skips < 10; skips++ {
			resp, err = pager.NextPage(ctx)
		}
		if err != nil {
			return translate(err, "search procedures")
		}
		last := ""
		for _, raw := range resp.Entities {
			var e catalogEntity
			if err := json.Unmarshal(raw, &e); err != nil {
				return translate(err, "decode procedure")
			}
			read++
			last = e.RowKey
			if keep(e) || read >= maxWordMatches {
				return nil
			}
		}
		// Fewer than asked and no continuation: the range is exhausted.
		if last == "" || (len(resp.Entities) < int(t) && !pager.More()) {
			return nil
		}
		lower = "RowKey gt " + odataString(last)
	}
	return nil
}
