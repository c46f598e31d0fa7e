//go:build race

package mrf

// largeRows is smaller under the race detector, which slows parsing about
// tenfold; a leak of one row each would still show at this size.
const largeRows = 50_000
