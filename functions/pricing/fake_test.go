package pricing

import "hospitalpriceline/functions/memstore"

// The pricing tests run against memstore, the in-memory stores that pass
// the same contracts as Table Storage (priceline/pricelinetest), so a test
// here cannot lean on behaviour the real store lacks.

// storeReads counts the charge reads a test made, to prove that a refused
// query read nothing.
func storeReads(st *memstore.Prices) int {
	return st.Calls("ChargesFor") + st.Calls("CompareRows")
}
