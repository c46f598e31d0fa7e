package pricing

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// describeRows is the rows of a page as "hospital payer" pairs.
func describeRows(p *PricePage) string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, strings.TrimSpace(p.Names[r.Charge.HospitalID][:1]+" "+strings.TrimSpace(r.Charge.Payer)))
	}
	return strings.Join(out, ", ")
}

func TestSearchPagesWithCursorsThroughEveryRowOnce(t *testing.T) {
	svc, _ := seeded(t)
	ctx := context.Background()
	q := PriceQuery{Code: "99213", CodeType: "CPT", Sort: "-negotiated", Limit: 2}
	var got []string
	for pages := 0; ; pages++ {
		p, err := svc.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 5 {
			t.Errorf("total %d, want 5", p.Total)
		}
		got = append(got, describeRows(p))
		if p.NextCursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		q.Cursor = p.NextCursor
	}
	if want := "b Other, b ACME | A Zen, A Acme | G"; strings.Join(got, " | ") != want {
		t.Errorf("pages %q, want %q", strings.Join(got, " | "), want)
	}
	// The page size is not part of the query: a cursor keeps working when
	// the client asks for bigger pages.
	first, _ := svc.Search(ctx, PriceQuery{Code: "99213", CodeType: "CPT", Limit: 1})
	rest, err := svc.Search(ctx, PriceQuery{Code: "99213", CodeType: "CPT", Limit: 100, Cursor: first.NextCursor})
	if err != nil || len(rest.Rows) != 4 || rest.NextCursor != "" {
		t.Errorf("rest: %d rows, cursor %q, %v", len(rest.Rows), rest.NextCursor, err)
	}
}

// ASVS 5.0 V2.2.1: a cursor is accepted only untouched, only with the key
// that signed it and only for the query that issued it.
func TestASVS_V2_2_1_CursorOfAnotherQueryIsRefused(t *testing.T) {
	svc, st := seeded(t)
	ctx := context.Background()
	q := PriceQuery{Code: "99213", CodeType: "CPT", Limit: 1}
	p, err := svc.Search(ctx, q)
	if err != nil || p.NextCursor == "" {
		t.Fatalf("first page: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(p.NextCursor)
	tampered := append([]byte(nil), raw...)
	tampered[4] ^= 0x01
	otherKey := &Service{Store: st, CursorKey: func() []byte { return []byte("another key") }}
	forged, err := otherKey.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]PriceQuery{
		"other payer":   {Code: "99213", CodeType: "CPT", Payer: "Acme"},
		"other code":    {Code: "0450", CodeType: "RC"},
		"other case":    {Code: "99213", CodeType: "cpt"},
		"other sort":    {Code: "99213", CodeType: "CPT", Sort: "gross"},
		"other setting": {Code: "99213", CodeType: "CPT", Setting: "outpatient"},
		"words added":   {Code: "99213", CodeType: "CPT", Q: "office"},
		"tampered":      {Code: "99213", CodeType: "CPT", Cursor: base64.RawURLEncoding.EncodeToString(tampered)},
		"another key":   {Code: "99213", CodeType: "CPT", Cursor: forged.NextCursor},
		"garbage":       {Code: "99213", CodeType: "CPT", Cursor: "' or 1=1"},
		"truncated":     {Code: "99213", CodeType: "CPT", Cursor: p.NextCursor[:20]},
	} {
		if tc.Cursor == "" {
			tc.Cursor = p.NextCursor
		}
		_, err := svc.Search(ctx, tc)
		wantCode(t, name, err, priceline.KindInvalid, "invalid_cursor")
	}
	if _, err := svc.Search(ctx, PriceQuery{Code: "99213", CodeType: "CPT", Cursor: p.NextCursor}); err != nil {
		t.Errorf("the cursor's own query: %v", err)
	}
	// A nil or empty key is the built-in key: cursors still check.
	builtIn := &Service{Store: st}
	bp, _ := builtIn.Search(ctx, q)
	if _, err := svc.Search(ctx, PriceQuery{Code: "99213", CodeType: "CPT", Cursor: bp.NextCursor}); priceline.ErrorCode(err) != "invalid_cursor" {
		t.Errorf("built-in key's cursor under a configured key: %v", err)
	}
	if _, err := (&Service{Store: st, CursorKey: func() []byte { return nil }}).Search(ctx, PriceQuery{Code: "99213", CodeType: "CPT", Cursor: bp.NextCursor}); err != nil {
		t.Errorf("empty key is the built-in key: %v", err)
	}
}

// A cursor past the rows gives an empty page, not an error: the rows may
// have changed since it was issued.
func TestSearchCursorPastTheEndIsAnEmptyPage(t *testing.T) {
	svc, _ := seeded(t)
	q := PriceQuery{Code: "99213", CodeType: "CPT"}
	p, err := svc.Search(context.Background(), PriceQuery{Code: "99213", CodeType: "CPT", Cursor: svc.makeCursor(50, q)})
	if err != nil || len(p.Rows) != 0 || p.Total != 5 || p.NextCursor != "" {
		t.Errorf("past the end: %+v %v", p, err)
	}
	_, err = svc.Search(context.Background(), PriceQuery{Code: "99213", CodeType: "CPT", Cursor: svc.makeCursor(maxCursorOffset+1, q)})
	wantCode(t, "offset past the bound", err, priceline.KindInvalid, "invalid_cursor")
}

func TestSearchEverySortOrder(t *testing.T) {
	svc, _ := seeded(t)
	// Rows without the amount (Gamma) come last in both directions; ties
	// go by hospital name, ignoring case, then payer.
	want := map[string]string{
		"":            "A Acme, A Zen, b ACME, b Other, G",
		"hospital":    "A Acme, A Zen, b ACME, b Other, G",
		"gross":       "A Acme, A Zen, b ACME, b Other, G",
		"-gross":      "b ACME, b Other, A Acme, A Zen, G",
		"cash":        "A Acme, A Zen, b ACME, b Other, G",
		"-cash":       "b ACME, b Other, A Acme, A Zen, G",
		"negotiated":  "A Acme, A Zen, b ACME, b Other, G",
		"-negotiated": "b Other, b ACME, A Zen, A Acme, G",
	}
	if len(want) != len(priceline.SortOrders)+1 {
		t.Fatalf("test covers %d orders, priceline has %d", len(want)-1, len(priceline.SortOrders))
	}
	for sort, w := range want {
		p, err := svc.Search(context.Background(), PriceQuery{Code: "99213", CodeType: "CPT", Sort: sort})
		if err != nil {
			t.Fatal(err)
		}
		if got := describeRows(p); got != w {
			t.Errorf("sort %q: %s, want %s", sort, got, w)
		}
	}
}

func TestSearchFilters(t *testing.T) {
	svc, _ := seeded(t)
	for name, tc := range map[string]struct {
		q    PriceQuery
		want string
	}{
		"payer ignores case and spaces": {PriceQuery{Payer: "acme"}, "A Acme, b ACME"},
		"payer and plan":                {PriceQuery{Payer: "ACME", Plan: "PPO"}, "A Acme, b ACME"},
		"plan of another payer":         {PriceQuery{Payer: "Acme", Plan: "HMO"}, ""},
		"setting":                       {PriceQuery{Setting: "Inpatient"}, "b Other"},
		"hospital":                      {PriceQuery{HospitalID: beta.ID}, "b ACME, b Other"},
		"words start description words": {PriceQuery{Q: "office estab"}, "A Acme, A Zen, b ACME, b Other, G"},
		"words that match nothing":      {PriceQuery{Q: "knee"}, ""},
		"revenue code without zeros":    {PriceQuery{Code: "450", CodeType: "rc"}, "A"},
	} {
		if tc.q.Code == "" {
			tc.q.Code, tc.q.CodeType = "99213", "CPT"
		}
		p, err := svc.Search(context.Background(), tc.q)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := describeRows(p); got != tc.want || p.Total != len(p.Rows) {
			t.Errorf("%s: %q (total %d), want %q", name, got, p.Total, tc.want)
		}
	}
	// q alone finds procedures in the catalog and reads each.
	p, err := svc.Search(context.Background(), PriceQuery{Q: "emergency"})
	if err != nil || len(p.Rows) != 1 || p.Rows[0].Code != rc0450 {
		t.Errorf("q=emergency: %+v %v", p, err)
	}
}

func TestSearchChecksEveryParameter(t *testing.T) {
	svc, st := seeded(t)
	for code, q := range map[string]PriceQuery{
		"invalid_limit":     {Code: "1", CodeType: "CPT", Limit: MaxPriceLimit + 1},
		"missing_code_type": {Code: "1"},
		"invalid_code_type": {Code: "1", CodeType: "C'PT"},
		"invalid_setting":   {Code: "1", CodeType: "CPT", Setting: "sideways"},
		"invalid_hospital":  {Code: "1", CodeType: "CPT", HospitalID: "../../etc"},
		"invalid_sort":      {Code: "1", CodeType: "CPT", Sort: "min"},
		"missing_code":      {CodeType: "CPT"},
		"invalid_query":     {Q: "a !"},
	} {
		_, err := svc.Search(context.Background(), q)
		wantCode(t, fmt.Sprintf("%+v", q), err, priceline.KindInvalid, code)
	}
	_, err := svc.Search(context.Background(), PriceQuery{})
	wantCode(t, "nothing asked", err, priceline.KindInvalid, "missing_code")
	if storeReads(st) != 0 {
		t.Errorf("%d reads for invalid queries, want none", storeReads(st))
	}
	// Every limit from 1 to the maximum is a page of that many rows.
	for _, limit := range []int{1, 4, MaxPriceLimit} {
		p, err := svc.Search(context.Background(), PriceQuery{Code: "99213", CodeType: "CPT", Limit: limit})
		if err != nil || len(p.Rows) != min(limit, 5) {
			t.Errorf("limit %d: %v %v", limit, p, err)
		}
	}
}

func TestSearchPassesStoreErrorsOn(t *testing.T) {
	svc, st := seeded(t)
	st.Fail = memstore.FailOn(priceline.Errorf(priceline.KindUnavailable, "procedure_too_large", "too many rows"))
	_, err := svc.Search(context.Background(), PriceQuery{Code: "99213", CodeType: "CPT"})
	wantCode(t, "search", err, priceline.KindUnavailable, "procedure_too_large")
	_, err = svc.Compare(context.Background(), CompareQuery{Code: "99213", CodeType: "CPT"})
	wantCode(t, "compare", err, priceline.KindUnavailable, "procedure_too_large")
}
