// Package memstore keeps everything in memory: one implementation of every
// store interface in priceline (Users, Sessions, Attempts, AuthFlows,
// TokenCaches, Prices, Saved, AccountTokens, Outbox, MFA, Passkeys,
// Challenges, CloudEmails), for the tests of the flows above the domain and
// for running without Azure.
//
// What the stores have in common is written once: the hook, the lock and the
// count of every method and the version check of a conditional update
// (common.go), and the keyed table each keeps its records in, with the get,
// create, take-once and expiry sweep of the real stores' tables, and the
// take-once store a sign-in flow and a challenge are kept in (table.go).
// Each store is declared, with what it keeps and the interface it
// implements, beside its methods, in the file of its theme: the users
// table's stores, Users, AccountTokens and CloudEmails (users.go);
// Sessions (sessions.go); what a sign-in keeps for minutes, AuthFlows,
// Challenges, TokenCaches and Attempts (signin.go); the second factors, MFA
// and Passkeys (mfa.go); Prices and the user's Saved estimates (prices.go,
// with the catalog in catalog.go and the service index in servicerows.go);
// and the mail Outbox (outbox.go).
//
// Each store is safe for concurrent use, and its zero value is ready to use.
// Each passes the same contract tests (package pricelinetest) as the Table
// Storage adapter, so it refuses, conflicts and forgets exactly where the
// real store does, and returns the same error kinds and codes.
//
// Every store has a Fail hook, its field Fail: when set, it is called with
// the method's name before the method does anything, and a non-nil error it
// returns is what the method returns. Tests use it to inject outages (FailOn
// builds one).
//
// Every store also counts its calls: Calls(op) is how many times a method
// was called, Succeeded(op) how many of those returned no error, so a test
// can prove that a refused request wrote nothing or that a busy session is
// touched once a minute without wrapping the store.
package memstore
