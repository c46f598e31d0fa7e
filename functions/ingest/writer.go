package ingest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"hospitalpriceline/functions/priceline"
)

// writer buffers charges by procedure and hands them to a pool of
// goroutines as groups (priceline.ChargeGroup): a procedure's full batch
// waits for fullGroups others, and a flush sends every buffer in one call,
// so that a store can put many procedures' pages into one request. Memory
// is bounded by MaxBuffered charges plus the calls in flight.
type writer struct {
	store       priceline.PriceStore
	hospitalID  string
	gen         string
	maxBuffered int
	buffers     map[priceline.Code]*batch
	buffered    int
	catalog     map[priceline.Code]bool
	full        []priceline.ChargeGroup // full batches not yet sent
	procs       []priceline.Procedure
	services    *serviceIndexer // the service index rows of the file
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
		buffers: map[priceline.Code]*batch{}, catalog: map[priceline.Code]bool{},
		jobs: make(chan func(context.Context) error, n), services: newServiceIndexer(),
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

// fullGroups is how many procedures' full batches are sent together: a
// store writes them in about as many requests (their pages fill a batch
// each), plus one for their records, rather than two each.
const fullGroups = 8

// add files c under code, queueing the procedure's batch when it is full.
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
		delete(w.buffers, key)
		w.full = append(w.full, priceline.ChargeGroup{Code: b.code, Charges: b.charges})
		if len(w.full) >= fullGroups {
			w.send(w.full)
			w.full = nil
		}
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

// send hands groups to the writers as one PutChargeGroups call.
func (w *writer) send(groups []priceline.ChargeGroup) {
	n := 0
	for _, g := range groups {
		n += len(g.Charges)
	}
	w.buffered -= n
	w.jobs <- func(ctx context.Context) error {
		if err := w.store.PutChargeGroups(ctx, w.hospitalID, w.gen, groups); err != nil {
			c := groups[0].Code
			return fmt.Errorf("write %d charges of %d procedures (the first %s %s): %w", n, len(groups), c.Type, c.Code, err)
		}
		w.written.Add(int64(n))
		return nil
	}
}

// flushAll sends every buffer and the full batches waiting, in one call:
// in a file with a handful of rows per procedure, most buffers hold a
// page of a few charges, and one call lets the store write a hundred
// procedures' pages in each request.
func (w *writer) flushAll() error {
	groups := w.full
	w.full = nil
	for _, b := range w.buffers {
		groups = append(groups, priceline.ChargeGroup{Code: b.code, Charges: b.charges})
	}
	clear(w.buffers)
	if len(groups) > 0 {
		w.send(groups)
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
