package tablestorage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

// storedPages counts the charge entities of hospital h under code, of any
// generation, committed or not.
func storedPages(t *testing.T, s *PriceStore, h priceline.Hospital, code string) int {
	t.Helper()
	filter := bucketFilter(procedureKey(priceline.Code{Code: code, Type: "CPT"}))
	pager := s.charges.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Entities {
			if strings.Contains(string(raw), "."+h.ID+".") {
				n++
			}
		}
	}
	return n
}

func putOne(t *testing.T, s *PriceStore, h priceline.Hospital, gen, code, payer string) {
	t.Helper()
	c := testCharge(h, code, "CPT", payer, 100)
	if err := pricelinetest.PutCharges(context.Background(), s, h.ID, gen, c.Codes[0], []priceline.Charge{c}); err != nil {
		t.Fatal(err)
	}
}

// Two imports of one hospital overlap: the older file commits while the
// newer is still writing. The older commit must not delete the newer
// import's rows (nor its records), and the newer file ends up live whole.
func TestPrices_OverlappingImportsKeepTheRunningImportsRows(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	older, newer := testHospital("Overlap General", "2026-01-01"), testHospital("Overlap General", "2026-02-01")
	for _, b := range []struct {
		h   priceline.Hospital
		gen string
	}{{older, "20260101-aaaa"}, {newer, "20260201-bbbb"}} {
		if err := s.BeginImport(ctx, b.h, b.gen); err != nil {
			t.Fatal(err)
		}
	}
	putOne(t, s, newer, "20260201-bbbb", "99213", "First")
	putOne(t, s, older, "20260101-aaaa", "99213", "Old")
	if _, err := s.CommitImport(ctx, older, "20260101-aaaa"); err != nil {
		t.Fatal(err)
	}
	putOne(t, s, newer, "20260201-bbbb", "99214", "Second")
	putOne(t, s, newer, "20260201-bbbb", "99213", "Third")
	if deleted, err := s.CommitImport(ctx, newer, "20260201-bbbb"); err != nil || deleted != 1 {
		t.Fatalf("newer commit: deleted %d, %v; want the older file's 1 row", deleted, err)
	}
	if got := chargesFor(t, s, "99213", "CPT"); len(got) != 2 {
		t.Fatalf("99213 after both commits: %d rows, want the newer file's 2", len(got))
	}
	// A third import replaces the newer file and leaves none of its pages.
	third := testHospital("Overlap General", "2026-03-01")
	if n := importGen(t, s, third, "20260301-cccc", testCharge(third, "99215", "CPT", "Only", 100)); n != 3 {
		t.Fatalf("third import deleted %d rows, want 3", n)
	}
	for _, code := range []string{"99213", "99214"} {
		if n := storedPages(t, s, third, code); n != 0 {
			t.Errorf("%s: %d pages of replaced imports left", code, n)
		}
	}
}

// listingSpy keeps the answers to listings of one table (GET requests
// with a filter), so a test can see which entities a store read.
type listingSpy struct {
	table  string
	mu     sync.Mutex
	bodies [][]byte
}

func (l *listingSpy) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/"+l.table+"(") || !r.URL.Query().Has("$filter") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	l.mu.Lock()
	l.bodies = append(l.bodies, body)
	l.mu.Unlock()
	return resp, nil
}

// listed reports whether any listing answered with an entity whose row key
// starts with prefix.
func (l *listingSpy) listed(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bodies {
		if bytes.Contains(b, []byte(`"RowKey":"`+prefix)) {
			return true
		}
	}
	return false
}

// A commit's clean-up lists the hospital's records without those of the
// generation it keeps, the one just written and the largest set: none of
// them is read, while the replaced generation's records and an abandoned
// import's, whose generation sorts after the kept one, are read and their
// rows deleted.
func TestPrices_CleanupDoesNotReadTheKeptGenerationsRecords(t *testing.T) {
	base := newTestClient(t)
	spy := &listingSpy{table: base.table(hospCodesTable)}
	c, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: base.prefix,
		ClientOptions: &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Transport: spy}}})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Prices()
	ctx := context.Background()
	old, cur := testHospital("Kept General", "2026-01-01"), testHospital("Kept General", "2026-02-01")
	importGen(t, s, old, "20260101-aaaa", testCharge(old, "99213", "CPT", "Old", 100))
	if err := s.BeginImport(ctx, cur, "20260901-dead"); err != nil {
		t.Fatal(err)
	}
	putOne(t, s, cur, "20260901-dead", "99215", "Crashed")
	s.AbandonAfter = time.Millisecond
	time.Sleep(5 * time.Millisecond)
	var charges []priceline.Charge
	for _, code := range []string{"99213", "99214", "99215", "99281", "99282"} {
		charges = append(charges, testCharge(cur, code, "CPT", "Kept", 100))
	}
	if n := importGen(t, s, cur, "20260201-bbbb", charges...); n != 2 {
		t.Fatalf("the commit deleted %d rows, want 2 (the replaced file's and the abandoned import's)", n)
	}
	if !spy.listed("20260101-aaaa.") || !spy.listed("20260901-dead.") {
		t.Fatal("the clean-up's listing did not read the replaced and abandoned generations' records")
	}
	if spy.listed("20260201-bbbb.") {
		t.Error("the clean-up read records of the generation it keeps")
	}
	if got := chargesFor(t, s, "99213", "CPT"); len(got) != 1 || got[0].Payer != "Kept" {
		t.Fatalf("99213 after the commit: %+v, want the kept file's one row", got)
	}
	if n := storedPages(t, s, cur, "99215"); n != 1 {
		t.Errorf("99215: %d pages stored, want the kept file's 1 (the abandoned import's gone)", n)
	}
}

// An import that died before its commit leaves invisible, recorded rows; a
// later commit deletes them once the record is older than AbandonAfter, and
// not before (it might be an import still running elsewhere).
func TestPrices_CrashedImportIsDeletedOnceAbandoned(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	h := testHospital("Crash General", "2026-01-01")
	if err := s.BeginImport(ctx, h, "20260101-dead"); err != nil {
		t.Fatal(err)
	}
	putOne(t, s, h, "20260101-dead", "99213", "Crashed")
	if n := importGen(t, s, h, "20260101-live", testCharge(h, "99214", "CPT", "Live", 100)); n != 0 {
		t.Fatalf("a commit deleted %d rows of a fresh uncommitted import", n)
	}
	if n := storedPages(t, s, h, "99213"); n != 1 {
		t.Fatalf("the crashed import's page: %d, want 1 (kept while young)", n)
	}
	s.AbandonAfter = time.Millisecond
	time.Sleep(5 * time.Millisecond)
	if n := importGen(t, s, h, "20260101-next", testCharge(h, "99214", "CPT", "Next", 100)); n != 2 {
		t.Fatalf("the next commit deleted %d rows, want 2 (the replaced import's and the crashed one's)", n)
	}
	if n := storedPages(t, s, h, "99213"); n != 0 {
		t.Fatalf("the abandoned import's page is still stored")
	}
}

// hookTransport runs before once, just before the first request matching
// match goes out.
type hookTransport struct {
	match  func(*http.Request) bool
	before func()
	done   atomic.Bool
}

func (h *hookTransport) Do(r *http.Request) (*http.Response, error) {
	if h.match(r) && h.done.CompareAndSwap(false, true) {
		h.before()
	}
	return http.DefaultClient.Do(r)
}

// Two commits of one hospital race: B (a newer file) commits between A's
// read of the hospital and A's write. A's write is conditional on what it
// read, so A fails with import_conflict instead of putting its older file
// live over B's — for a new hospital (insert) and an existing one (ETag).
func TestPrices_RacingCommitCannotPutAnOlderFileLive(t *testing.T) {
	for _, existing := range []bool{false, true} {
		base := newTestClient(t)
		ctx := context.Background()
		if err := base.EnsureTables(ctx); err != nil {
			t.Fatal(err)
		}
		other := base.Prices()
		first, a, b := testHospital("Race General", "2026-01-01"), testHospital("Race General", "2026-02-01"), testHospital("Race General", "2026-03-01")
		if existing {
			importGen(t, other, first, "20260101-aaaa", testCharge(first, "99213", "CPT", "First", 100))
		}
		hook := &hookTransport{
			match: func(r *http.Request) bool {
				return (r.Method == http.MethodPost || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, hospitalsTable)
			},
			before: func() {
				if _, err := other.CommitImport(ctx, b, "20260301-cccc"); err != nil {
					t.Errorf("B's commit: %v", err)
				}
			},
		}
		c, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: base.prefix,
			ClientOptions: &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Transport: hook}}})
		if err != nil {
			t.Fatal(err)
		}
		s := c.Prices()
		for _, x := range []struct {
			h   priceline.Hospital
			gen string
		}{{a, "20260201-bbbb"}, {b, "20260301-cccc"}} {
			if err := other.BeginImport(ctx, x.h, x.gen); err != nil {
				t.Fatal(err)
			}
		}
		putOne(t, other, b, "20260301-cccc", "99213", "B")
		putOne(t, s, a, "20260201-bbbb", "99213", "A")
		_, err = s.CommitImport(ctx, a, "20260201-bbbb")
		if priceline.ErrorCode(err) != "import_conflict" || !priceline.IsConflict(err) {
			t.Fatalf("existing=%v: A's commit error = %v, want import_conflict", existing, err)
		}
		got := chargesFor(t, other, "99213", "CPT")
		if len(got) != 1 || got[0].Payer != "B" {
			t.Fatalf("existing=%v: live rows %+v, want B's one row", existing, got)
		}
	}
}

// deleteKeys' fallback: a batch with an entity already gone falls back to
// deleting one by one and counts only the weights of those that were
// there, and a single delete of an entity already gone is no error.
func TestDeleteKeysFallbackCountsOnlyEntitiesThere(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	put := func(rk string) {
		t.Helper()
		body, _ := json.Marshal(entity{"PartitionKey": "del-test", "RowKey": rk})
		if _, err := s.charges.UpsertEntity(ctx, body, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, rk := range []string{"a", "b", "c"} {
		put(rk)
	}
	n, err := deleteKeys(ctx, s.charges, "del-test", []string{"a", "b", "gone", "c"}, []int{1, 2, 4, 8}, "test entity")
	if err != nil || n != 11 {
		t.Fatalf("deleteKeys = %d, %v; want 11 (a, b and c; not the missing one)", n, err)
	}
	put("d")
	for _, want := range []int{3, 0} { // there, then gone
		if n, err := deleteKeys(ctx, s.charges, "del-test", []string{"d"}, []int{3}, "test entity"); err != nil || n != want {
			t.Fatalf("deleteKeys of d alone = %d, %v; want %d", n, err, want)
		}
	}
	if _, err := s.charges.GetEntity(ctx, "del-test", "d", nil); !isStatus(err, http.StatusNotFound) {
		t.Errorf("after the delete, reading d = %v; want 404", err)
	}
}

// A bucket record whose listing is not triples of procedure, page hash and
// count, or whose count is not a number, fails the commit's clean-up as
// corrupt_record and stays, rather than being deleted with its pages left
// behind where no later commit finds them.
func TestPrices_CorruptBucketRecordIsRefused(t *testing.T) {
	for name, listing := range map[string]string{
		"not triples": "CPT.99213 0123456789abcdef",
		"bad count":   "CPT.99213 0123456789abcdef many",
	} {
		t.Run(name, func(t *testing.T) {
			s := newPriceStore(t)
			ctx := context.Background()
			h := testHospital("Corrupt Record", "2026-01-01")
			importGen(t, s, h, "20260101-aaaa", testCharge(h, "99213", "CPT", "A", 100))
			rk := "20260101-aaaa." + bucketPrefix + "0a.00112233"
			body, _ := json.Marshal(entity{"PartitionKey": h.ID, "RowKey": rk, pagesProp: listing})
			if _, err := s.hospCodes.UpsertEntity(ctx, body, nil); err != nil {
				t.Fatal(err)
			}
			h2 := testHospital("Corrupt Record", "2026-02-01")
			if err := s.BeginImport(ctx, h2, "20260201-bbbb"); err != nil {
				t.Fatal(err)
			}
			putOne(t, s, h2, "20260201-bbbb", "99213", "B")
			_, err := s.CommitImport(ctx, h2, "20260201-bbbb")
			var outer *priceline.Error
			if !errors.As(err, &outer) || outer.Code != "cleanup_incomplete" || priceline.ErrorCode(outer.Err) != "corrupt_record" {
				t.Fatalf("CommitImport = %v; want cleanup_incomplete caused by corrupt_record", err)
			}
			if _, err := s.hospCodes.GetEntity(ctx, h.ID, rk, nil); err != nil {
				t.Errorf("the corrupt record is gone (%v); it must stay until it can be read", err)
			}
			if got := chargesFor(t, s, "99213", "CPT"); len(got) != 1 || got[0].Payer != "B" {
				t.Errorf("live rows %+v, want the new file's one row", got)
			}
		})
	}
}
