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
// method returns. Tests use it to inject outages (FailOn builds one).
//
// Every store also counts its calls: Calls(op) is how many times a method
// was called, Succeeded(op) how many of those returned no error, so a test
// can prove that a refused request wrote nothing or that a busy session is
// touched once a minute without wrapping the store.
package memstore
