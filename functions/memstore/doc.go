// Package memstore keeps everything in memory: one implementation of every
// store interface in priceline (Users, Sessions, Attempts, AuthFlows,
// TokenCaches, Prices, Saved, AccountTokens, Outbox), for the tests of the flows above the domain
// and for running without Azure.
//
// Each store is safe for concurrent use, and its zero value is ready to use.
// Each passes the same contract tests (package pricelinetest) as the Table
// Storage adapter, so it refuses, conflicts and forgets exactly where the
// real store does, and returns the same error kinds and codes.
//
// Every store has a Fail hook: when set, it is called with the method's name
// before the method does anything, and a non-nil error it returns is what the
// method returns. Tests use it to inject outages or to count calls.
package memstore
