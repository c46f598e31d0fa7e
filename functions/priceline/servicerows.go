package priceline

import "context"

// ServiceRow records that one hospital row (its own code and description)
// was matched to a shoppable service at import, and how: the service index
// that lets a comparison find a service whatever code each hospital files
// it under.
type ServiceRow struct {
	ServiceID  string
	HospitalID string
	// Code is the hospital's own code the row's charges are filed under
	// (ChargesFor finds them there): the matched code for a code match, the
	// row's first code (a chargemaster code, say) for a description match.
	Code        Code
	Description string  // the hospital's own description
	By          string  // "code" or "description"
	Score       float64 // 1 for a code match; the description score otherwise
}

// MaxServiceRowBatch is the most rows PutServiceRows accepts in one call.
const MaxServiceRowBatch = 1000

// ServiceIndex keeps the service index beside a PriceStore, with the same
// generations: rows written under a generation become visible when
// CommitImport makes it the hospital's current one, and the commit deletes
// the rows of the generation it replaced.
type ServiceIndex interface {
	// PutServiceRows writes index rows of hospitalID under generation gen
	// (upsert: writing the same rows again changes nothing).
	PutServiceRows(ctx context.Context, hospitalID, gen string, rows []ServiceRow) error
	// ServiceRows returns the current index rows of a service across
	// hospitals, in no particular order.
	ServiceRows(ctx context.Context, serviceID string) ([]ServiceRow, error)
}

// PayerNamesIndexID is the reserved index entry under which an import lists
// its file's raw payer and plan names (ServiceRow.Code.Code is the payer,
// Description the plan), so that the payer directory follows the
// generations of the files. It is no service's ID: those are slugs.
const PayerNamesIndexID = "~payers"
