package mrf

import "hospitalpriceline/functions/priceline"

// The items of standard_charge_information are decoded in batches, as CSV
// rows are (csvbatch.go): one goroutine decodes the next batch while the
// current one is checked on every core. The same bounds apply. (Decoding
// only json.RawMessage ahead and building the values on the checking
// goroutines measured no faster: it scans every item twice.)
const (
	jsonBatchItems = 256
	jsonBatchBytes = 1 << 20
)

// jsonBatch is a run of decoded items.
type jsonBatch struct {
	items []any
	out   []rowResult
	end   bool  // the array ended after these items
	err   error // decoding failed after these items
}

// jsonPipeline feeds jsonState.next from batches.
type jsonPipeline struct {
	st    *jsonState
	ahead chan *jsonBatch
	cur   *jsonBatch
	i     int
	spare *jsonBatch
}

// read decodes the next items into b. It alone uses the decoder and the
// limiter until it sends b.
func (p *jsonPipeline) read(b *jsonBatch) {
	clear(b.items)
	b.items, b.end, b.err = b.items[:0], false, nil
	dec := p.st.dec
	start := dec.InputOffset()
	for len(b.items) < jsonBatchItems && dec.InputOffset()-start < jsonBatchBytes {
		if !dec.More() {
			b.end = true
			break
		}
		p.st.lim.reset()
		var item any
		if err := dec.Decode(&item); err != nil {
			b.err = err
			break
		}
		b.items = append(b.items, item)
	}
	p.ahead <- b
}

func (p *jsonPipeline) readAhead() {
	b := p.spare
	p.spare = nil
	if b == nil {
		b = &jsonBatch{}
	}
	go p.read(b)
}

// nextItem returns the next item's charges, or done once the array has
// ended (the decoder is then the caller's again) or failed (err).
func (p *jsonPipeline) nextItem() (chs []priceline.Charge, ps []Problem, done bool, err error) {
	st := p.st
	for {
		if b := p.cur; b != nil {
			if p.i < len(b.items) {
				res := b.out[p.i]
				b.out[p.i] = rowResult{}
				p.i++
				st.nItems++
				return res.chs, res.ps, false, nil
			}
			switch {
			case b.err != nil:
				st.nItems++ // the item that failed
				return nil, nil, true, st.syntax(b.err)
			case b.end:
				p.cur, p.ahead = nil, nil
				p.spare = b
				return nil, nil, true, nil
			}
			p.spare, p.cur = b, nil
		}
		if p.ahead == nil {
			p.ahead = make(chan *jsonBatch, 1)
			p.readAhead()
		}
		b := <-p.ahead
		if b.err == nil && !b.end {
			p.readAhead()
		}
		first := st.nItems + 1
		n := len(b.items)
		if cap(b.out) < n {
			b.out = make([]rowResult, n)
		}
		b.out = b.out[:n]
		parallelFor(n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				var ps problems
				chs := st.item(b.items[i], first+i, &ps)
				b.out[i] = rowResult{chs: chs, ps: ps}
			}
		})
		p.cur, p.i = b, 0
	}
}
