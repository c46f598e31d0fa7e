// Package pricing answers the site's price questions — hospitals, procedure
// autocomplete, charge rows with cursor paging, the comparison of one
// procedure across hospitals, and saved estimates — against the domain
// interfaces priceline.PriceStore and priceline.SavedStore. It knows nothing
// of HTTP, so the JSON API and the HTML pages run the same checks, the same
// filters, the same one sort rule (priceline.ChargeOrder) and the same
// saved-estimate construction (one clock, one code-type case).
//
// Each method takes a context and a plain query (PriceQuery, CompareQuery,
// SaveInput) and returns domain values or a small result (PricePage,
// Comparison, ComparisonDetail). Errors are *priceline.Error with the codes
// docs/api.md lists; the web layer only picks their status.
//
// # Following GET /api/prices/compare, one function per floor
//
//  1. web: the route table (web.Server.routes, web.Server.priceRoutes) sends
//     the request to web.PriceAPI.handleCompare, which reads the query
//     string strictly (queryParams), calls Service.Compare and writes
//     toCompareJSON of the answer.
//  2. pricing: Service.Compare (through compare) checks the code, code
//     type, payer and plan, reads the rows, names the hospitals, builds the
//     comparison with priceline.Compare and orders the hospitals
//     (hospitalOrder, built on priceline.ChargeOrder).
//  3. priceline: PriceStore.CompareRows is the interface the read goes
//     through; priceline.Compare and priceline.ChargeOrder are the pure
//     rules.
//  4. tablestorage: tablestorage.PriceStore.CompareRows reads the
//     procedure's partition from Azure Table Storage.
//
// The page GET /compare takes the same path through web.Server's
// handleComparePage and Service.CompareDetail, which reads whole rows
// (PriceStore.ChargesFor) to add descriptions, settings, payers and plans.
//
// # Cursors
//
// Search pages are offsets into the freshly read, filtered and sorted rows.
// The cursor that continues a page is signed with CursorKey and bound to
// the query's other parameters (see cursor.go), so a cursor that was
// altered, forged or brought to another query is 400 invalid_cursor.
package pricing
