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
	"slices"
	"strings"
	"sync"
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

// rowNumbers gives the importer's own problems the numbering mrf uses: the
// file line for CSV and the item index for JSON. mrf does not expose the
// current CSV line, so it is the row count plus the lines before the data:
// three header lines at first, recalibrated from every row mrf reports a
// problem for (which carries its line), so blank rows and cells spanning
// lines before that row are accounted for.
type rowNumbers struct {
	csv    bool
	offset int
}

func (n *rowNumbers) observe(item int, ps []mrf.Problem) {
	for _, p := range ps {
		if n.csv && p.Row > 0 {
			n.offset = p.Row - item
			return
		}
	}
}

func (n *rowNumbers) of(item int) int { return item + n.offset }

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
	sum.Charges = int(w.written.Load())
	sum.Elapsed = time.Since(start)
	s.progress(Progress{File: name, Bytes: cr.n.Load(), TotalBytes: total, Rows: rd.Rows(), Charges: sum.Charges, Elapsed: sum.Elapsed, Done: true})
	if err != nil {
		return sum, err
	}
	if sum.RowsImported == 0 {
		return sum, priceline.Errorf(priceline.KindInvalid, "no_valid_rows", "%s has no rows that could be imported; the hospital's current prices were kept.", name)
	}
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

// readRows streams the file into w. A row's problems arrive with its
// first charge, so the decision is made there: a row without errors is
// imported; a row with errors is salvaged (imported without its unreadable
// cells, which mrf's salvage reading has already left out) when it carries
// a code and a price, and rejected otherwise. A row is imported or rejected
// whole, except that a salvaged row's charges without a price are left out.
func (s *Service) readRows(ctx context.Context, rd *mrf.Reader, cr *countingReader, total int64, w *writer, sum *Summary, start time.Time) error {
	firstErrors := s.Options.FirstErrors
	if firstErrors <= 0 {
		firstErrors = DefaultFirstErrors
	}
	every := s.Options.ProgressEvery
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	lastProgress := time.Now()
	headerProblems := len(rd.FileProblems())
	count := func(ps []mrf.Problem) {
		for _, p := range ps {
			rc := sum.ByRule[p.Rule]
			if p.Severity == mrf.SeverityError {
				rc.Errors++
			} else {
				rc.Warnings++
			}
			sum.ByRule[p.Rule] = rc
		}
	}
	count(rd.FileProblems())
	var (
		rows                  int
		rowOK, rowStored      bool // rowOK: not rejected by the importer's own rules
		rowErrors, rowDropped bool // CMS errors; cells left out
		rowNoPrice            bool // a charge was skipped for want of a price
		rowRules              []string
		lines                 = &rowNumbers{csv: rd.Format() != mrf.FormatJSON}
		addRule               = func(rule string) {
			if !slices.Contains(rowRules, rule) {
				rowRules = append(rowRules, rule)
			}
		}
		firstError = func(p mrf.Problem) {
			if len(sum.FirstErrors) < firstErrors {
				sum.FirstErrors = append(sum.FirstErrors, p)
			}
		}
	)
	if lines.csv {
		lines.offset = 3
	}
	finishRow := func() {
		if rows == 0 {
			return
		}
		switch {
		case rowOK && rowStored:
			sum.RowsImported++
			if rowErrors || rowDropped {
				sum.RowsSalvaged++
			}
			return
		case rowOK && rowNoPrice:
			p := mrf.Problem{Row: lines.of(rows), Rule: RuleNoPrice, Severity: mrf.SeverityError,
				Message: "the row has errors and, without its unreadable cells, no price"}
			addRule(RuleNoPrice)
			firstError(p)
			count([]mrf.Problem{p})
		}
		sum.RowsRejected++
		for _, r := range rowRules {
			sum.RejectedByRule[r]++
		}
	}
	reject := func(rule string, p mrf.Problem) {
		rowOK = false
		addRule(rule)
		firstError(p)
		count([]mrf.Problem{p})
	}
	for {
		if err := w.failed(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c, ps, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The rest of the file is unreadable (a syntax error): what was
			// read stays imported, the break is reported like a row error.
			var fe *mrf.FormatError
			if errors.As(err, &fe) {
				finishRow()
				rows = 0
				count(fe.Problems)
				for _, p := range fe.Problems {
					sum.RejectedByRule[p.Rule]++
					firstError(p)
				}
				break
			}
			return fmt.Errorf("read %s: %w", sum.File, err)
		}
		if rd.Rows() != rows {
			finishRow()
			rows = rd.Rows()
			rowOK, rowStored, rowErrors, rowDropped, rowNoPrice, rowRules = true, false, false, false, false, nil
			lines.observe(rows, ps)
			count(ps)
			for _, p := range ps {
				switch {
				case p.Severity == mrf.SeverityError:
					rowErrors = true
					addRule(p.Rule)
					firstError(p)
				case p.Rule == mrf.RuleSalvageCellDropped:
					rowDropped = true
					sum.CellsDropped++
					sum.Warnings++
				default:
					sum.Warnings++
				}
			}
		}
		if !rowOK {
			continue
		}
		if rowErrors && !hasPrice(&c) {
			rowNoPrice = true
			continue
		}
		codes := chargeCodes(c.Codes)
		if len(codes) == 0 {
			// A modifier row (CMS allows rows that only describe what a
			// modifier does to other charges) is filed under its modifiers.
			for _, m := range c.Modifiers {
				codes = append(codes, priceline.Code{Code: m, Type: ModifierCodeType})
			}
			codes = chargeCodes(codes)
		}
		switch {
		case len(codes) == 0:
			reject(RuleNoCode, mrf.Problem{Row: lines.of(rows), Rule: RuleNoCode, Severity: mrf.SeverityError,
				Message: "the item has no code with a code type, so it cannot be found by procedure"})
			continue
		case c.TextBytes() > MaxChargeTextBytes:
			reject(RuleTooLarge, mrf.Problem{Row: lines.of(rows), Rule: RuleTooLarge, Severity: mrf.SeverityError,
				Message: fmt.Sprintf("the charge has more than %d bytes of text", MaxChargeTextBytes)})
			continue
		}
		c.HospitalID = sum.Hospital.ID
		for _, code := range codes {
			if err := w.add(code, c); err != nil {
				return err
			}
		}
		rowStored = true
		if time.Since(lastProgress) >= every {
			lastProgress = time.Now()
			s.progress(Progress{File: sum.File, Bytes: cr.n.Load(), TotalBytes: total, Rows: rd.Rows(), Charges: int(w.written.Load()), Elapsed: time.Since(start)})
		}
	}
	finishRow()
	sum.RowsRead = rd.Rows()
	late := rd.FileProblems()[headerProblems:]
	count(late)
	sum.FileProblems = append(sum.FileProblems, late...)
	return w.flushAll()
}

// chargeCodes returns the distinct usable codes of a charge (code and type
// both present), by their normalised form.
func chargeCodes(cs []priceline.Code) []priceline.Code {
	var out []priceline.Code
	var seen []priceline.Code
	for _, c := range cs {
		n := priceline.NormalizeCode(c)
		if n.Code == "" || n.Type == "" || slices.Contains(seen, n) {
			continue
		}
		seen = append(seen, n)
		out = append(out, c)
	}
	return out
}

// writer buffers charges by procedure and hands full batches to a pool of
// goroutines. Memory is bounded by MaxBuffered charges plus the batches in
// flight.
type writer struct {
	store       priceline.PriceStore
	hospitalID  string
	gen         string
	maxBuffered int
	buffers     map[priceline.Code]*batch
	buffered    int
	catalog     map[priceline.Code]bool
	prepared    map[priceline.Code]bool // declared with PrepareCharges (or sent, which declares)
	procs       []priceline.Procedure
	jobs        chan func(context.Context) error
	wg          sync.WaitGroup
	ctx         context.Context
	cancel      context.CancelFunc
	errOnce     sync.Once
	err         error
	errMu       sync.Mutex
	written     atomic.Int64
}

type batch struct {
	code    priceline.Code
	charges []priceline.Charge
}

func (s *Service) newWriter(ctx context.Context, hospitalID, gen string) *writer {
	n := s.Options.Writers
	if n <= 0 {
		n = DefaultWriters
	}
	mb := s.Options.MaxBuffered
	if mb <= 0 {
		mb = DefaultMaxBuffered
	}
	w := &writer{
		store: s.Store, hospitalID: hospitalID, gen: gen, maxBuffered: mb,
		buffers: map[priceline.Code]*batch{}, catalog: map[priceline.Code]bool{}, prepared: map[priceline.Code]bool{},
		jobs: make(chan func(context.Context) error, n),
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for job := range w.jobs {
				if w.failed() != nil {
					continue // drain: the import has already failed
				}
				if err := job(w.ctx); err != nil {
					w.fail(err)
				}
			}
		}()
	}
	return w
}

func (w *writer) fail(err error) {
	w.errOnce.Do(func() {
		w.errMu.Lock()
		w.err = err
		w.errMu.Unlock()
		w.cancel()
	})
}

func (w *writer) failed() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// add files c under code, sending the procedure's batch when it is full.
func (w *writer) add(code priceline.Code, c priceline.Charge) error {
	key := priceline.NormalizeCode(code)
	if !w.catalog[key] {
		w.catalog[key] = true
		w.procs = append(w.procs, priceline.Procedure{Code: code.Code, CodeType: code.Type, Description: c.Description})
		if len(w.procs) >= catalogBatch {
			w.sendProcs()
		}
	}
	b := w.buffers[key]
	if b == nil {
		b = &batch{code: code}
		w.buffers[key] = b
	}
	b.charges = append(b.charges, c)
	w.buffered++
	if len(b.charges) == priceline.MaxChargeBatch {
		w.send(key)
	}
	if w.buffered >= w.maxBuffered {
		return w.flushAll()
	}
	return w.failed()
}

func (w *writer) sendProcs() {
	procs := w.procs
	w.procs = nil
	w.jobs <- func(ctx context.Context) error { return w.store.PutProcedures(ctx, procs) }
}

func (w *writer) send(key priceline.Code) {
	b := w.buffers[key]
	w.prepared[key] = true
	delete(w.buffers, key)
	w.buffered -= len(b.charges)
	w.jobs <- func(ctx context.Context) error {
		if err := w.store.PutCharges(ctx, w.hospitalID, w.gen, b.code, b.charges); err != nil {
			return fmt.Errorf("write %d charges of %s %s: %w", len(b.charges), b.code.Type, b.code.Code, err)
		}
		w.written.Add(int64(len(b.charges)))
		return nil
	}
}

// flushAll sends every buffer, fullest first so that the biggest batches
// are in flight earliest. Buffers that were never sent are mostly new
// procedures, so they are declared to the store together first: a file
// with few rows per procedure would otherwise cost one extra write for each.
func (w *writer) flushAll() error {
	keys := make([]priceline.Code, 0, len(w.buffers))
	var fresh []priceline.Code
	for k, b := range w.buffers {
		keys = append(keys, k)
		if !w.prepared[k] {
			w.prepared[k] = true
			fresh = append(fresh, b.code)
		}
	}
	if len(fresh) > 1 {
		if err := w.store.PrepareCharges(w.ctx, w.hospitalID, w.gen, fresh); err != nil {
			w.fail(err)
			return err
		}
	}
	slices.SortFunc(keys, func(a, b priceline.Code) int { return len(w.buffers[b].charges) - len(w.buffers[a].charges) })
	for _, k := range keys {
		w.send(k)
	}
	if len(w.procs) > 0 {
		w.sendProcs()
	}
	return w.failed()
}

// close waits for the batches in flight and returns the first failure.
func (w *writer) close() error {
	close(w.jobs)
	w.wg.Wait()
	w.cancel()
	return w.failed()
}
