// Package mrf reads and validates CMS Hospital Price Transparency
// machine-readable files (MRFs) in the three CMS layouts: CSV "tall" (one row
// per payer and plan), CSV "wide" (one column group per payer and plan) and
// JSON.
//
// Reading streams: memory does not grow with the file. Open reads only the
// file's header (three CSV header rows, or the JSON keys before
// standard_charge_information) and Next yields one priceline.Charge at a time
// together with the rule violations of the row or item it came from:
//
//   - tall CSV: one charge per data row;
//   - wide CSV: one charge per data row and payer/plan column group that has
//     any value, or one charge without a payer when the row has none;
//   - JSON: one charge per payers_information entry of each standard_charges
//     entry, or one charge without a payer when a standard_charges entry has
//     no payers_information.
//
// The problems of a row or item are attached to the first charge it yields.
// Problems about the file as a whole (headers, the hospital's data, missing
// top-level JSON keys) are in FileProblems.
//
// Versions: a file is checked against the rules of one CMS data-dictionary
// version, 2.0.0, 2.1.0, 2.2.0 or 3.0.0, each rule applying to exactly the
// versions CMS's own validator (@cmsgov/hpt-validator) applies it to. The
// version is chosen from the declared one and the layout (chooseVersion;
// docs/prices.md has the table), reported as Report.Applied, and explained
// by a "version.unknown" or "version.mismatch" warning when the declared
// string is not a CMS version or names another family. A differential test
// (cmsdiff_test.go) holds the verdicts to CMS's.
//
// Values: amounts are exact (priceline.Money keeps the decimal as written
// and cents rounded half-to-even; CMS sets no limit on decimals). CSV
// amounts must be plain numbers: "1,234.50" or "$5" is a "number" error.
// CSV enumerations ignore case; JSON ones are exact, as in the schemas.
//
// Salvage: OpenWith with Options.Salvage (what ingest uses) reads what a
// person could use from a file CMS's rules reject: it reads through header
// faults other than an unrecognisable or mixed tall/wide row 3, decodes
// Windows-1252, and reads or drops bad cells with salvage.* warnings, while
// reporting CMS's problems as Open does. Open and Validate never salvage.
//
// Limits: one CSV record or one JSON item may be at most 16 MiB (a
// "too_large" error), so a hostile file cannot make memory grow with it.
package mrf
