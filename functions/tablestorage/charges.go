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

// ChargesFor reads the procedure's partition once and keeps the rows of
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

// readPartition reads the procedure's partition and returns the charges of
// each hospital's committed generation. The hospital list may be cached; a
// row of a generation the list does not name (another instance's commit,
// or an import in progress) makes it read the list again, so that a commit
// elsewhere shows at once — and since rows are kept by generation, never as
// a mix of two files.
func readPartition(ctx context.Context, s *PriceStore, code priceline.Code) ([]priceline.Charge, error) {
	n := priceline.NormalizeCode(code)
	if n.Code == "" || n.Type == "" {
		return nil, nil
	}
	hs, at, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	filter := "PartitionKey eq " + odataString(procedureKey(code))
	pager := s.charges.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	type row struct {
		hospitalID, gen string
		page            pageEntity
	}
	var rows []row
	read, held := 0, 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "read charges")
		}
		for _, raw := range page.Entities {
			p, err := decodePageEntity(raw)
			if err != nil {
				return nil, translate(err, "decode charge")
			}
			// N is not checked yet (charges does): count at least one row
			// and at most a page's, and bound the bytes held as well.
			read += min(max(p.N, 1), priceline.MaxChargeBatch)
			held += len(raw)
			if read > maxPartitionRows || held > maxPartitionBytes {
				return nil, priceline.Errorf(priceline.KindUnavailable, "procedure_too_large", "This procedure has too many prices to show at once.")
			}
			parts := strings.SplitN(p.RowKey, ".", 3)
			if len(parts) == 3 {
				rows = append(rows, row{hospitalID: parts[0], gen: parts[1], page: p})
			}
		}
	}
	gens := generations(hs)
	if time.Since(at) >= genRecheck && slices.ContainsFunc(rows, func(r row) bool { return gens[r.hospitalID] != r.gen }) {
		if hs, _, err = s.cachedHospitals(ctx, 0); err != nil {
			return nil, err
		}
		gens = generations(hs)
	}
	var out []priceline.Charge
	for _, r := range rows {
		if g := gens[r.hospitalID]; g == "" || g != r.gen {
			continue
		}
		cs, err := r.page.charges(r.hospitalID)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}
