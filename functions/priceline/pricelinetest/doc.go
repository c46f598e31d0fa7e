// Package pricelinetest holds the contract tests that every implementation of
// a priceline store interface must pass, whatever it stores data in.
//
// An adapter's own tests call TestUserStore, TestSessionStore and
// TestAttemptStore with a constructor that returns a fresh, empty store each
// time it is called. Stores must keep times to at least millisecond
// precision; the tests use millisecond times.
package pricelinetest
