//go:build !race

package mrf

// largeRows is the size of the constant-memory test's file.
const largeRows = 200_000
