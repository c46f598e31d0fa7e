package mrf

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// normHeader lower-cases a header cell and removes the spaces CMS allows
// around "|", so "Code | 1 | Type" and "code|1|type" are the same column.
func normHeader(s string) string {
	parts := strings.Split(s, "|")
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, "|")
}

// sniffDelimiter looks at the first record and refuses files that use a
// tab or semicolon where CMS requires commas.
func sniffDelimiter(br *bufio.Reader) *Problem {
	buf, _ := br.Peek(sniffBufferSize)
	var commas, tabs, semis int
	inQuote := false
	for _, c := range buf {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if c == '\n' {
			break
		}
		switch c {
		case ',':
			commas++
		case '\t':
			tabs++
		case ';':
			semis++
		}
	}
	kind := ""
	switch {
	case tabs > commas && tabs >= semis:
		kind = "tab"
	case semis > commas:
		kind = "semicolon"
	}
	if kind == "" {
		return nil
	}
	return &Problem{Row: 1, Rule: RuleCSVDelimiter, Severity: SeverityError,
		Message: fmt.Sprintf("the CMS format requires comma-separated values; this file looks %s-delimited", kind)}
}

// csvCols locates the columns of a CSV layout by their index in the row.
type csvCols struct {
	description, modifiers, setting, drugUnit, drugType int
	gross, cash, min, max, genericNotes                 int
	codes                                               []struct{ code, typ int }
	tall                                                csvPayerCols // tall: the one set of payer columns
	wide                                                []csvPayerCols
}

type csvPayerCols struct {
	payerName, planName                                               string // wide: from the header
	payer, plan, dollar, pct, alg, est, median, p10, p90, count, meth int
	notes                                                             int
}

// csvState is the CSV side of a Reader.
type csvState struct {
	cr      *csvRecords
	cols    csvCols
	headers []string // row-3 header names as written, for messages
	rd      *Reader
	lim     *recordLimiter
	batches readAhead[csvBatch] // the data rows, read ahead (csvbatch.go)
}

func (r *Reader) openCSV(br *bufio.Reader) error {
	if p := sniffDelimiter(br); p != nil {
		r.file = append(r.file, *p)
		return r.formatErr()
	}
	lim := &recordLimiter{r: br}
	cr := newCSVRecords(lim)
	st := &csvState{cr: cr, rd: r, lim: lim}

	read := func(which string) ([]string, int, int, error) {
		lim.reset()
		text, ends, err := cr.read(nil, nil)
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.file.errorf(0, "", RuleHeaderBlank, "the file ends before header %s", which)
				return nil, 0, 0, r.formatErr()
			}
			return nil, 0, 0, r.csvErr(err)
		}
		return recordStrings(nil, text, 0, ends), cr.start, cr.end, nil
	}
	row1, _, end1, err := read("row 1")
	if err != nil {
		return err
	}
	row2, start2, end2, err := read("row 2 (the values of row 1)")
	if err != nil {
		return err
	}
	row3, start3, _, err := read("row 3 (the item headers)")
	if err != nil {
		return err
	}
	// encoding/csv skips blank lines, but a blank header row shifts every
	// row after it, so it must be caught here.
	// Salvage reads on: encoding/csv skipped the blank line, so the rows
	// after it are where they belong.
	if start2 != end1+1 {
		r.file.errorf(end1+1, "", RuleHeaderBlank, "row %d is blank; row 2 must hold the values of the row-1 headers", end1+1)
		if !r.salvage {
			return r.formatErr()
		}
	}
	if start3 != end2+1 {
		r.file.errorf(end2+1, "", RuleHeaderBlank, "row %d is blank; row 3 must hold the item and service headers", end2+1)
		if !r.salvage {
			return r.formatErr()
		}
	}
	r.readGeneralHeaders(row1, row2)
	st.readItemHeaders(row3, start3)
	if hasErrors(r.file) && headerBroken(r.file) {
		if !r.salvage || r.salvageRefuses() {
			return r.formatErr()
		}
		r.file.warnf(0, "", RuleSalvageHeader, "the header rows break CMS's rules (see the errors); the rows are read with the columns that are there")
	}
	st.batches.fill = st.readBatch
	r.src = st.next
	return nil
}

// headerBroken reports whether ps holds a header-structure error, the kind
// that makes every data row unreadable, as opposed to a bad value in row 2.
func headerBroken(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError && strings.HasPrefix(p.Rule, "header.") {
			return true
		}
	}
	return false
}

// csvErr records a CSV syntax error as a problem and returns it as a
// FormatError; other errors are I/O failures and pass through.
func (r *Reader) csvErr(err error) error {
	if limitErr(err) {
		return r.tooLarge(0)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		r.file.errorf(pe.StartLine, "", RuleCSVSyntax, "CSV syntax error on line %d: %v", pe.Line, pe.Err)
		return r.formatErr()
	}
	return fmt.Errorf("read %s: %w", r.name, err)
}

// rowScratch holds the slices one goroutine reuses from row to row: the
// codes and payers are read by the checker and dropped before the next row,
// so allocating them per row only fed the garbage collector.
type rowScratch struct {
	codes  []codeIn
	payers []payerIn
	arena  *chargeArena // nil: each row's charges are allocated
	raw    *rawItem     // a JSON item's flat form (jsonitem.go)
	// ps collects one row's problems. A local would move to the heap for
	// every row (the checker holds a pointer to it); this one is reset to
	// nil per row, so a row's problems are still its own slice.
	ps problems
}

// blank reports whether s holds only white space, without the work of
// strings.TrimSpace in the common case of a cell that starts with text.
func blank(s string) bool {
	if s == "" {
		return true
	}
	if c := s[0]; c > ' ' && c < 0x80 {
		return false
	}
	return strings.TrimSpace(s) == ""
}

// addPayer appends the payer columns pc of rec to ps, filled in place (a
// payerIn is over 500 bytes).
func (st *csvState) addPayer(ps []payerIn, rec []string, pc *csvPayerCols) ([]payerIn, *payerIn) {
	ps = append(ps, payerIn{})
	p := &ps[len(ps)-1]
	st.setCell(&p.payer, rec, pc.payer, "")
	st.setCell(&p.plan, rec, pc.plan, "")
	st.setCell(&p.dollar, rec, pc.dollar, "")
	st.setCell(&p.pct, rec, pc.pct, "")
	st.setCell(&p.alg, rec, pc.alg, "")
	st.setCell(&p.methodology, rec, pc.meth, "")
	st.setCell(&p.est, rec, pc.est, "estimated_amount")
	st.setCell(&p.median, rec, pc.median, "median_amount")
	st.setCell(&p.p10, rec, pc.p10, "10th_percentile")
	st.setCell(&p.p90, rec, pc.p90, "90th_percentile")
	st.setCell(&p.count, rec, pc.count, "count")
	st.setCell(&p.notes, rec, pc.notes, "additional_generic_notes")
	return ps, p
}

// setCell writes column i of rec into f, which must be zero, reported under
// its row-3 header (or name, for a column the header lacks). Returning a
// field (56 bytes) to copy into place cost a fifth of a tall row's time.
func (st *csvState) setCell(f *field, rec []string, i int, name string) {
	if i < 0 {
		f.col = name
		return
	}
	f.col = st.headers[i]
	if f.col == "" {
		f.col = name
	}
	if i < len(rec) {
		f.val = rec[i]
		f.set = !blank(rec[i])
	}
}

func (st *csvState) row(rec []string, line int, sc *rowScratch) ([]priceline.Charge, []Problem, error) {
	sc.ps = nil
	ps := &sc.ps
	if st.rd.salvage {
		rec = st.salvageRecord(rec, line, ps)
	}
	c := &st.cols
	it := itemIn{codes: sc.codes[:0]}
	st.setCell(&it.description, rec, c.description, "")
	st.setCell(&it.modifiers, rec, c.modifiers, "")
	st.setCell(&it.drugUnit, rec, c.drugUnit, "")
	st.setCell(&it.drugType, rec, c.drugType, "")
	for _, cd := range c.codes {
		it.codes = append(it.codes, codeIn{})
		in := &it.codes[len(it.codes)-1]
		st.setCell(&in.code, rec, cd.code, "")
		st.setCell(&in.typ, rec, cd.typ, "")
	}
	ci := chargesIn{payers: sc.payers[:0]}
	st.setCell(&ci.setting, rec, c.setting, "")
	st.setCell(&ci.gross, rec, c.gross, "")
	st.setCell(&ci.cash, rec, c.cash, "")
	st.setCell(&ci.min, rec, c.min, "")
	st.setCell(&ci.max, rec, c.max, "")
	st.setCell(&ci.genericNotes, rec, c.genericNotes, "")
	if st.rd.format == FormatCSVTall {
		var p *payerIn
		ci.payers, p = st.addPayer(ci.payers, rec, &c.tall)
		if c.tall.notes < 0 {
			p.notes = ci.genericNotes // v3 tall has one notes column for both uses
		} else {
			p.altNotes = ci.genericNotes
		}
		p.condNotes = ci.genericNotes
		if !(p.payer.set || p.plan.set || p.dollar.set || p.pct.set || p.alg.set || p.methodology.set || p.est.set ||
			p.median.set || p.p10.set || p.p90.set || p.count.set) {
			ci.payers = ci.payers[:0]
		}
	} else {
		for i := range c.wide {
			pc := &c.wide[i]
			var p *payerIn
			ci.payers, p = st.addPayer(ci.payers, rec, pc)
			p.payer = field{col: "payer", val: pc.payerName, set: true}
			p.plan = field{col: "plan", val: pc.planName, set: true}
			p.altNotes = ci.genericNotes
			p.condNotes = p.notes
			if !(p.dollar.set || p.pct.set || p.alg.set || p.methodology.set || p.est.set || p.median.set ||
				p.p10.set || p.p90.set || p.count.set || p.notes.set) {
				ci.payers = ci.payers[:len(ci.payers)-1]
			}
		}
	}
	sc.codes, sc.payers = it.codes, ci.payers
	ck := checker{fam: st.rd.fam, ver: st.rd.ver, csv: true, row: line, ps: ps, hosp: st.rd.hospital.ID, salvage: st.rd.salvage,
		arena: sc.arena}
	base := ck.item(&it)
	chs := ck.charges(base, &ci, ck.modifierOnly(&it, base))
	return chs, *ps, nil
}
