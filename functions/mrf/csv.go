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
	cr      *csv.Reader
	cols    csvCols
	headers []string // row-3 header names as written, for messages
	rd      *Reader
	lim     *recordLimiter
}

func (r *Reader) openCSV(br *bufio.Reader) error {
	if p := sniffDelimiter(br); p != nil {
		r.file = append(r.file, *p)
		return r.formatErr()
	}
	lim := &recordLimiter{r: br}
	cr := csv.NewReader(lim)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	st := &csvState{cr: cr, rd: r, lim: lim}

	read := func(which string) ([]string, int, int, error) {
		lim.reset()
		rec, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.file.errorf(0, "", RuleHeaderBlank, "the file ends before header %s", which)
				return nil, 0, 0, r.formatErr()
			}
			return nil, 0, 0, r.csvErr(err)
		}
		start, _ := cr.FieldPos(0)
		endLine, _ := cr.FieldPos(len(rec) - 1)
		endLine += strings.Count(rec[len(rec)-1], "\n")
		return append([]string(nil), rec...), start, endLine, nil
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
	r.src = newCSVPipeline(st).next
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

func (st *csvState) row(rec []string, line int) ([]priceline.Charge, []Problem, error) {
	var ps problems
	if st.rd.salvage {
		rec = st.salvageRecord(rec, line, &ps)
	}
	get := func(i int) field {
		if i < 0 {
			return field{}
		}
		f := field{col: st.headers[i]}
		if i < len(rec) {
			f.val = rec[i]
			f.set = strings.TrimSpace(rec[i]) != ""
		}
		return f
	}
	named := func(i int, name string) field {
		f := get(i)
		if f.col == "" {
			f.col = name
		}
		return f
	}
	c := &st.cols
	it := itemIn{
		description: get(c.description),
		modifiers:   get(c.modifiers),
		drugUnit:    get(c.drugUnit),
		drugType:    get(c.drugType),
	}
	for _, cd := range c.codes {
		it.codes = append(it.codes, codeIn{code: get(cd.code), typ: get(cd.typ)})
	}
	ci := chargesIn{
		setting: get(c.setting), gross: get(c.gross), cash: get(c.cash),
		min: get(c.min), max: get(c.max), genericNotes: get(c.genericNotes),
	}
	payer := func(p csvPayerCols) payerIn {
		return payerIn{
			payer: get(p.payer), plan: get(p.plan), dollar: get(p.dollar), pct: get(p.pct), alg: get(p.alg),
			est: named(p.est, "estimated_amount"), median: named(p.median, "median_amount"), p10: named(p.p10, "10th_percentile"),
			p90: named(p.p90, "90th_percentile"), count: named(p.count, "count"), methodology: get(p.meth),
			notes: named(p.notes, "additional_generic_notes"),
		}
	}
	if st.rd.format == FormatCSVTall {
		p := payer(c.tall)
		if c.tall.notes < 0 {
			p.notes = ci.genericNotes // v3 tall has one notes column for both uses
		} else {
			p.altNotes = ci.genericNotes
		}
		p.condNotes = ci.genericNotes
		if p.payer.set || p.plan.set || p.dollar.set || p.pct.set || p.alg.set || p.methodology.set || p.est.set ||
			p.median.set || p.p10.set || p.p90.set || p.count.set {
			ci.payers = append(ci.payers, p)
		}
	} else {
		for _, pc := range c.wide {
			p := payer(pc)
			p.payer = field{col: "payer", val: pc.payerName, set: true}
			p.plan = field{col: "plan", val: pc.planName, set: true}
			p.altNotes = ci.genericNotes
			p.condNotes = p.notes
			if p.dollar.set || p.pct.set || p.alg.set || p.methodology.set || p.est.set || p.median.set ||
				p.p10.set || p.p90.set || p.count.set || p.notes.set {
				ci.payers = append(ci.payers, p)
			}
		}
	}
	ck := checker{fam: st.rd.fam, ver: st.rd.ver, csv: true, row: line, ps: &ps, hosp: st.rd.hospital.ID, salvage: st.rd.salvage}
	base := ck.item(&it)
	chs := ck.charges(base, &ci, ck.modifierOnly(&it, base))
	return chs, ps, nil
}
