package tablestorage

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// compareView keeps the fields of c that CompareRows promises.
func compareView(c *priceline.Charge) priceline.Charge {
	return priceline.Charge{
		HospitalID: c.HospitalID, Gross: c.Gross, DiscountedCash: c.DiscountedCash, Min: c.Min, Max: c.Max,
		Payer: c.Payer, Plan: c.Plan, NegotiatedDollar: c.NegotiatedDollar, NegotiatedPercentage: c.NegotiatedPercentage,
		NegotiatedAlgorithm: c.NegotiatedAlgorithm, Methodology: c.Methodology, Median: c.Median, P10: c.P10, P90: c.P90,
		Count: c.Count,
	}
}

// ChargesFor reads the procedure's pages (see readPartition) and keeps the rows of
// each hospital's committed generation.
func (s *PriceStore) ChargesFor(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	return readPartition(ctx, s, code)
}

// CompareRows is ChargesFor with only the fields a comparison reads: pages
// hold whole charges, so there is nothing smaller to read.
func (s *PriceStore) CompareRows(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	cs, err := readPartition(ctx, s, code)
	for i := range cs {
		cs[i] = compareView(&cs[i])
	}
	return cs, err
}

// readPartition reads the procedure's pages and returns the charges of
// each hospital's committed generation (see committed): one query of its
// bucket, and while some hospital's committed file was stored by a version
// before buckets, one of its procedure partition as well.
func readPartition(ctx context.Context, s *PriceStore, code priceline.Code) ([]priceline.Charge, error) {
	n := priceline.NormalizeCode(code)
	if n.Code == "" || n.Type == "" {
		return nil, nil
	}
	hs, at, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	pk := procedureKey(code)
	var pr pageReader
	if err := pr.read(ctx, s, bucketFilter(pk), pk+"."); err != nil {
		return nil, err
	}
	if anyOldLayout(hs) {
		if err := pr.read(ctx, s, "PartitionKey eq "+odataString(pk), ""); err != nil {
			return nil, err
		}
	}
	rows, err := committed(ctx, s, hs, at, pr.rows)
	if err != nil {
		return nil, err
	}
	var out []priceline.Charge
	for _, r := range rows {
		cs, err := r.v.charges(r.hospitalID)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// pageReader collects the pages of one procedure's read, bounding the rows
// and bytes it holds across the queries it makes.
type pageReader struct {
	rows        []genRow[pageEntity]
	count, held int
}

// read adds the pages filter selects; their row keys are prefix followed by
// hospital.generation.hash.
func (pr *pageReader) read(ctx context.Context, s *PriceStore, filter, prefix string) error {
	return eachRaw(ctx, s.charges, &aztables.ListEntitiesOptions{Filter: &filter}, "read charges", func(raw []byte) error {
		p, err := decodePageEntity(raw)
		if err != nil {
			return translate(err, "decode charge")
		}
		// N is not checked yet (charges does): count at least one row
		// and at most a page's, and bound the bytes held as well.
		pr.count += min(max(p.N, 1), priceline.MaxChargeBatch)
		pr.held += len(raw)
		if pr.count > maxPartitionRows || pr.held > maxPartitionBytes {
			return priceline.Errorf(priceline.KindUnavailable, "procedure_too_large", "This procedure has too many prices to show at once.")
		}
		if hospitalID, gen, ok := splitGenKey(strings.TrimPrefix(p.RowKey, prefix)); ok {
			pr.rows = append(pr.rows, genRow[pageEntity]{hospitalID: hospitalID, gen: gen, v: p})
		}
		return nil
	})
}

// genRow is a row of the charges table, whose row keys start
// "hospitalID.generation.", with what it holds.
type genRow[T any] struct {
	hospitalID, gen string
	v               T
}

// splitGenKey reads the hospital and generation from a row key; ok is false
// for a key of another shape.
func splitGenKey(rk string) (hospitalID, gen string, ok bool) {
	parts := strings.SplitN(rk, ".", 3)
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// committed keeps the rows of each hospital's committed generation. The
// hospital list hs, read at at, may be cached; a row of a generation the
// list does not name (another instance's commit, or an import in progress)
// makes it read the list again, so that a commit elsewhere shows at once —
// and since rows are kept by generation, never as a mix of two files.
func committed[T any](ctx context.Context, s *PriceStore, hs []hospitalEntity, at time.Time, rows []genRow[T]) ([]genRow[T], error) {
	gens := generations(hs)
	if time.Since(at) >= genRecheck && slices.ContainsFunc(rows, func(r genRow[T]) bool { return gens[r.hospitalID] != r.gen }) {
		var err error
		if hs, _, err = s.cachedHospitals(ctx, 0); err != nil {
			return nil, err
		}
		gens = generations(hs)
	}
	var out []genRow[T]
	for _, r := range rows {
		if g := gens[r.hospitalID]; g != "" && g == r.gen {
			out = append(out, r)
		}
	}
	return out, nil
}
