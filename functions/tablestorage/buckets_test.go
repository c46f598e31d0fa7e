package tablestorage

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// testPages returns n pages of bucket whose procedure key makes each one's
// listing entry listing bytes long, and whose bodies are size bytes.
func testPages(n int, bucket string, listing, size int) []bucketPage {
	hash := strings.Repeat("f", 32)
	pages := make([]bucketPage, n)
	for i := range pages {
		pk := fmt.Sprintf("%0*d", listing-len(hash)-6, i)
		pages[i] = bucketPage{bucket: bucket, pk: pk, hash: hash, n: 1, body: make([]byte, size)}
	}
	return pages
}

// planBatches splits a bucket's pages at each of a transaction's limits,
// and exactly at them: MaxChargeBatch entities, maxBatchBytes of payload,
// a listing of chunkBytes (one string property of the bucket record).
func TestPlanBatchesSplitsAtEachLimit(t *testing.T) {
	interleaved := append(testPages(3, "b.01", 60, 10), testPages(2, "b.02", 60, 10)...)
	interleaved[1], interleaved[3] = interleaved[3], interleaved[1]
	for _, tc := range []struct {
		name  string
		pages []bucketPage
		want  []int // pages per batch, in the order the batches started
	}{
		{"none", nil, nil},
		{"100 pages fill one batch", testPages(priceline.MaxChargeBatch, "b.01", 60, 10), []int{100}},
		{"the 101st page starts another", testPages(priceline.MaxChargeBatch+1, "b.01", 60, 10), []int{100, 1}},
		{"3 MiB of pages fill one batch", testPages(4, "b.01", 60, maxBatchBytes/3), []int{3, 1}},
		{"a byte more and two fill it", testPages(4, "b.01", 60, maxBatchBytes/3+1), []int{2, 2}},
		{"a listing of 30,000 bytes fills one batch", testPages(31, "b.01", chunkBytes/30, 10), []int{30, 1}},
		{"a byte more and 29 fill it", testPages(31, "b.01", chunkBytes/30+1, 10), []int{29, 2}},
		{"buckets never share a batch, and interleaving splits none", interleaved, []int{3, 2}},
		{"a page over every limit still goes alone", testPages(2, "b.01", 60, maxBatchBytes+1), []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, b := range planBatches(tc.pages) {
				got = append(got, len(b.pages))
				total, listing := 0, 0
				for _, p := range b.pages {
					if p.bucket != b.bucket {
						t.Errorf("a page of %s in a batch of %s", p.bucket, b.bucket)
					}
					total += len(p.body)
					listing += len(p.pk) + len(p.hash) + 6
				}
				if total != b.bytes || listing != b.listing {
					t.Errorf("batch totals %d bytes, %d of listing; counted %d, %d", b.bytes, b.listing, total, listing)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pages per batch = %v, want %v", got, tc.want)
			}
		})
	}
}

// The records of more than MaxChargeBatch batches go in more than one
// transaction, each at most MaxChargeBatch.
func TestRecordTransactionsHoldAtMostABatch(t *testing.T) {
	h := strings.Repeat("a", 32)
	for _, tc := range []struct{ batches, want []int }{
		{nil, nil},
		{make([]int, 1), []int{1}},
		{make([]int, 100), []int{100}},
		{make([]int, 101), []int{100, 1}},
		{make([]int, 250), []int{100, 100, 50}},
	} {
		var batches []*bucketBatch
		for i := range tc.batches {
			batches = append(batches, &bucketBatch{bucket: fmt.Sprintf("b.%02x", i%chargeBuckets), pages: testPages(1, "", 60, 1)})
		}
		txs, err := recordTransactions(h, "g1", batches)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, tx := range txs {
			got = append(got, len(tx))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d batches: records in transactions of %v, want %v", len(tc.batches), got, tc.want)
		}
	}
}
