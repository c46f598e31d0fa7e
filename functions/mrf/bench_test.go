package mrf

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func benchmarkParse(b *testing.B, format string) {
	const rows = 20_000
	var file bytes.Buffer
	if err := Generate(&file, format, rows, 1); err != nil {
		b.Fatal(err)
	}
	data := file.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd, err := Open(bytes.NewReader(data), format)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, _, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParseTallCSV(b *testing.B) { benchmarkParse(b, FormatCSVTall) }

func BenchmarkParseWideCSV(b *testing.B) { benchmarkParse(b, FormatCSVWide) }

func BenchmarkParseJSON(b *testing.B) { benchmarkParse(b, FormatJSON) }
