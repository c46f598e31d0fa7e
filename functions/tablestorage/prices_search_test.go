package tablestorage

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

// countedPriceStore is a price store on Azurite whose requests are counted.
func countedPriceStore(t *testing.T) (*PriceStore, *countingTransport) {
	t.Helper()
	doer := &countingTransport{}
	return priceStoreVia(t, doer), doer
}

// priceStoreVia is a price store on Azurite that sends its requests
// through doer.
func priceStoreVia(t *testing.T, doer policy.Transporter) *PriceStore {
	t.Helper()
	prefix := fmt.Sprintf("q%d%d", time.Now().UnixNano()%1_000_000, prefixSeq.Add(1))
	c, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(),
		Options{TablePrefix: prefix, ClientOptions: &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Transport: doer}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c.Prices()
}

// A search whose entries the store filters after reading (revenue codes
// without their zeros, words beyond the longest) reads pages of 100 after
// the first, so a public request cannot make it walk a range one entry at a
// time: at most 1 + 1000/100 requests per range, whatever limit it gives.
func TestPrices_SearchRequestsAreBoundedWhateverTheLimit(t *testing.T) {
	s, doer := countedPriceStore(t)
	ctx := context.Background()
	var ps []priceline.Procedure
	for i := range 1100 {
		ps = append(ps, priceline.Procedure{Code: fmt.Sprintf("1%04d", i), CodeType: "CPT", Description: fmt.Sprintf("injection of agent %d", i)})
	}
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"01", "injection zzz", "0001"} {
		doer.n.Store(0)
		got, err := s.Procedures(ctx, q, 1)
		if err != nil {
			t.Fatalf("Procedures(%q): %v", q, err)
		}
		// "01": the code range "01" (empty) and the revenue-code pass over
		// "1…" (1,100 CPT entries, none kept); "injection zzz": the
		// longest word's range, then "zzz"'s.
		if n := doer.n.Load(); n > 2*(1+maxWordMatches/100) {
			t.Errorf("Procedures(%q, 1) made %d requests", q, n)
		}
		if len(got) != 0 {
			t.Errorf("Procedures(%q) = %v, want none", q, got)
		}
	}
	// Many words, none matching one description together: the longest
	// word's range only, not one more range per word.
	doer.n.Store(0)
	if _, err := s.Procedures(ctx, "injection agent of zz yy xx ww vv", 10); err != nil {
		t.Fatal(err)
	}
	if n := doer.n.Load(); n > 1+maxWordMatches/100 {
		t.Errorf("an 8-word query made %d requests", n)
	}
}

// Hospitals describe one procedure differently; a word search matches a
// procedure whose words are spread over several hospitals' descriptions,
// as it did when every word's entries were intersected.
func TestPrices_WordsMayComeFromDifferentHospitalsDescriptions(t *testing.T) {
	s, _ := countedPriceStore(t)
	ctx := context.Background()
	for _, d := range []string{"MRI brain without contrast", "Magnetic resonance imaging of brain"} {
		if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "70551", CodeType: "CPT", Description: d}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "70450", CodeType: "CPT", Description: "CT head or brain without contrast"}}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"mri brain":        {"70551"},
		"magnetic mri":     {"70551"},
		"brain contrast":   {"70450", "70551"},
		"resonance head":   nil,
		"brain":            {"70450", "70551"},
		"imaging without":  {"70551"},
		"nothing matching": nil,
	} {
		got, err := s.Procedures(ctx, q, 10)
		if err != nil {
			t.Fatalf("Procedures(%q): %v", q, err)
		}
		var codes []string
		for _, p := range got {
			codes = append(codes, p.Code)
		}
		slices.Sort(codes)
		if !slices.Equal(codes, want) {
			t.Errorf("Procedures(%q) = %v, want %v", q, codes, want)
		}
	}
}

// A typo as the longest word is in no description: the search stops after
// that one empty range and does not read the common word's (large) range
// to intersect with nothing.
func TestPrices_TypoLongestWordReadsNoOtherRange(t *testing.T) {
	s, doer := countedPriceStore(t)
	ctx := context.Background()
	var ps []priceline.Procedure
	for i := range 300 {
		ps = append(ps, priceline.Procedure{Code: fmt.Sprintf("2%04d", i), CodeType: "CPT", Description: fmt.Sprintf("injection of agent %d", i)})
	}
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	doer.n.Store(0)
	got, err := s.Procedures(ctx, "injectoinzz agent", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("Procedures = %v, want none", got)
	}
	if n := doer.n.Load(); n != 1 {
		t.Errorf("a search whose longest word matches nothing made %d requests, want 1 (that word's range)", n)
	}
}

// topTransport records the $top of every query a client sends.
type topTransport struct {
	mu   sync.Mutex
	tops []int
}

func (c *topTransport) Do(r *http.Request) (*http.Response, error) {
	if v := r.URL.Query().Get("$top"); v != "" {
		n, _ := strconv.Atoi(v)
		c.mu.Lock()
		c.tops = append(c.tops, n)
		c.mu.Unlock()
	}
	return http.DefaultClient.Do(r)
}

// The last-resort intersection reads the other words' ranges in the pages
// the first range is read in (a first page of limit, then 100), not in one
// page of 1,000 entities: packed entities are up to 8,000 bytes each.
func TestPrices_IntersectionReadsSmallPages(t *testing.T) {
	doer := &topTransport{}
	s := priceStoreVia(t, doer)
	ctx := context.Background()
	for _, d := range []string{"MRI brain without contrast", "Magnetic resonance imaging of brain"} {
		if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "70551", CodeType: "CPT", Description: d}}); err != nil {
			t.Fatal(err)
		}
	}
	doer.mu.Lock()
	doer.tops = nil
	doer.mu.Unlock()
	got, err := s.Procedures(ctx, "magnetic mri", 5)
	if err != nil || len(got) != 1 || got[0].Code != "70551" {
		t.Fatalf("Procedures(magnetic mri) = %v, %v; want 70551", got, err)
	}
	doer.mu.Lock()
	defer doer.mu.Unlock()
	// "magnetic"'s range, then "mri"'s: both first pages ask for limit.
	if !slices.Equal(doer.tops, []int{5, 5}) {
		t.Errorf("the search asked for pages of %v entities, want [5 5]", doer.tops)
	}
}
