package tablestorage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	// maxWordMatches bounds the catalog entries read per search word.
	maxWordMatches = 1000
	// chunkBytes is how much of a charge's JSON goes in one string property:
	// below the 64 KiB (32 K UTF-16 units) limit even for all-BMP text.
	chunkBytes = 30_000
	// maxBatchBytes keeps a batch transaction under its 4 MiB payload limit.
	maxBatchBytes = 3 << 20
	// compareProp holds a charge's compare fields (compareFields as JSON)
	// beside its full JSON, so a comparison can select only it: Azurite's
	// cost, and ours, grows with the bytes of every entity read.
	compareProp = "S"
	// maxCompareBytes bounds compareProp; a charge whose compare fields are
	// longer (pathological free text) goes without it, and a comparison that
	// meets such a row reads the partition in full instead.
	maxCompareBytes = 4096
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
	resp, err := s.hospitals.GetEntity(ctx, hospitalPartition, id, nil)
	if err != nil {
		if isStatus(err, 404) && !hasErrorCode(err, aztables.TableNotFound) {
			return nil, nil
		}
		return nil, translate(err, "read hospital")
	}
	var e hospitalEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return nil, translate(err, "decode hospital")
	}
	return &e, nil
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

// chargeEntityJSON builds the entity of one charge. The charge travels as
// JSON split into string properties C0, C1, … of at most chunkBytes each.
func chargeEntityJSON(pk, hospitalID, gen string, c *priceline.Charge) ([]byte, string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	rk := hospitalID + "." + gen + "." + hex.EncodeToString(sum[:16])
	e := entity{"PartitionKey": pk, "RowKey": rk}
	s := string(body)
	for i := 0; s != ""; i++ {
		n := min(len(s), chunkBytes)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		e[fmt.Sprintf("C%d", i)] = s[:n]
		s = s[n:]
	}
	if cf, err := json.Marshal(toCompareFields(c)); err == nil && len(cf) <= maxCompareBytes {
		e[compareProp] = string(cf)
	}
	out, err := json.Marshal(e)
	return out, rk, err
}

// compareMoney is a Money in compareFields: absent when not set.
type compareMoney struct {
	D string `json:"d"`
	C int64  `json:"c"`
}

func toCompareMoney(m priceline.Money) *compareMoney {
	if !m.Set {
		return nil
	}
	return &compareMoney{D: m.Decimal, C: m.Cents}
}

func (m *compareMoney) money() priceline.Money {
	if m == nil {
		return priceline.Money{}
	}
	return priceline.Money{Decimal: m.D, Cents: m.C, Set: true}
}

// compareFields are the fields of a charge that priceline.Compare reads,
// with short names because every comparison reads them for every row.
type compareFields struct {
	Gross       *compareMoney `json:"g,omitempty"`
	Cash        *compareMoney `json:"dc,omitempty"`
	Min         *compareMoney `json:"mn,omitempty"`
	Max         *compareMoney `json:"mx,omitempty"`
	Payer       string        `json:"p,omitempty"`
	Plan        string        `json:"pl,omitempty"`
	Negotiated  *compareMoney `json:"nd,omitempty"`
	Percentage  string        `json:"np,omitempty"`
	Algorithm   string        `json:"na,omitempty"`
	Methodology string        `json:"m,omitempty"`
}

func toCompareFields(c *priceline.Charge) compareFields {
	return compareFields{
		Gross: toCompareMoney(c.Gross), Cash: toCompareMoney(c.DiscountedCash), Min: toCompareMoney(c.Min), Max: toCompareMoney(c.Max),
		Payer: c.Payer, Plan: c.Plan, Negotiated: toCompareMoney(c.NegotiatedDollar), Percentage: c.NegotiatedPercentage,
		Algorithm: c.NegotiatedAlgorithm, Methodology: c.Methodology,
	}
}

func (f *compareFields) charge(hospitalID string) priceline.Charge {
	return priceline.Charge{
		HospitalID: hospitalID, Gross: f.Gross.money(), DiscountedCash: f.Cash.money(), Min: f.Min.money(), Max: f.Max.money(),
		Payer: f.Payer, Plan: f.Plan, NegotiatedDollar: f.Negotiated.money(), NegotiatedPercentage: f.Percentage,
		NegotiatedAlgorithm: f.Algorithm, Methodology: f.Methodology,
	}
}

// PutCharges upserts charges as one batch transaction per partition (split
// only if the payload would pass 4 MiB). Row keys are a hash of the charge
// under the hospital and generation, so writing the same charges again
// overwrites them with themselves.
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
	if err := s.record(ctx, hospitalID, gen, pk); err != nil {
		return err
	}
	var actions []aztables.TransactionAction
	size := 0
	seen := map[string]bool{}
	for i := range charges {
		body, rk, err := chargeEntityJSON(pk, hospitalID, gen, &charges[i])
		if err != nil {
			return translate(err, "encode charge")
		}
		if seen[rk] {
			continue // an identical row: a batch may not name an entity twice
		}
		seen[rk] = true
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
		for _, w := range words[:min(len(words), 12)] {
			we := base
			we.PartitionKey = wordPrefix + keyEncode(firstRunes(w, 2))
			we.RowKey = keyEncode(w) + "." + procedureKey(priceline.Code{Code: p.Code, Type: p.CodeType})
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

// CommitImport switches the hospital to gen, then deletes every other
// generation's rows. Readers filter by the hospital's generation, so the
// switch is one atomic entity write and the deletes are invisible.
func (s *PriceStore) CommitImport(ctx context.Context, h priceline.Hospital, gen string) (int, error) {
	if !priceline.IsLowerHex(h.ID, 32) || !validGen(gen) {
		return 0, invalidImport("The hospital ID or import generation is malformed.")
	}
	cur, err := s.hospitalEntity(ctx, h.ID)
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
	_, err = s.hospitals.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
	s.forgetHospitals() // even on error: the write may have landed
	if err != nil {
		return 0, translate(err, "commit import")
	}
	return s.deleteStale(ctx, h.ID, gen)
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

// deleteStale removes the rows of every generation of hospitalID other than
// keep, partition by partition, as recorded in the hospcode table.
func (s *PriceStore) deleteStale(ctx context.Context, hospitalID, keep string) (int, error) {
	filter := "PartitionKey eq " + odataString(hospitalID)
	sel := "PartitionKey,RowKey"
	pager := s.hospCodes.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	var stale []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, translate(err, "list hospital partitions")
		}
		for _, raw := range page.Entities {
			var k struct{ RowKey string }
			if err := json.Unmarshal(raw, &k); err != nil {
				return 0, translate(err, "decode hospital partition")
			}
			if gen, _, ok := strings.Cut(k.RowKey, "."); ok && gen != keep {
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

// deletePrefix deletes the charges of partition pk whose row keys start with
// prefix, in batches of 100.
func (s *PriceStore) deletePrefix(ctx context.Context, pk, prefix string) (int, error) {
	filter := "PartitionKey eq " + odataString(pk) + " and RowKey ge " + odataString(prefix) + " and RowKey lt " + odataString(prefix+keyRangeEnd)
	sel := "PartitionKey,RowKey"
	pager := s.charges.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	var keys []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, translate(err, "list stale charges")
		}
		for _, raw := range page.Entities {
			var k struct{ RowKey string }
			if err := json.Unmarshal(raw, &k); err != nil {
				return 0, translate(err, "decode stale charge")
			}
			keys = append(keys, k.RowKey)
		}
	}
	deleted := 0
	for len(keys) > 0 {
		n := min(len(keys), priceline.MaxChargeBatch)
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
		deleted += n
		keys = keys[n:]
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
	rows, err := readPartition(ctx, s, code, "", func(raw []byte) (string, map[string]any, error) {
		var props map[string]any
		err := json.Unmarshal(raw, &props)
		rk, _ := props["RowKey"].(string)
		return rk, props, err
	})
	if err != nil {
		return nil, err
	}
	var out []priceline.Charge
	for _, r := range rows {
		c, err := decodeCharge(r.v)
		if err != nil {
			return nil, translate(err, "decode charge")
		}
		c.HospitalID = r.hospitalID
		out = append(out, c)
	}
	return out, nil
}

// CompareRows reads only the row keys and compare fields of the procedure's
// partition. A committed row written without them (by an older version, or
// with pathologically long text) makes it read the partition in full.
func (s *PriceStore) CompareRows(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	type keyed struct {
		RowKey string
		S      string
	}
	rows, err := readPartition(ctx, s, code, "RowKey,"+compareProp, func(raw []byte) (string, string, error) {
		var e keyed
		err := json.Unmarshal(raw, &e)
		return e.RowKey, e.S, err
	})
	if err != nil {
		return nil, err
	}
	var out []priceline.Charge
	for _, r := range rows {
		if r.v == "" {
			return s.compareRowsInFull(ctx, code)
		}
		var f compareFields
		if err := json.Unmarshal([]byte(r.v), &f); err != nil {
			return nil, translate(err, "decode charge")
		}
		out = append(out, f.charge(r.hospitalID))
	}
	return out, nil
}

// compareRowsInFull is CompareRows from the charges' full JSON.
func (s *PriceStore) compareRowsInFull(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	full, err := s.ChargesFor(ctx, code)
	if err != nil {
		return nil, err
	}
	for i := range full {
		f := toCompareFields(&full[i])
		full[i] = f.charge(full[i].HospitalID)
	}
	return full, nil
}

// partitionRow is an entity of a procedure's partition, decoded by the
// reader that asked for it.
type partitionRow[T any] struct {
	hospitalID, gen string
	v               T
}

// readPartition reads the procedure's partition (only the properties of
// sel, "" for all) and returns the rows of each hospital's committed
// generation, decoded by decode, which also gives each row's key. The
// hospital list may be cached; a row of a generation the list does not name
// (another instance's commit, or an import in progress) makes it read the
// list again, so that a commit elsewhere shows at once — and since rows are
// kept by generation, never as a mix of two files.
func readPartition[T any](ctx context.Context, s *PriceStore, code priceline.Code, sel string, decode func(raw []byte) (string, T, error)) ([]partitionRow[T], error) {
	n := priceline.NormalizeCode(code)
	if n.Code == "" || n.Type == "" {
		return nil, nil
	}
	hs, at, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	filter := "PartitionKey eq " + odataString(procedureKey(code))
	opts := &aztables.ListEntitiesOptions{Filter: &filter}
	if sel != "" {
		opts.Select = &sel
	}
	pager := s.charges.NewListEntitiesPager(opts)
	var rows []partitionRow[T]
	read := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "read charges")
		}
		for _, raw := range page.Entities {
			read++
			if read > maxPartitionRows {
				return nil, priceline.Errorf(priceline.KindUnavailable, "procedure_too_large", "This procedure has too many prices to show at once.")
			}
			rk, v, err := decode(raw)
			if err != nil {
				return nil, translate(err, "decode charge")
			}
			parts := strings.SplitN(rk, ".", 3)
			if len(parts) == 3 {
				rows = append(rows, partitionRow[T]{hospitalID: parts[0], gen: parts[1], v: v})
			}
		}
	}
	gens := generations(hs)
	if time.Since(at) >= genRecheck && slices.ContainsFunc(rows, func(r partitionRow[T]) bool { return gens[r.hospitalID] != r.gen }) {
		if hs, _, err = s.cachedHospitals(ctx, 0); err != nil {
			return nil, err
		}
		gens = generations(hs)
	}
	kept := rows[:0]
	for _, r := range rows {
		if g := gens[r.hospitalID]; g != "" && g == r.gen {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// generations maps each committed hospital to its current generation.
func generations(hs []hospitalEntity) map[string]string {
	gens := make(map[string]string, len(hs))
	for _, h := range hs {
		gens[h.RowKey] = h.Gen
	}
	return gens
}

// decodeCharge joins and decodes the JSON chunks of a charge entity.
func decodeCharge(props map[string]any) (priceline.Charge, error) {
	var b strings.Builder
	for i := 0; ; i++ {
		s, ok := props[fmt.Sprintf("C%d", i)].(string)
		if !ok {
			break
		}
		b.WriteString(s)
	}
	var c priceline.Charge
	if err := json.Unmarshal([]byte(b.String()), &c); err != nil {
		return priceline.Charge{}, err
	}
	return c, nil
}

// Procedures searches the catalog: code entries whose normalised code starts
// with q (revenue codes also without leading zeros), then entries whose
// description has a word starting with each word of q. Every key in a
// filter is built from encoded values, so q cannot change the query.
func (s *PriceStore) Procedures(ctx context.Context, q string, limit int) ([]priceline.Procedure, error) {
	if limit <= 0 {
		return nil, nil
	}
	q = strings.TrimSpace(q)
	var out []priceline.Procedure
	seen := map[string]bool{}
	add := func(e catalogEntity) bool {
		k := procedureKey(priceline.Code{Code: e.Code, Type: e.CodeType})
		if !seen[k] {
			seen[k] = true
			out = append(out, priceline.Procedure{Code: e.Code, CodeType: e.CodeType, Description: e.Description})
		}
		return len(out) >= limit
	}
	code := strings.ToUpper(q)
	if code != "" && !strings.ContainsAny(code, " \t") {
		for i, prefix := range []string{code, strings.TrimLeft(code, "0")} {
			if prefix == "" || (i == 1 && prefix == code) {
				continue
			}
			es, err := s.catalogRange(ctx, codePrefix+keyEncode(firstRunes(prefix, 1)), keyEncode(prefix), limit)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if i == 1 && !strings.EqualFold(e.CodeType, "RC") {
					continue // only revenue codes match without their zeros
				}
				if add(e) {
					return out, nil
				}
			}
		}
	}
	words := priceline.SearchWords(q)
	if len(words) == 0 {
		return out, nil
	}
	var matches []catalogEntity
	for i, w := range words[:min(len(words), 6)] {
		es, err := s.catalogRange(ctx, wordPrefix+keyEncode(firstRunes(w, 2)), keyEncode(w), maxWordMatches)
		if err != nil {
			return nil, err
		}
		keys := map[string]bool{}
		for _, e := range es {
			keys[e.RowKey[strings.IndexByte(e.RowKey, '.')+1:]] = true
		}
		if i == 0 {
			matches = es
			continue
		}
		kept := matches[:0]
		for _, m := range matches {
			if keys[m.RowKey[strings.IndexByte(m.RowKey, '.')+1:]] {
				kept = append(kept, m)
			}
		}
		matches = kept
	}
	for _, e := range matches {
		if add(e) {
			break
		}
	}
	return out, nil
}

// catalogRange reads up to top catalog entries of partition pk whose row key
// starts with prefix.
func (s *PriceStore) catalogRange(ctx context.Context, pk, prefix string, top int) ([]catalogEntity, error) {
	filter := "PartitionKey eq " + odataString(pk) + " and RowKey ge " + odataString(prefix) + " and RowKey lt " + odataString(prefix+keyRangeEnd)
	t := int32(min(top, 1000))
	pager := s.catalog.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Top: &t})
	var out []catalogEntity
	for pager.More() && len(out) < top {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "search procedures")
		}
		for _, raw := range page.Entities {
			var e catalogEntity
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, translate(err, "decode procedure")
			}
			out = append(out, e)
		}
	}
	return out[:min(len(out), top)], nil
}
