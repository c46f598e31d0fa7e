package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/ingest"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/tablestorage"
)

const ingestUsage = `usage: handler ingest [-writers N] FILE...

Imports CMS machine-readable price files into Table Storage, with the same
settings as the app: PRICELINE_TABLES_CONNECTION_STRING (Azurite or a
connection string) or PRICELINE_TABLES_ENDPOINT (managed identity; AZURE_CLIENT_ID
picks a user-assigned one).
`

// runIngest implements "handler ingest FILE...". It exits 0 when every file
// was imported, 1 when any was refused or failed, and 2 on bad usage or
// settings.
func runIngest(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ingestFiles(ctx, args, os.Getenv, stdout, stderr, isTerminal(stderr))
}

// isTerminal reports whether w is a character device, where a redrawn
// progress bar makes sense; pipes and files get plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func ingestFiles(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, tty bool) int {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, ingestUsage) }
	writers := fs.Int("writers", ingest.DefaultWriters, "concurrent batch writers")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || *writers < 1 || *writers > 64 {
		fs.Usage()
		return 2
	}
	// The table settings are serve's, read and checked by the same code.
	cfg := &config{ManagedIdentityID: getenv("AZURE_CLIENT_ID")}
	if err := loadTablesConfig(cfg, getenv); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var cred azcore.TokenCredential
	if cfg.TablesEndpoint != "" {
		c, err := keyvault.Credential(cfg.ManagedIdentityID, nil)
		if err != nil {
			fmt.Fprintf(stderr, "managed identity credential: %v\n", err)
			return 2
		}
		cred = c
	}
	tables, err := newIngestTables(cfg, cred)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ensure, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = tables.EnsureTables(ensure)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "table storage: %v\n", err)
		return 1
	}
	bar := &progressPrinter{w: stderr, tty: tty}
	svc := &ingest.Service{Store: tables.Prices(), Options: ingest.Options{Writers: *writers, Progress: bar.print}}
	code := 0
	for _, path := range fs.Args() {
		sum, err := ingestFile(ctx, svc, path)
		bar.finish()
		if sum != nil {
			printSummary(stdout, sum)
		}
		if err != nil {
			printIngestError(stderr, path, err)
			code = 1
		}
		if ctx.Err() != nil {
			break
		}
	}
	return code
}

// ingestRetry is patient where the app's fail-fast retries are not: a
// request waits for a web response, an import does not, and a busy account
// (or Azurite) may take seconds for a 100-entity batch. Every write of an
// import is an idempotent upsert or delete, so retrying is safe.
var ingestRetry = policy.RetryOptions{
	MaxRetries:    6,
	TryTimeout:    60 * time.Second,
	RetryDelay:    500 * time.Millisecond,
	MaxRetryDelay: 15 * time.Second,
}

// newIngestTables is newTables (the same settings, the same errors) with
// ingestRetry.
func newIngestTables(cfg *config, cred azcore.TokenCredential) (*tablestorage.Client, error) {
	opt := tablestorage.Options{ClientOptions: &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Retry: ingestRetry}}}
	return newTables(cfg, cred, opt)
}

func ingestFile(ctx context.Context, svc *ingest.Service, path string) (*ingest.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return svc.Import(ctx, f, path)
}

func printIngestError(w io.Writer, path string, err error) {
	var fe *mrf.FormatError
	var pe *priceline.Error
	switch {
	case errors.As(err, &fe):
		fmt.Fprintf(w, "%s: REFUSED, nothing was written: not a readable CMS price file\n", printable(path))
		for i, p := range fe.Problems {
			if i == validateShown {
				fmt.Fprintf(w, "  … and %d more\n", len(fe.Problems)-i)
				break
			}
			fmt.Fprintf(w, "  %s\n", printable(p.String()))
		}
	case errors.As(err, &pe) && pe.Kind != priceline.KindInternal && pe.Kind != priceline.KindUnavailable:
		fmt.Fprintf(w, "%s: NOT IMPORTED: %s\n", printable(path), printable(pe.Message))
	default:
		fmt.Fprintf(w, "%s: FAILED: %s\n", printable(path), printable(err.Error()))
	}
}

// printSummary reports one file: the hospital, rows read, imported and
// rejected by rule, and the first errors with their rows.
func printSummary(w io.Writer, s *ingest.Summary) {
	h := s.Hospital
	license := strings.TrimSpace(h.LicenseState + " " + h.LicenseNumber)
	fmt.Fprintf(w, "%s: %s (license %s; id %s), last updated %s, version %s, %s\n",
		printable(s.File), printable(h.Name), printable(license), h.ID, printable(h.LastUpdatedOn), printable(s.Version), s.Format)
	fmt.Fprintf(w, "  rows read %d, imported %d, rejected %d; imported with dropped cells %d (cells dropped %d); charges written %d; stale rows removed %d; warnings %d; %s\n",
		s.RowsRead, s.RowsImported, s.RowsRejected, s.RowsSalvaged, s.CellsDropped, s.Charges, s.StaleDeleted, s.Warnings, s.Elapsed.Round(time.Millisecond))
	if len(s.RejectedByRule) > 0 {
		fmt.Fprintf(w, "  rejected by rule:")
		for _, r := range slices.Sorted(maps.Keys(s.RejectedByRule)) {
			fmt.Fprintf(w, " %s %d;", r, s.RejectedByRule[r])
		}
		fmt.Fprintln(w)
	}
	if len(s.ByRule) > 0 {
		fmt.Fprintf(w, "  problems by rule (errors, warnings):")
		for _, r := range slices.Sorted(maps.Keys(s.ByRule)) {
			fmt.Fprintf(w, " %s %d, %d;", r, s.ByRule[r].Errors, s.ByRule[r].Warnings)
		}
		fmt.Fprintln(w)
	}
	if len(s.FirstErrors) > 0 {
		fmt.Fprintf(w, "  first errors:\n")
		for _, p := range s.FirstErrors {
			fmt.Fprintf(w, "    %s\n", printable(p.String()))
		}
	}
	fileErrors := 0
	for _, p := range s.FileProblems {
		if p.Severity == mrf.SeverityError {
			fileErrors++
		}
	}
	if fileErrors > 0 {
		fmt.Fprintf(w, "  file-level errors (rows were still imported):\n")
		for _, p := range s.FileProblems {
			if p.Severity == mrf.SeverityError {
				fmt.Fprintf(w, "    %s\n", printable(p.String()))
			}
		}
	}
}

// progressPrinter shows progress: a bar redrawn in place on a terminal,
// a plain line every few seconds otherwise.
type progressPrinter struct {
	w        io.Writer
	tty      bool
	lastLine time.Time
	drawn    bool
}

func (p *progressPrinter) print(pr ingest.Progress) {
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Rows) / s
	}
	pct := 100.0
	if pr.TotalBytes > 0 {
		pct = 100 * float64(pr.Bytes) / float64(pr.TotalBytes)
	}
	eta := "--:--"
	if pr.Bytes > 0 && pr.TotalBytes > pr.Bytes {
		left := time.Duration(float64(pr.Elapsed) * float64(pr.TotalBytes-pr.Bytes) / float64(pr.Bytes))
		eta = fmtDuration(left)
	} else if pr.Done {
		eta = "0:00"
	}
	if p.tty {
		const width = 30
		fill := min(width, int(pct*width/100))
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		fmt.Fprintf(p.w, "\r[%s] %5.1f%% %s/%s %7.0f rows/s ETA %s ", bar, pct, fmtBytes(pr.Bytes), fmtBytes(pr.TotalBytes), rate, eta)
		p.drawn = true
		return
	}
	if !pr.Done && time.Since(p.lastLine) < 2*time.Second {
		return
	}
	p.lastLine = time.Now()
	fmt.Fprintf(p.w, "%s: %.1f%% of %s, %d rows, %d charges written, %.0f rows/s, ETA %s\n",
		printable(pr.File), pct, fmtBytes(pr.TotalBytes), pr.Rows, pr.Charges, rate, eta)
}

// finish ends a bar's line so the summary starts on its own.
func (p *progressPrinter) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	p.lastLine = time.Time{}
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
