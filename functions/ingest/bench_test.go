package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/tablestorage"
)

// benchRows is modest so that `make bench` stays quick; see docs/prices.md
// for the 1,000,000-row run (PRICELINE_BENCH_ROWS).
func benchRows(b *testing.B) int {
	if v := os.Getenv("PRICELINE_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("PRICELINE_BENCH_ROWS=%q is not a positive number", v)
		}
		return n
	}
	return 20_000
}

// realisticTall writes a v3 tall CSV shaped like real files: each procedure
// has payersPerCode consecutive rows (one per payer and plan), so a
// procedure's rows fill whole 100-entity batches.
func realisticTall(b testing.TB, rows, payersPerCode int) []byte {
	b.Helper()
	var head bytes.Buffer
	if err := mrf.Generate(&head, mrf.FormatCSVTall, 0, 1); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(head.Bytes())
	w := csv.NewWriter(bufio.NewWriter(&buf))
	for n := range rows {
		code := 10000 + n/payersPerCode
		p := n % payersPerCode
		dollar := fmt.Sprintf("%d.%02d", 100+(n*37)%900, n%100)
		if err := w.Write([]string{
			fmt.Sprintf("Generated service %d", code), strconv.Itoa(code), "CPT", "", "outpatient", "", "",
			"1200.00", "900.00", "50.00", "9999.99", "", fmt.Sprintf("Payer %d", p), "PPO", dollar, "", "", "", "", "", "", "fee schedule",
		}); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkIngest imports into Azurite: "realistic" has 100 payers per
// procedure (full batches), "generated" is mrf.Generate's tall file, where
// every procedure has 2 rows (the worst case for batching: about ten times
// slower, so it runs a tenth of the rows).
func BenchmarkIngest(b *testing.B) {
	// As patient as `handler ingest` (cmd/handler's ingestRetry): at a
	// million rows Azurite takes seconds for some batches, and the app's
	// fail-fast retries would give up on them.
	patient := tablestorage.Options{ClientOptions: &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{
		MaxRetries: 6, TryTimeout: time.Minute, RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 15 * time.Second,
	}}}}
	for _, tc := range []struct {
		name string
		rows int
		data func(rows int) []byte
	}{
		{"realistic", benchRows(b), func(rows int) []byte { return realisticTall(b, rows, 100) }},
		{"generated", max(1, benchRows(b)/10), func(rows int) []byte {
			var buf bytes.Buffer
			if err := mrf.Generate(&buf, mrf.FormatCSVTall, rows, 7); err != nil {
				b.Fatal(err)
			}
			return buf.Bytes()
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rows := tc.rows
			data := tc.data(rows)
			b.SetBytes(int64(len(data)))
			total := 0
			for b.Loop() {
				b.StopTimer()
				svc := &Service{Store: newStoreWith(b, patient)}
				b.StartTimer()
				sum, err := svc.Import(context.Background(), bytes.NewReader(data), tc.name+".csv")
				if err != nil {
					b.Fatal(err)
				}
				if sum.RowsImported != rows {
					b.Fatalf("imported %d of %d rows", sum.RowsImported, rows)
				}
				total += sum.RowsImported
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
