package priceline

import (
	"context"
	"strings"
)

// MaxChargeBatch is the most charges one ChargeGroup holds: the entity limit of one Table Storage
// batch transaction, which bounds what a store holds of one call.
const MaxChargeBatch = 100

// ChargeGroup is up to MaxChargeBatch charges filed under one procedure
// code, one part of a PutChargeGroups call.
type ChargeGroup struct {
	Code    Code
	Charges []Charge
}

// Procedure is one entry of the procedures catalog: a billing code and how a
// hospital described it.
type Procedure struct {
	Code        string // as the file writes it
	CodeType    string // CPT, HCPCS, MS-DRG, RC, ...
	Description string
}

// PriceStore keeps hospitals, their charges by procedure and the procedures
// catalog. Imports are generational: the rows of one file are written under
// a generation, and become visible all at once when CommitImport makes that
// generation the hospital's current one, so readers never see a mix of two
// files.
type PriceStore interface {
	// BeginImport records that a file of h is about to be imported as
	// generation gen. It fails with KindConflict/"older_file" when the store
	// already holds a file of h with a later LastUpdatedOn, and writes
	// nothing then.
	BeginImport(ctx context.Context, h Hospital, gen string) error
	// PutChargeGroups writes the charges of hospitalID under generation
	// gen, each group filed under its code (at most MaxChargeBatch charges
	// a group; writing the same charges again changes nothing), so that a
	// store can put the charges of many small procedures into a few
	// requests. It refuses the whole call, writing nothing, when any
	// group is invalid (too many charges, a charge too large); a call that
	// fails while writing may leave part of it stored, invisible like
	// every row of an uncommitted generation.
	PutChargeGroups(ctx context.Context, hospitalID, gen string, groups []ChargeGroup) error
	// PutProcedures adds entries to the procedures catalog (upsert).
	PutProcedures(ctx context.Context, ps []Procedure) error
	// CommitImport makes gen the current generation of h (storing h's
	// details) and deletes the rows of the generation it replaced and of
	// abandoned ones (an import that died long ago); a younger uncommitted
	// generation may be an import still running and keeps its rows. It
	// returns how many stale rows it deleted, and fails with
	// KindConflict/"older_file" when the store meanwhile holds a later file
	// of h.
	CommitImport(ctx context.Context, h Hospital, gen string) (deleted int, err error)
	// Hospitals lists the hospitals that have a committed import.
	Hospitals(ctx context.Context) ([]Hospital, error)
	// Procedures finds up to limit catalog entries whose normalised code
	// starts with q, or whose description has words starting with each word
	// of q.
	Procedures(ctx context.Context, q string, limit int) ([]Procedure, error)
	// ChargesFor returns the current charges of every hospital filed under
	// code, in no particular order.
	ChargesFor(ctx context.Context, code Code) ([]Charge, error)
	// CompareRows returns the same rows as ChargesFor with only the fields
	// Compare reads set (HospitalID, Gross, DiscountedCash, Min, Max, Payer,
	// Plan, NegotiatedDollar, NegotiatedPercentage, NegotiatedAlgorithm,
	// Methodology, and the allowed amounts Median, P10, P90 and Count), so
	// that a store can read less for a comparison.
	CompareRows(ctx context.Context, code Code) ([]Charge, error)
}

// NormalizeCode returns the form of a code that lookups compare: code type
// upper-cased, code trimmed and upper-cased, and revenue codes (RC) without
// leading zeros, so that "0450" and "450" are the same revenue code. Stored
// charges keep the code as the file wrote it.
func NormalizeCode(c Code) Code {
	n := Code{Type: strings.ToUpper(strings.TrimSpace(c.Type)), Code: strings.ToUpper(strings.TrimSpace(c.Code))}
	if n.Type == "RC" {
		n.Code = strings.TrimLeft(n.Code, "0")
		if n.Code == "" && c.Code != "" {
			n.Code = "0"
		}
	}
	return n
}
