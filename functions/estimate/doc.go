// Package estimate works out what a person would pay a hospital for one
// service: from a plan rate and the benefits the person gives (deductible
// left, coinsurance, copay, out-of-pocket maximum left), or the discounted
// cash price without insurance.
//
// All arithmetic is exact: amounts are parsed from decimal strings into
// rationals, never floats, and the result is rounded half up to cents once,
// at the end, so that no intermediate rounding can move it by a cent.
// The estimate covers the hospital's (facility) charge only, not the
// professional fees billed separately, and is not a quote; docs/prices.md
// says so to the reader.
package estimate
