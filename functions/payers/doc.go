// Package payers gives the insurers of hospital price files one name each.
//
// Hospitals write the same insurer many ways ("BCBS of AL", "BLUE CROSS OF
// AL", "Blue Cross Blue Shield of Alabama") and often put the plan in the
// payer column ("Cigna Medicare Adv", "Aetna - COMMERCIAL"). Normalize
// turns a file's payer and plan into one payer name and one plan name by
// fixed rules and a curated alias table (aliases.txt, embedded); Directory
// collects them with the raw names they came from. Neither guesses: a name
// the table does not know is kept as written, only tidied. docs/payers.md
// states the rules and the table.
package payers
