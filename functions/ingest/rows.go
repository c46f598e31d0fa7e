package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
)

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
		w.services.add(c.HospitalID, codes, &c)
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
