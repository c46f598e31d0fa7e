package mrf

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"

	"hospitalpriceline/functions/priceline"
)

// Rows are read in batches so that two cores can share the work: while one
// batch is checked, its rows split over every core, the next is read ahead.
// Every goroutine a call to next starts ends within a bounded amount of work
// (one batch), so a caller that stops reading leaks nothing and needs no
// Close. The bounds keep memory flat: at most two batches are held, each of
// at most csvBatchRows rows or csvBatchBytes of cell text plus one record.
const (
	csvBatchRows  = 1024
	csvBatchBytes = 1 << 20
	// Below this many rows a batch is checked on one core: starting
	// goroutines costs more than it saves.
	csvParallelMin = 64
)

// csvSpan locates one record in a batch's fields.
type csvSpan struct{ start, end, line int }

// rowResult is one checked row.
type rowResult struct {
	chs []priceline.Charge
	ps  []Problem
}

// csvBatch is a run of records, read by one goroutine and then checked.
type csvBatch struct {
	fields []string
	text   []byte // record text being read (reused)
	ends   []int  // field ends in text (reused)
	rows   []csvSpan
	out    []rowResult
	arenas []chargeArena // one per part of check's parallelFor, reused
	err    error         // what ended the read: nil (the batch is full), io.EOF or a failure
}

// csvPipeline feeds Reader.Next from batches.
type csvPipeline struct {
	st    *csvState
	ahead chan *csvBatch // the batch being read ahead; receives exactly once per read
	cur   *csvBatch
	i     int
	spare *csvBatch
}

func newCSVPipeline(st *csvState) *csvPipeline {
	return &csvPipeline{st: st}
}

// read fills b with the next records. It alone uses the record reader and
// the limiter until it sends b, which hands them back to the caller.
func (p *csvPipeline) read(b *csvBatch) {
	b.fields, b.rows, b.err = b.fields[:0], b.rows[:0], nil
	st := p.st
	text, size := b.text[:0], 0
	for len(b.rows) < csvBatchRows && size < csvBatchBytes {
		st.lim.reset()
		base, first := len(text), len(b.ends)
		var err error
		text, b.ends, err = st.cr.read(text, b.ends)
		if err != nil {
			text, b.ends = text[:base], b.ends[:first]
			b.err = err
			break
		}
		if blankRecord(text, base, b.ends[first:]) {
			text, b.ends = text[:base], b.ends[:first]
			continue // spreadsheet exports end with rows of bare commas
		}
		size += len(text) - base
		start := len(b.fields)
		b.fields = recordStrings(b.fields, text, base, b.ends[first:])
		b.rows = append(b.rows, csvSpan{start: start, end: len(b.fields), line: st.cr.start})
		text, b.ends = text[:base], b.ends[:first] // the strings hold the text now
	}
	b.text = text
	p.ahead <- b
}

// blankRecord reports whether every field of a record (ending at ends in
// text, from base) is blank, as blank does for a string.
func blankRecord(text []byte, base int, ends []int) bool {
	prev := base
	for _, e := range ends {
		f := text[prev:e]
		prev = e
		if len(f) == 0 {
			continue
		}
		if c := f[0]; c > ' ' && c < 0x80 {
			return false
		}
		if len(bytes.TrimSpace(f)) > 0 {
			return false
		}
	}
	return true
}

// readAhead starts reading the next batch into a recycled one.
func (p *csvPipeline) readAhead() {
	b := p.spare
	p.spare = nil
	if b == nil {
		b = &csvBatch{}
	}
	go p.read(b)
}

// next returns the next data row's charges and problems.
func (p *csvPipeline) next() ([]priceline.Charge, []Problem, error) {
	for {
		if b := p.cur; b != nil {
			if p.i < len(b.rows) {
				res := b.out[p.i]
				b.out[p.i] = rowResult{}
				p.i++
				return res.chs, res.ps, nil
			}
			if b.err != nil {
				if errors.Is(b.err, io.EOF) {
					return nil, nil, io.EOF
				}
				return nil, nil, p.st.rd.csvErr(b.err)
			}
			p.spare, p.cur = b, nil
		}
		if p.ahead == nil {
			p.ahead = make(chan *csvBatch, 1)
			p.readAhead()
		}
		b := <-p.ahead
		if b.err == nil {
			p.readAhead()
		}
		p.check(b)
		p.cur, p.i = b, 0
	}
}

// check runs the row rules over b, its rows split over the cores.
func (p *csvPipeline) check(b *csvBatch) {
	n := len(b.rows)
	if cap(b.out) < n {
		b.out = make([]rowResult, n)
	}
	b.out = b.out[:n]
	if parts := runtime.GOMAXPROCS(0); len(b.arenas) < parts {
		b.arenas = make([]chargeArena, parts)
	}
	for i := range b.arenas {
		b.arenas[i].buf = b.arenas[i].buf[:0]
	}
	span := func(part, lo, hi int) {
		sc := rowScratch{arena: &b.arenas[part]}
		for i := lo; i < hi; i++ {
			r := b.rows[i]
			chs, ps, _ := p.st.row(b.fields[r.start:r.end], r.line, &sc)
			b.out[i] = rowResult{chs: chs, ps: ps}
		}
	}
	parallelFor(n, span)
}

// parallelFor runs f over [0, n) split into one contiguous part per core
// (part numbers them from 0, below GOMAXPROCS), and returns when every part
// is done.
func parallelFor(n int, f func(part, lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || n < csvParallelMin {
		f(0, 0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for part, lo := 1, chunk; lo < n; part, lo = part+1, lo+chunk {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(part, lo, min(lo+chunk, n))
		}()
	}
	f(0, 0, min(chunk, n))
	wg.Wait()
}
