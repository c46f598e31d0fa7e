package mrf

import "hospitalpriceline/functions/priceline"

// The items of standard_charge_information are read in batches, as CSV
// rows are (csvbatch.go): one goroutine reads the next batch's items (their
// syntax checked by jsontext, their text copied) while the current one is
// read (checkText) and checked on every core. The same bounds apply.
const (
	jsonBatchItems = 256
	jsonBatchBytes = 1 << 20
)

// jsonBatch is a run of decoded items.
type jsonBatch struct {
	text []byte // the items' JSON text, one after the other
	ends []int  // where each item's text ends in text
	checkedRows
	end bool  // the array ended after these items
	err error // decoding failed after these items
}

// readBatch decodes the next items into b. It alone uses the decoder and
// the limiter until it returns and start sends b.
func (st *jsonState) readBatch(b *jsonBatch) {
	b.text, b.ends, b.end, b.err = b.text[:0], b.ends[:0], false, nil
	dec := st.dec
	for len(b.ends) < jsonBatchItems && len(b.text) < jsonBatchBytes {
		if !st.more() {
			b.end = true
			break
		}
		st.lim.reset()
		raw, err := dec.ReadValue()
		if err != nil {
			b.err = err
			break
		}
		b.text = append(b.text, raw...)
		b.ends = append(b.ends, len(b.text))
	}
}

// nextItem returns the next item's charges, or done once the array has
// ended (the decoder is then the caller's again) or failed (err).
func (st *jsonState) nextItem() (chs []priceline.Charge, ps []Problem, done bool, err error) {
	q := &st.batches
	for {
		if res, ok := q.row(); ok {
			st.nItems++
			return res.chs, res.ps, false, nil
		}
		if b := q.cur; b != nil {
			switch {
			case b.err != nil:
				st.nItems++ // the item that failed
				return nil, nil, true, st.syntax(b.err)
			case b.end:
				q.recycle()
				q.ahead = nil
				return nil, nil, true, nil
			}
			q.recycle()
		}
		b := q.receive()
		if b.err == nil && !b.end {
			q.start()
		}
		st.checkBatch(b)
		q.hold(b, &b.checkedRows)
	}
}

// checkBatch checks b's items, split over the cores; they are numbered on
// from the items handed out so far.
func (st *jsonState) checkBatch(b *jsonBatch) {
	first := st.nItems + 1
	n := len(b.ends)
	b.reset(n)
	parallelFor(n, func(part, lo, hi int) {
		sc := rowScratch{arena: &b.arenas[part]}
		for i := lo; i < hi; i++ {
			sc.ps = nil
			start := 0
			if i > 0 {
				start = b.ends[i-1]
			}
			chs := st.checkText(b.text[start:b.ends[i]], first+i, &sc.ps, &sc)
			b.out[i] = rowResult{chs: chs, ps: sc.ps}
		}
	})
}
