// Package ingest imports CMS machine-readable price files into a
// priceline.PriceStore: it streams a file through package mrf, keeps the
// valid rows, counts and reports the rest, and writes charges in batches by
// procedure with a few concurrent writers. It knows no storage SDK.
package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
)

// Rules the importer adds to the parser's: rows that are valid CMS data but
// cannot be stored.
const (
	RuleNoCode   = "ingest.no_code"   // no code with a code type: nothing to file the charge under
	RuleTooLarge = "ingest.too_large" // a charge whose text passes MaxChargeTextBytes
	// RuleNoPrice: a row with errors that, once its bad cells are dropped,
	// has no price left (gross, cash, min, max, or a payer's dollar amount,
	// percentage, algorithm, estimated or median amount).
	RuleNoPrice = "ingest.no_price"
)

// ModifierCodeType is the code type under which charges that describe only
// a modifier (no billing code) are filed, with the modifier as the code.
const ModifierCodeType = "MODIFIER"

// MaxChargeTextBytes bounds the text of one charge: the store's limit
// (priceline.MaxChargeTextBytes), checked here so that a longer row is
// rejected as a row rather than failing the import.
const MaxChargeTextBytes = priceline.MaxChargeTextBytes

// Defaults of Options.
const (
	DefaultWriters     = 4
	DefaultMaxBuffered = 5000
	DefaultFirstErrors = 20
	catalogBatch       = 500
)

// Options tune a Service; zero values take the defaults.
type Options struct {
	Writers     int // concurrent batch writers
	MaxBuffered int // charges held in memory before every buffer is flushed
	FirstErrors int // how many errors the summary lists with their rows
	// Progress, when set, is called about every ProgressEvery from the
	// importing goroutine, and once at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is how far an import has got.
type Progress struct {
	File       string
	Bytes      int64 // bytes read so far
	TotalBytes int64
	Rows       int // rows (CSV) or items (JSON) read
	Charges    int // charges written
	Elapsed    time.Duration
	Done       bool
}

// Summary is the outcome of importing one file.
type Summary struct {
	File           string
	Hospital       priceline.Hospital
	Format         string
	Version        string
	Generation     string
	RowsRead       int            // data rows (CSV) or items (JSON)
	RowsImported   int            // rows whose charges were stored
	RowsRejected   int            // rows left out; see RejectedByRule
	RejectedByRule map[string]int // rows rejected, by the rules they broke (a row may break several)
	// RowsSalvaged counts the imported rows that CMS's rules reject or that
	// lost a cell: they carry a code and a price, and are stored without
	// the cells that could not be read ("imported with dropped cells").
	RowsSalvaged int
	CellsDropped int                  // cells left out of imported and rejected rows (rule mrf.RuleSalvageCellDropped)
	ByRule       map[string]RuleCount // every problem of the file and its rows, by rule

	FirstErrors  []mrf.Problem // the first errors, with their rows
	Warnings     int           // warnings (rows with only warnings are imported)
	FileProblems []mrf.Problem // problems with the file as a whole
	Charges      int           // charges written (one per payer and plan, and per code)
	StaleDeleted int           // rows of the hospital's previous files removed
	Elapsed      time.Duration
}

// Service imports price files into Store.
type Service struct {
	Store   priceline.PriceStore
	Options Options
}

// Generation derives the generation of one import of a file: its
// last_updated_on, a hash of its bytes (which file), and attempt, random
// per import. Every import is a generation of its own, so importing the
// same file again writes a complete new set of rows and its commit deletes
// the previous set: the rows come out the same however the importer
// grouped them into pages, and rows an earlier version stored differently
// are replaced too.
func Generation(lastUpdatedOn string, sum, attempt []byte) string {
	return strings.ReplaceAll(lastUpdatedOn, "-", "") + "-" + hex.EncodeToString(sum)[:16] + "-" + hex.EncodeToString(attempt)
}

// countingReader counts the bytes read through it for progress reports.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingReaderAt is a countingReader that also offers random access and
// the file's size, which a zip needs; its reads count towards progress too.
type countingReaderAt struct {
	*countingReader
	ra   io.ReaderAt
	size int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReaderAt) Size() int64 { return c.size }

// Import reads the whole file twice: once to hash it (the generation), once
// to import it. A file that is not a price file, or that names no hospital
// or date, is refused before anything is written.
func (s *Service) Import(ctx context.Context, f io.ReadSeeker, name string) (*Summary, error) {
	start := time.Now()
	h := sha256.New()
	total, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind %s: %w", name, err)
	}
	cr := &countingReader{r: f}
	var src io.Reader = cr
	if ra, ok := f.(io.ReaderAt); ok {
		// A zip is read by random access (mrf.Open).
		src = &countingReaderAt{countingReader: cr, ra: ra, size: total}
	}
	rd, err := mrf.OpenWith(src, name, mrf.Options{Salvage: true})
	if err != nil {
		var fe *mrf.FormatError
		if errors.As(err, &fe) {
			return nil, priceline.Wrap(err, priceline.KindInvalid, "not_a_price_file",
				fmt.Sprintf("%s was not imported: %s", name, describe(fe.Problems)))
		}
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	hosp := rd.Hospital()
	sum := &Summary{File: name, Hospital: hosp, Format: rd.Format(), Version: rd.Version(), RejectedByRule: map[string]int{}, ByRule: map[string]RuleCount{}}
	sum.FileProblems = append(sum.FileProblems, rd.FileProblems()...)
	switch {
	case strings.TrimSpace(hosp.Name) == "":
		return sum, priceline.Errorf(priceline.KindInvalid, "no_hospital", "%s was not imported: it does not name its hospital (hospital_name).", name)
	case hosp.LastUpdatedOn == "":
		return sum, priceline.Errorf(priceline.KindInvalid, "no_date", "%s was not imported: it has no valid last_updated_on date, so it cannot be ordered against other files of %s.", name, hosp.Name)
	}
	attempt := make([]byte, 4)
	if _, err := rand.Read(attempt); err != nil {
		return sum, fmt.Errorf("import %s: %w", name, err)
	}
	sum.Generation = Generation(hosp.LastUpdatedOn, h.Sum(nil), attempt)
	if err := s.Store.BeginImport(ctx, hosp, sum.Generation); err != nil {
		return sum, err
	}

	w := s.newWriter(ctx, hosp.ID, sum.Generation)
	err = s.readRows(ctx, rd, cr, total, w, sum, start)
	if werr := w.close(); err == nil {
		err = werr
	}
	if err == nil && sum.RowsImported > 0 {
		err = w.services.write(ctx, s.Store, hosp.ID, sum.Generation)
	}
	sum.Charges = int(w.written.Load())
	sum.Elapsed = time.Since(start)
	s.progress(Progress{File: name, Bytes: cr.n.Load(), TotalBytes: total, Rows: rd.Rows(), Charges: sum.Charges, Elapsed: sum.Elapsed, Done: true})
	if err != nil {
		return sum, err
	}
	if sum.RowsImported == 0 {
		return sum, priceline.Errorf(priceline.KindInvalid, "no_valid_rows", "%s has no rows that could be imported; the hospital's current prices were kept.", name)
	}
	hosp.Facts = facts(sum)
	sum.Hospital.Facts = hosp.Facts
	deleted, err := s.Store.CommitImport(ctx, hosp, sum.Generation)
	sum.StaleDeleted = deleted
	sum.Elapsed = time.Since(start)
	return sum, err
}

// describe summarises why a file was refused.
func describe(ps []mrf.Problem) string {
	if len(ps) == 0 {
		return "it is not a CMS price file"
	}
	var b strings.Builder
	for i, p := range ps {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(ps)-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Row > 0 {
			fmt.Fprintf(&b, "row %d: ", p.Row)
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

func (s *Service) progress(p Progress) {
	if s.Options.Progress != nil {
		s.Options.Progress(p)
	}
}
