package mrf

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
)

func TestGenerateWritesValidFiles(t *testing.T) {
	for _, format := range []string{FormatCSVTall, FormatCSVWide, FormatJSON} {
		var b bytes.Buffer
		if err := Generate(&b, format, 200, 7); err != nil {
			t.Fatal(err)
		}
		rep, err := Validate(bytes.NewReader(b.Bytes()), format)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Valid || rep.Format != format || rep.Rows != 200 || rep.Version != "3.0.0" || rep.WarningCount != 0 {
			t.Errorf("%s: %+v", format, rep)
		}
	}
	if err := Generate(io.Discard, "xml", 1, 1); err == nil {
		t.Errorf("unknown format accepted")
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, format := range []string{FormatCSVTall, FormatCSVWide, FormatJSON} {
		var a, b, c bytes.Buffer
		_ = Generate(&a, format, 50, 42)
		_ = Generate(&b, format, 50, 42)
		_ = Generate(&c, format, 50, 43)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: same seed, different bytes", format)
		}
		if bytes.Equal(a.Bytes(), c.Bytes()) {
			t.Errorf("%s: different seeds, same bytes", format)
		}
	}
}

// TestParseLargeFileInConstantMemory streams a generated file through a
// pipe (so the file itself is never in memory) and samples the live heap
// while parsing. A parser that kept rows would need far more than the bound:
// the tall file below is about 35 MB at 200,000 rows; the wide and JSON
// files have a quarter of the rows (twice the charges each) to keep the test quick.
func TestParseLargeFileInConstantMemory(t *testing.T) {
	const heapBound = 16 << 20
	for format, largeRows := range map[string]int{FormatCSVTall: largeRows, FormatCSVWide: largeRows / 4, FormatJSON: largeRows / 4} {
		t.Run(format, func(t *testing.T) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(Generate(pw, format, largeRows, 1)) }()
			runtime.GC()
			var before, ms runtime.MemStats
			runtime.ReadMemStats(&before)
			rd, err := Open(pr, format)
			if err != nil {
				t.Fatal(err)
			}
			var peak uint64
			n := 0
			for {
				_, ps, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(ps) > 0 {
					t.Fatalf("generated row has problems: %v", ps)
				}
				n++
				if n%(largeRows/8) == 0 {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}
			if rd.Rows() != largeRows {
				t.Fatalf("read %d rows, want %d", rd.Rows(), largeRows)
			}
			grown := int64(peak) - int64(before.HeapAlloc)
			t.Logf("%s: %d charges, heap grew by at most %d KiB", format, n, grown>>10)
			if grown > heapBound {
				t.Errorf("heap grew by %d bytes while streaming, want under %d", grown, heapBound)
			}
		})
	}
}
