// Package pricelinetest holds the contract tests that every implementation of
// a priceline store interface must pass, whatever it stores data in.
//
// An adapter's own tests call TestUserStore, TestSessionStore,
// TestAttemptStore, TestAuthFlowStore, TestTokenCacheStore, TestPriceStore
// and TestSavedStore with a constructor that returns a fresh, empty store
// each time it is called (TestTokenCacheStore also hands it a Clock the
// store must read). Stores must keep times to at least millisecond
// precision; the tests use millisecond times.
//
// Both the Table Storage adapter (on Azurite) and the in-memory stores of
// package memstore run every contract, so a fake cannot drift from the real
// store.
package pricelinetest
