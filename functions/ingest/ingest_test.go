package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/tablestorage"
)

func TestMain(m *testing.M) { azurite.RunTests(m) }

var prefixSeq atomic.Int64

// newStore is the real Table Storage adapter on the shared Azurite, with
// tables no other test uses.
func newStore(t testing.TB) *tablestorage.PriceStore {
	t.Helper()
	return newStoreWith(t, tablestorage.Options{})
}

// newStoreWith is newStore with opt (its TablePrefix is replaced).
func newStoreWith(t testing.TB, opt tablestorage.Options) *tablestorage.PriceStore {
	t.Helper()
	srv := azurite.Shared(t)
	opt.TablePrefix = fmt.Sprintf("i%d%d", time.Now().UnixNano()%1_000_000, prefixSeq.Add(1))
	c, err := tablestorage.NewFromConnectionString(srv.ConnectionString(), opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	return c.Prices()
}

func generated(t testing.TB, format string, rows int, seed int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := mrf.Generate(&b, format, rows, seed); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func importBytes(t *testing.T, svc *Service, data []byte, name string) (*Summary, error) {
	t.Helper()
	return svc.Import(context.Background(), bytes.NewReader(data), name)
}

func TestImport_CMSSamples(t *testing.T) {
	store := newStore(t)
	svc := &Service{Store: store}
	for _, name := range []string{"V3.0.0_Tall_CSV_Format_Example.csv", "V3.0.0_Wide_CSV_Format_Example.csv", "v3_json_format_example.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "samples", name))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := importBytes(t, svc, data, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum.Hospital.Name != "West Mercy Hospital" || sum.RowsRead == 0 || sum.RowsImported != sum.RowsRead || sum.RowsRejected != 0 || sum.Charges == 0 {
			t.Errorf("%s: %+v", name, sum)
		}
	}
	// All three describe the same hospital: the last import is its file.
	hs, err := store.Hospitals(context.Background())
	if err != nil || len(hs) != 1 {
		t.Fatalf("hospitals: %+v %v", hs, err)
	}
	cs, err := store.ChargesFor(context.Background(), priceline.Code{Code: "70551", Type: "CPT"})
	if err != nil || len(cs) == 0 {
		t.Fatalf("CPT 70551: %d rows, %v", len(cs), err)
	}
	ps, err := store.Procedures(context.Background(), "mri brain", 10)
	if err != nil || len(ps) == 0 {
		t.Fatalf("procedures 'mri brain': %+v %v", ps, err)
	}
}

func TestImport_SameFileTwiceGivesSameRows(t *testing.T) {
	store := newStore(t)
	svc := &Service{Store: store, Options: Options{MaxBuffered: 50}}
	data := generated(t, mrf.FormatCSVTall, 200, 1)
	first, err := importBytes(t, svc, data, "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		for _, code := range []priceline.Code{{Code: "10000", Type: "CPT"}, {Code: "10004", Type: "CPT"}, {Code: "10002", Type: "CPT"}} {
			cs, err := store.ChargesFor(context.Background(), code)
			if err != nil {
				t.Fatal(err)
			}
			n += len(cs)
		}
		return n
	}
	before := count()
	// Imported again, grouped into pages differently (another buffer
	// size): a generation of its own, whose commit removes the first set.
	again := &Service{Store: store}
	second, err := importBytes(t, again, data, "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if second.Generation == first.Generation || second.StaleDeleted != first.Charges || count() != before || before == 0 {
		t.Fatalf("re-import changed the rows: gen %s→%s, deleted %d of %d, rows %d→%d", first.Generation, second.Generation, second.StaleDeleted, first.Charges, before, count())
	}
	if first.RowsRead != 200 || first.RowsImported != 200 {
		t.Fatalf("summary: %+v", first)
	}
}

func TestImport_NewerFileReplacesRows(t *testing.T) {
	store := newStore(t)
	svc := &Service{Store: store}
	old := generated(t, mrf.FormatCSVTall, 40, 1)
	if _, err := importBytes(t, svc, old, "old.csv"); err != nil {
		t.Fatal(err)
	}
	// Fewer rows, a later date: codes of rows 20-39 must disappear.
	newer := bytes.Replace(generated(t, mrf.FormatCSVTall, 20, 2), []byte("2026-04-01"), []byte("2026-05-01"), 1)
	sum, err := importBytes(t, svc, newer, "new.csv")
	if err != nil {
		t.Fatal(err)
	}
	if sum.StaleDeleted != 40*1 { // every old row was in one partition
		t.Errorf("StaleDeleted = %d, want 40", sum.StaleDeleted)
	}
	cs, err := store.ChargesFor(context.Background(), priceline.Code{Code: "10020", Type: "CPT"})
	if err != nil || len(cs) != 0 {
		t.Fatalf("stale rows for CPT 10020: %d %v", len(cs), err)
	}
	// And the old file again is refused: it is older.
	if _, err := importBytes(t, svc, old, "old.csv"); priceline.ErrorCode(err) != "older_file" {
		t.Fatalf("older file: %v", err)
	}
}

// A row CMS rejects for a bad setting carries a code and a price: it is
// salvaged without the setting, and its error is still counted and listed.
func TestImport_LenientRowsSalvagedWithRowNumbers(t *testing.T) {
	store := newStore(t)
	svc := &Service{Store: store}
	data := string(generated(t, mrf.FormatCSVTall, 10, 3))
	lines := strings.Split(data, "\n")
	// Line 5 is the second data row: break its setting.
	lines[4] = strings.Replace(lines[4], ",outpatient,", ",sideways,", 1)
	sum, err := importBytes(t, svc, []byte(strings.Join(lines, "\n")), "messy.csv")
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsRead != 10 || sum.RowsImported != 10 || sum.RowsRejected != 0 || sum.RowsSalvaged != 1 || sum.CellsDropped != 1 ||
		sum.ByRule[mrf.RuleEnumSetting].Errors != 1 || sum.ByRule[mrf.RuleSalvageCellDropped].Warnings != 1 {
		t.Fatalf("summary: read %d imported %d rejected %d salvaged %d dropped %d by rule %v", sum.RowsRead, sum.RowsImported, sum.RowsRejected, sum.RowsSalvaged, sum.CellsDropped, sum.ByRule)
	}
	if len(sum.FirstErrors) != 1 || sum.FirstErrors[0].Row != 5 {
		t.Fatalf("first errors: %+v", sum.FirstErrors)
	}
}

func TestImport_RefusedFileWritesNothing(t *testing.T) {
	store := newStore(t)
	svc := &Service{Store: store}
	semicolons := strings.ReplaceAll(string(generated(t, mrf.FormatCSVTall, 5, 4)), ",", ";")
	for name, data := range map[string]string{
		"semicolons.csv": semicolons,
		"array.json":     `[{"hospital_name": "x"}]`,
		"empty.csv":      "",
		"garbage.bin":    "\x00\x01\x02 not a price file",
	} {
		_, err := importBytes(t, svc, []byte(data), name)
		if priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
			continue
		}
		if !strings.Contains(err.(*priceline.Error).Message, name) {
			t.Errorf("%s: message does not name the file: %v", name, err)
		}
	}
	hs, err := store.Hospitals(context.Background())
	if err != nil || len(hs) != 0 {
		t.Fatalf("hospitals after refused files: %+v %v", hs, err)
	}
}

func TestImport_AllFormatsAndProgress(t *testing.T) {
	store := newStore(t)
	var calls atomic.Int64
	var last Progress
	svc := &Service{Store: store, Options: Options{Progress: func(p Progress) { calls.Add(1); last = p }, ProgressEvery: time.Nanosecond}}
	for _, f := range []string{mrf.FormatCSVTall, mrf.FormatCSVWide, mrf.FormatJSON} {
		sum, err := importBytes(t, svc, generated(t, f, 30, 5), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if sum.RowsImported != 30 || sum.Format != f {
			t.Errorf("%s: %+v", f, sum)
		}
	}
	if calls.Load() < 3 || !last.Done || last.Bytes != last.TotalBytes {
		t.Fatalf("progress: %d calls, last %+v", calls.Load(), last)
	}
}

func TestImport_TooLargeRowsAreCountedWithTheirLine(t *testing.T) {
	store := newStore(t)
	svc := &Service{Store: store}
	data := string(generated(t, mrf.FormatCSVTall, 6, 9))
	lines := strings.Split(data, "\n")
	// A blank line before the data moves every line number by one; then the
	// last data row (line 10) gets a description over MaxChargeTextBytes.
	lines = append(lines[:3], append([]string{""}, lines[3:]...)...)
	last := 3 + 6
	f := strings.Split(lines[last], ",")
	f[0] = strings.Repeat("x", MaxChargeTextBytes+1)
	lines[last] = strings.Join(f, ",")
	lines[4] = strings.Replace(lines[4], ",outpatient,", ",sideways,", 1) // line 5: an mrf error calibrates the numbering
	sum, err := importBytes(t, svc, []byte(strings.Join(lines, "\n")), "large.csv")
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsRead != 6 || sum.RowsImported != 5 || sum.RowsRejected != 1 || sum.RejectedByRule[RuleTooLarge] != 1 {
		t.Fatalf("rows read %d, imported %d, rejected %d by %v", sum.RowsRead, sum.RowsImported, sum.RowsRejected, sum.RejectedByRule)
	}
	var got []string
	for _, p := range sum.FirstErrors {
		got = append(got, fmt.Sprintf("%d %s", p.Row, p.Rule))
	}
	if want := []string{"5 " + mrf.RuleEnumSetting, fmt.Sprintf("%d %s", last+1, RuleTooLarge)}; !slices.Equal(got, want) {
		t.Fatalf("first errors %v, want %v", got, want)
	}
}
