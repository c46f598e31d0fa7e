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

// checkedRows are a batch's checked rows and the arenas their charges live
// in, one per part of parallelFor; CSV and JSON batches alike reuse them
// from batch to batch.
type checkedRows struct {
	out    []rowResult
	arenas []chargeArena
}

// reset makes room for n rows and empties the arenas.
func (c *checkedRows) reset(n int) {
	if cap(c.out) < n {
		c.out = make([]rowResult, n)
	}
	c.out = c.out[:n]
	if parts := runtime.GOMAXPROCS(0); len(c.arenas) < parts {
		c.arenas = make([]chargeArena, parts)
	}
	for i := range c.arenas {
		c.arenas[i].buf = c.arenas[i].buf[:0]
	}
}

// take hands out row i's result and lets go of it.
func (c *checkedRows) take(i int) rowResult {
	res := c.out[i]
	c.out[i] = rowResult{}
	return res
}

// readAhead hands batches (of CSV records or JSON items) from the goroutine
// that reads the next one to the caller, who takes the current one row by
// row; a used batch is kept as the spare to read into next.
type readAhead[B any] struct {
	fill  func(*B)     // reads the next batch into b (start sends it on ahead)
	ahead chan *B      // the batch being read ahead; receives exactly once per fill
	cur   *B           // the batch being handed out
	rows  *checkedRows // cur's checked rows
	i     int          // the next of them
	spare *B
}

// row hands out the current batch's next checked row; ok is false when it
// has none left or no batch is current.
func (q *readAhead[B]) row() (res rowResult, ok bool) {
	if q.rows == nil || q.i == len(q.rows.out) {
		return rowResult{}, false
	}
	res = q.rows.take(q.i)
	q.i++
	return res, true
}

// hold makes b, checked into rows, the batch handed out row by row.
func (q *readAhead[B]) hold(b *B, rows *checkedRows) { q.cur, q.rows, q.i = b, rows, 0 }

// recycle keeps the used-up current batch as the spare to read into.
func (q *readAhead[B]) recycle() { q.spare, q.cur, q.rows = q.cur, nil, nil }

// start fills a recycled batch in a new goroutine.
func (q *readAhead[B]) start() {
	b := q.spare
	q.spare = nil
	if b == nil {
		b = new(B)
	}
	ahead := q.ahead
	go func() {
		q.fill(b)
		ahead <- b
	}()
}

// receive waits for the batch being read ahead, starting the first read if
// none is under way.
func (q *readAhead[B]) receive() *B {
	if q.ahead == nil {
		q.ahead = make(chan *B, 1)
		q.start()
	}
	return <-q.ahead
}

// csvBatch is a run of records, read by one goroutine and then checked.
type csvBatch struct {
	fields []string
	text   []byte // record text being read (reused)
	ends   []int  // field ends in text (reused)
	rows   []csvSpan
	checkedRows
	err error // what ended the read: nil (the batch is full), io.EOF or a failure
}

// readBatch fills b with the next records. It alone uses the record reader
// and the limiter until it returns and start sends b, which hands them
// back to the caller.
func (st *csvState) readBatch(b *csvBatch) {
	b.fields, b.rows, b.err = b.fields[:0], b.rows[:0], nil
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

// next returns the next data row's charges and problems.
func (st *csvState) next() ([]priceline.Charge, []Problem, error) {
	q := &st.batches
	for {
		if res, ok := q.row(); ok {
			return res.chs, res.ps, nil
		}
		if b := q.cur; b != nil {
			if b.err != nil {
				if errors.Is(b.err, io.EOF) {
					return nil, nil, io.EOF
				}
				return nil, nil, st.rd.csvErr(b.err)
			}
			q.recycle()
		}
		b := q.receive()
		if b.err == nil {
			q.start()
		}
		st.checkBatch(b)
		q.hold(b, &b.checkedRows)
	}
}

// checkBatch runs the row rules over b, its rows split over the cores.
func (st *csvState) checkBatch(b *csvBatch) {
	n := len(b.rows)
	b.reset(n)
	span := func(part, lo, hi int) {
		sc := rowScratch{arena: &b.arenas[part]}
		for i := lo; i < hi; i++ {
			r := b.rows[i]
			chs, ps, _ := st.row(b.fields[r.start:r.end], r.line, &sc)
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
