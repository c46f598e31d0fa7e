package tablestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

// wordEntities lists the row keys of partition pk of the catalog.
func wordEntities(t *testing.T, s *PriceStore, pk string) []string {
	t.Helper()
	filter := "PartitionKey eq " + odataString(pk)
	sel := "RowKey"
	pager := s.catalog.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	var rks []string
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Entities {
			var e struct{ RowKey string }
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			rks = append(rks, e.RowKey)
		}
	}
	return rks
}

// A catalog written before packing holds one word entry per procedure and
// description; a search finds those and packed ones of the same word
// together, each procedure once, and checks every word of the query
// against both kinds.
func TestPrices_PackedAndOneEntryPerProcedureWordsAreFoundTogether(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	// old writes word entries as PutProcedures did before packing.
	old := func(code, desc string) {
		t.Helper()
		c := priceline.Code{Code: code, Type: "CPT"}
		for _, w := range priceline.SearchWords(desc) {
			e := catalogEntity{PartitionKey: wordPrefix + keyEncode(firstRunes(w, 2)), RowKey: keyEncode(w) + "." + procedureKey(c) + "." + hashHex(strings.ToLower(desc))[:8],
				Code: code, CodeType: "CPT", Description: desc}
			body, _ := json.Marshal(e)
			if _, err := s.catalog.UpsertEntity(ctx, body, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	old("29881", "Knee arthroscopy meniscectomy")
	old("27447", "Total knee replacement")
	if err := s.PutProcedures(ctx, []priceline.Procedure{
		{Code: "27447", CodeType: "CPT", Description: "Knee replacement, total"},
		{Code: "73560", CodeType: "CPT", Description: "X-ray of knee, 1 or 2 views"},
		{Code: "73562", CodeType: "CPT", Description: "X-ray of kneecap"},
	}); err != nil {
		t.Fatal(err)
	}
	for _, rk := range wordEntities(t, s, wordPrefix+"kn") {
		if strings.HasPrefix(rk, "knee.CPT") {
			continue // the two written above
		}
		if !strings.HasPrefix(rk, "knee"+packedMark) && !strings.HasPrefix(rk, "kneecap"+packedMark) {
			t.Errorf("PutProcedures wrote word entry %q, want only packed ones", rk)
		}
	}
	for q, want := range map[string][]string{
		"knee":              {"CPT 27447", "CPT 29881", "CPT 73560", "CPT 73562"},
		"knee replacement":  {"CPT 27447"},
		"knee meniscectomy": {"CPT 29881"},
		"kneecap":           {"CPT 73562"},
		"x-ray knee":        {"CPT 73560", "CPT 73562"},
		"views knee":        {"CPT 73560"},
		"knee nothing":      nil,
	} {
		if got := pricelinetest.ProcedureCodes(t, s, q, 10); !slices.Equal(got, want) {
			t.Errorf("Procedures(%q) = %v, want %v", q, got, want)
		}
	}
	// The last resort intersects one word's packed entries with another
	// word's old ones: "surgery" is only in a packed entry of a second
	// description of 29881, "knee" only in the old entries of its first.
	if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "29881", CodeType: "CPT", Description: "Arthroscopic surgery of joint"}}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{"knee surgery": {"CPT 29881"}, "surgery views": nil, "arthroscopic": {"CPT 29881"}} {
		if got := pricelinetest.ProcedureCodes(t, s, q, 10); !slices.Equal(got, want) {
			t.Errorf("Procedures(%q) = %v, want %v", q, got, want)
		}
	}
}

// A word shared by more procedures than one entity's list holds is
// packed in several chunks; a search reads them all, counts procedures
// (not entities) against its read bound, and stops at its limit.
func TestPrices_PackedWordSpansChunks(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	var ps []priceline.Procedure
	long := strings.Repeat("é", 250) // 500 bytes; clipped to 300 runes with the rest
	for i := range 300 {
		ps = append(ps, priceline.Procedure{Code: fmt.Sprint(40000 + i), CodeType: "CPT", Description: fmt.Sprintf("Boundary %d %s", i, long)})
	}
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var chunks int
	for _, rk := range wordEntities(t, s, wordPrefix+"bo") {
		if !strings.HasPrefix(rk, "boundary"+packedMark) {
			t.Fatalf("unexpected word entry %q", rk)
		}
		chunks++
	}
	// 300 items of about 530 bytes each.
	if least := 300 * 530 / packedChunkBytes; chunks < least || chunks > 2*least {
		t.Fatalf("300 procedures of one word were packed in %d entities, want %d–%d", chunks, least, 2*least)
	}
	if got := pricelinetest.ProcedureCodes(t, s, "boundary", 1000); len(got) != 300 {
		t.Fatalf("boundary found %d procedures, want 300", len(got))
	}
	if got := pricelinetest.ProcedureCodes(t, s, "boundary", 7); len(got) != 7 {
		t.Fatalf("boundary with limit 7 found %d procedures", len(got))
	}
	if got := pricelinetest.ProcedureCodes(t, s, "boundary 299", 10); !slices.Equal(got, []string{"CPT 40299"}) {
		t.Fatalf("boundary 299 = %v", got)
	}
	// The same procedures again from another import: same chunks, same
	// keys (an upsert of a chunk is idempotent).
	if err := s.PutProcedures(ctx, []priceline.Procedure{{Code: "40000", CodeType: "CPT", Description: "Boundary again"}}); err != nil {
		t.Fatal(err)
	}
	if got := pricelinetest.ProcedureCodes(t, s, "boundary", 1000); len(got) != 300 {
		t.Fatalf("after a second description, boundary found %d procedures, want 300", len(got))
	}
}

// The read bound counts procedures: a word listed by 1,100 procedures in
// a few packed entities yields at most maxWordMatches of them to a search
// whose other words match none.
func TestPrices_PackedReadBoundCountsProcedures(t *testing.T) {
	s, doer := countedPriceStore(t)
	ctx := context.Background()
	var ps []priceline.Procedure
	for i := range 1100 {
		ps = append(ps, priceline.Procedure{Code: fmt.Sprint(50000 + i), CodeType: "CPT", Description: "Bound " + fmt.Sprint(i)})
	}
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var read int
	if err := s.catalogScan(ctx, wordPrefix+"bo", "bound", 10, "", func(catalogEntity) bool { read++; return false }); err != nil {
		t.Fatal(err)
	}
	if read != maxWordMatches {
		t.Fatalf("a scan passed %d procedures, want the bound %d", read, maxWordMatches)
	}
	doer.n.Store(0)
	if got := pricelinetest.ProcedureCodes(t, s, "bound", 5); len(got) != 5 {
		t.Fatalf("bound found %d, want 5", len(got))
	}
	if n := doer.n.Load(); n > 2 {
		t.Fatalf("a packed word's first 5 procedures took %d requests", n)
	}
}

// Descriptions may hold any character: quotes, brackets, commas, the key
// separators, JSON escapes and non-ASCII come back exactly as written.
func TestPrices_PackedDescriptionsKeepEveryCharacter(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	descs := []string{
		`Strange "quoted" knee, [brackets] ],[ {"json":1} \ back\slash`,
		"Strange .~ separators | ; . ~ \t tab and \u2028 line separator",
		"Strange façade – ’curly’ 日本語 🦵 \u00e9\u0301 <b>&amp;</b>",
		"Strange \x01 control and \ufffd replacement",
	}
	var ps []priceline.Procedure
	for i, d := range descs {
		ps = append(ps, priceline.Procedure{Code: fmt.Sprint(60000 + i), CodeType: "HCPCS", Description: d})
	}
	if err := s.PutProcedures(ctx, ps); err != nil {
		t.Fatal(err)
	}
	got, err := s.Procedures(ctx, "strange", 10)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]string{}
	for _, p := range got {
		byCode[p.Code] = p.Description
	}
	for i, d := range descs {
		if g := byCode[fmt.Sprint(60000+i)]; g != d {
			t.Errorf("description %d came back as %q, want %q", i, g, d)
		}
	}
	for q, want := range map[string]string{"strange 日本語": "60002", "strange json": "60000", "strange façade": "60002", "strange separators": "60001"} {
		if got := pricelinetest.ProcedureCodes(t, s, q, 10); !slices.Equal(got, []string{"HCPCS " + want}) {
			t.Errorf("Procedures(%q) = %v, want HCPCS %s", q, got, want)
		}
	}
}

// A packed entity whose list is not what PutProcedures writes (a bug, or
// a hand edit) fails the search with an internal error, never a panic
// and never a half-read answer.
func TestPrices_CorruptPackedWordEntryIsAnInternalError(t *testing.T) {
	s := newPriceStore(t)
	ctx := context.Background()
	for i, procs := range []any{
		"not json", "", "[]", `{"a":1}`, `[["1","CPT"]]`, `[["1","CPT","d","x"]]`, `[[1,2,3]]`, `[["","CPT","d"]]`,
		`[["1","CPT","d"]`, `[null]`, nil, 42,
	} {
		rk := fmt.Sprintf("corrupt%c%s%d", 'a'+i, packedMark, i)
		e := map[string]any{"PartitionKey": wordPrefix + "co", "RowKey": rk}
		if procs != nil {
			e[packedProp] = procs
		}
		body, _ := json.Marshal(e)
		if _, err := s.catalog.UpsertEntity(ctx, body, nil); err != nil {
			t.Fatal(err)
		}
		q := fmt.Sprintf("corrupt%c", 'a'+i)
		_, err := s.Procedures(ctx, q, 10)
		if priceline.ErrorKind(err) != priceline.KindInternal {
			t.Errorf("%v: Procedures(%q) = %v, want an internal error", procs, q, err)
		}
	}
}

// unpackWord never panics, whatever the stored list holds.
func FuzzUnpackWord(f *testing.F) {
	for _, s := range []string{`[["1","CPT","d"]]`, `[]`, `[[]]`, `[["a","b","c"],["d"]]`, `nul`, `[[` + strings.Repeat(`"x",`, 3) + `]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, procs string) {
		items, err := unpackWord(catalogEntity{RowKey: "w" + packedMark + "0", Procs: procs})
		if err == nil && len(items) == 0 {
			t.Fatal("no error and no procedures")
		}
		if err != nil && priceline.ErrorKind(err) != priceline.KindInternal {
			t.Fatalf("error of kind %q", priceline.ErrorKind(err))
		}
	})
}
