package tablestorage

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// Price tables. Names stay at 8 characters or fewer so that any prefix the
// users tables accept also fits the 63-character table-name limit.
const (
	hospitalsTable = "hospital" // PK "h", RK hospital ID
	chargesTable   = "charges"  // PK bucket, RK procedure key.hospital.generation.pagehash (buckets.go)
	catalogTable   = "catalog"  // procedures catalog: code-prefix and word entries
	hospCodesTable = "hospcode" // PK hospital ID, RK generation.bucket.hash (or .partition): where a generation wrote
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
	// procedure, it keeps a pathological procedure from exhausting memory.
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
	// chunkBytes bounds what one string property holds (64 KiB, 32 K
	// UTF-16 units, even all-BMP): a hospital's locations or addresses as
	// JSON, and a bucket record's listing of pages (buckets.go).
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

	log            *slog.Logger
	oldLayoutNoted atomic.Bool // the notice of noteOldLayout was logged
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
		log:       c.logger,
	}
}
