package tablestorage

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// descsProp is the property of a code entry that lists the description
// hashes (8 hex digits each, space-separated) whose word entries are
// already written, so that an import of a code and description the catalog
// already holds writes nothing: a re-import, or a second hospital that
// describes a code the same way.
const descsProp = "Descs"

// maxKnownDescs bounds the hashes a code entry lists (9 bytes each); a code
// described more ways than this has its newest ones' word entries written
// again, which changes nothing but their cost.
const maxKnownDescs = 64

// knownScanSlack bounds a bulk read of code entries: it reads at most this
// many entries more than it asks about, because a key range between a
// batch's lowest and highest code also holds other files' codes. Entries it
// does not reach count as unknown and are written (an upsert, so the cost
// of giving up is only the write this read tries to save).
const knownScanSlack = 400

// knownDescs reads, for code entries rks of partition pk, the description
// hashes they already list, with one range query from the lowest to the
// highest row key (a batch's codes are mostly close together: files list
// them in order).
func (s *PriceStore) knownDescs(ctx context.Context, pk string, rks []string) (map[string][]string, error) {
	if len(rks) == 0 {
		return nil, nil
	}
	sorted := slices.Clone(rks)
	slices.Sort(sorted)
	want := map[string]bool{}
	for _, rk := range sorted {
		want[rk] = true
	}
	filter := "PartitionKey eq " + odataString(pk) + " and RowKey ge " + odataString(sorted[0]) + " and RowKey le " + odataString(sorted[len(sorted)-1])
	sel := "RowKey," + descsProp
	pager := s.catalog.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	out := map[string][]string{}
	read, limit := 0, len(want)+knownScanSlack
	for pager.More() && read < limit {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "read catalog codes")
		}
		for _, raw := range page.Entities {
			read++
			var e struct {
				RowKey string
				Descs  string
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, translate(err, "decode catalog code")
			}
			if want[e.RowKey] && e.Descs != "" {
				out[e.RowKey] = strings.Fields(e.Descs)
			}
		}
	}
	return out, nil
}

// withDesc returns descs with d added (newest last), at most maxKnownDescs.
func withDesc(descs []string, d string) []string {
	if slices.Contains(descs, d) {
		return descs
	}
	descs = append(slices.Clone(descs), d)
	return descs[max(0, len(descs)-maxKnownDescs):]
}
