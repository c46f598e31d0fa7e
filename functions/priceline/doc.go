// Package priceline is the domain of Hospital Priceline: who signs in and
// what they look up.
//
// Accounts: users (user.go), sessions (session.go), failed-login records
// (attempt.go), cloud sign-in flows, the IdentityProvider that runs them and
// their token caches (identity.go, tokencache.go), the same-origin return
// paths sign-in may land on (returnto.go), signing keys (key.go) and the IDs
// the server generates (ids.go).
//
// Prices: hospitals and their charges as a CMS machine-readable file states
// them (price.go), the store that keeps them generation by generation
// (pricestore.go), filtering and ordering charge rows (pricequery.go),
// comparing a procedure across hospitals (compare.go) and the estimates a
// user saves (saved.go).
//
// Every store is an interface here (UserStore, SessionStore, AttemptStore,
// AuthFlowStore, TokenCacheStore, PriceStore, SavedStore; SecretSource for
// keys; IdentityProvider for cloud sign-in) with one error model (error.go). Adapters implement them; package
// pricelinetest holds the contract every implementation must pass.
//
// It imports no Azure SDK and no net/http, so the flows above it and the
// contract tests can run against any implementation.
package priceline
