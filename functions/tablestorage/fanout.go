package tablestorage

import (
	"context"
	"errors"
	"sync"
)

// inParallel runs f for 0 … n-1, at most limit at a time, and returns the
// first error; after one, or once ctx ends, it starts no more, and the
// context f gets is cancelled so that those running stop early.
func inParallel(ctx context.Context, limit, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, limit)
	for i := range n {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// allOf runs f for 0 … n-1, all at once, and returns every error joined:
// for a few independent round trips (creating the tables at start, one
// scan per search word) where each failure is worth reporting and none
// should stop the others.
func allOf(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
