package tablestorage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// Charges are filed in chargeBuckets partitions ("b." and two hex digits,
// chosen by a hash of the procedure key), under row keys that start with
// the procedure key: procedureKey.hospital.generation.pagehash. A batch
// transaction cannot span partitions, so when every procedure had a
// partition of its own, a file with a handful of rows per procedure cost
// one request per procedure; in buckets, one batch carries the pages of up
// to 100 procedures, and a read is still one query (the bucket and a row-key
// range). The bucket is fixed by the procedure alone, so a reader computes
// it from the code. Lower-case "b." never starts a procedure key (upper
// case, digits, "-", "_" or "H.") nor a service partition ("S~").
const (
	chargeBuckets = 64
	bucketPrefix  = "b."
	// pagesProp is the property of a bucket record that lists the pages
	// one batch wrote (see bucketRecord).
	pagesProp = "Pages"
	// bucketWriters is how many bucket batches one PutChargeGroups call,
	// or one commit's clean-up, has in flight: enough to keep the table
	// service busy between one request and the next.
	bucketWriters = 4
	// layoutBuckets marks a hospital whose committed generation is stored
	// in buckets; a hospital without it was committed by a version that
	// filed charges by procedure partition, which reads still query.
	layoutBuckets = "b"
)

// chargeBucket is the partition that holds the pages of procedure key pk.
func chargeBucket(pk string) string {
	sum := sha256.Sum256([]byte(pk))
	return fmt.Sprintf("%s%02x", bucketPrefix, sum[0]%chargeBuckets)
}

// bucketFilter selects the pages of procedure key pk: its bucket and the
// row keys that start with pk and the separator. A procedure key holds no
// "." of its own but the one between type and code, so no other
// procedure's keys share that prefix.
func bucketFilter(pk string) string {
	return "PartitionKey eq " + odataString(chargeBucket(pk)) + " and RowKey ge " + odataString(pk+".") +
		" and RowKey lt " + odataString(pk+"."+keyRangeEnd)
}

// bucketPage is one page on its way to a bucket.
type bucketPage struct {
	bucket, pk, rowKey, hash string
	n                        int
	body                     []byte
}

// bucketBatch is up to MaxChargeBatch pages of one bucket, under
// maxBatchBytes, written in one transaction after its record.
type bucketBatch struct {
	bucket  string
	pages   []bucketPage
	bytes   int
	listing int
}

// bucketRecord is the hospcode entity that tells a commit which pages a
// batch wrote: RowKey generation.bucket.hash of the listing, and Pages the
// listing, "procedureKey pagehash N" for each page, space-separated. It is
// written before the batch, so a crash leaves nothing it does not name,
// and a commit deletes exactly those pages, with no query: a bucket's
// pages cannot be found by a row-key range of the hospital and generation,
// because the procedure comes first so that reads can use one.
func (b *bucketBatch) record(hospitalID, gen string) ([]byte, error) {
	var l strings.Builder
	for i, p := range b.pages {
		if i > 0 {
			l.WriteByte(' ')
		}
		l.WriteString(p.pk + " " + p.hash + " " + strconv.Itoa(p.n))
	}
	sum := sha256.Sum256([]byte(l.String()))
	return json.Marshal(entity{"PartitionKey": hospitalID, "RowKey": gen + "." + b.bucket + "." + hex.EncodeToString(sum[:8]), pagesProp: l.String()})
}

// PutChargeGroups writes the groups' pages into their buckets: one record
// per batch first (in transactions of 100, one partition per hospital),
// then one transaction per batch, bucketWriters at a time. Every group is
// checked and encoded before anything is written.
func (s *PriceStore) PutChargeGroups(ctx context.Context, hospitalID, gen string, groups []priceline.ChargeGroup) error {
	if err := priceline.ValidChargeGroups(hospitalID, gen, groups); err != nil {
		return err
	}
	var pages []bucketPage
	seen := map[string]bool{} // a transaction may not hold one entity twice
	for _, g := range groups {
		built, err := buildPages(g.Charges)
		if err != nil {
			return err
		}
		pk := procedureKey(g.Code)
		bucket := chargeBucket(pk)
		for _, pb := range built {
			hash := hex.EncodeToString(pb.sum.Sum(nil)[:16])
			rk := pk + "." + hospitalID + "." + gen + "." + hash
			if seen[rk] {
				continue
			}
			seen[rk] = true
			body, err := chargePage(bucket, rk, pb.charges)
			if err != nil {
				return translate(err, "encode charges")
			}
			pages = append(pages, bucketPage{bucket: bucket, pk: pk, rowKey: rk, hash: hash, n: len(pb.charges), body: body})
		}
	}
	batches := planBatches(pages)
	txs, err := recordTransactions(hospitalID, gen, batches)
	if err != nil {
		return err
	}
	for _, tx := range txs {
		if err := s.submit(ctx, s.hospCodes, tx); err != nil {
			return err
		}
	}
	return inParallel(ctx, bucketWriters, len(batches), func(ctx context.Context, i int) error {
		actions := make([]aztables.TransactionAction, len(batches[i].pages))
		for j, p := range batches[i].pages {
			actions[j] = aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: p.body}
		}
		return s.submit(ctx, s.charges, actions)
	})
}

// planBatches files pages, in order, into batches: a page joins the
// newest batch of its bucket while that fits it (see fits), or starts
// one. The batches come in the order they were started.
func planBatches(pages []bucketPage) []*bucketBatch {
	newest := map[string]*bucketBatch{}
	var batches []*bucketBatch
	for _, p := range pages {
		listing := len(p.pk) + len(p.hash) + 6
		b := newest[p.bucket]
		if b == nil || !b.fits(len(p.body), listing) {
			b = &bucketBatch{bucket: p.bucket}
			newest[p.bucket] = b
			batches = append(batches, b)
		}
		b.pages = append(b.pages, p)
		b.bytes += len(p.body)
		b.listing += listing
	}
	return batches
}

// recordTransactions encodes the record of each batch, in transactions of
// at most MaxChargeBatch: the records of one hospital share its partition.
func recordTransactions(hospitalID, gen string, batches []*bucketBatch) ([][]aztables.TransactionAction, error) {
	var txs [][]aztables.TransactionAction
	for i, b := range batches {
		body, err := b.record(hospitalID, gen)
		if err != nil {
			return nil, translate(err, "encode bucket record")
		}
		if i%priceline.MaxChargeBatch == 0 {
			txs = append(txs, nil)
		}
		txs[len(txs)-1] = append(txs[len(txs)-1], aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
	}
	return txs, nil
}

// fits reports whether a page of size bytes, listed in listing bytes,
// still fits the batch: at most MaxChargeBatch entities, maxBatchBytes of
// payload, and a listing that fits one string property.
func (b *bucketBatch) fits(size, listing int) bool {
	return len(b.pages) < priceline.MaxChargeBatch && b.bytes+size <= maxBatchBytes && b.listing+listing <= chunkBytes
}

// deleteRecordedPages deletes the pages a bucket record lists (RowKey
// gen.bucket.hash) and returns how many charges they held; pages already
// gone (deleted by a concurrent commit, or never written because the
// import died between its record and its batch) count as none. A listing
// that is not triples, or a count that is not a number, is a corrupt
// record: an error that keeps the record, rather than a record deleted
// with the pages it names left behind for good.
func (s *PriceStore) deleteRecordedPages(ctx context.Context, hospitalID, gen, bucket, listing string) (int, error) {
	f := strings.Fields(listing)
	if len(f)%3 != 0 {
		return 0, corruptRecord(gen, fmt.Errorf("%d fields, not triples of procedure, page hash and count", len(f)))
	}
	var keys []string
	var counts []int
	for i := 0; i < len(f); i += 3 {
		n, err := strconv.Atoi(f[i+2])
		if err != nil {
			return 0, corruptRecord(gen, err)
		}
		keys = append(keys, f[i]+"."+hospitalID+"."+gen+"."+f[i+1])
		counts = append(counts, n)
	}
	return deleteKeys(ctx, s.charges, bucket, keys, counts, "charge page")
}

func corruptRecord(gen string, err error) error {
	return priceline.Wrap(fmt.Errorf("bucket record of %s: %w", gen, err), priceline.KindInternal, "corrupt_record", "A stored import record cannot be read.")
}
