// Package priceline is the domain of Hospital Priceline: users, sessions,
// signing keys, login attempts and the interfaces that adapters implement.
//
// It imports no Azure SDK and no net/http, so the flows in package auth and
// the contract tests in pricelinetest can run against any implementation.
package priceline
