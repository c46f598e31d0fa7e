package ingest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"hospitalpriceline/functions/priceline"
)

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
		buffers: map[priceline.Code]*batch{}, catalog: map[priceline.Code]bool{}, prepared: map[priceline.Code]bool{},
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
