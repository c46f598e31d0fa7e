package tablestorage

import (
	"context"
	"encoding/json"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// servicePrefix starts the charges-table partition of a service's index
// rows. keyEncode never writes "~", so no procedure key can start with it,
// and filing the index in the charges table lets the generation machinery
// (record, deleteStale) remove a replaced file's index rows with its
// charges, unchanged.
const servicePrefix = "S~"

// maxServiceRows bounds one service's read, like maxPartitionRows.
const maxServiceRows = 100_000

// serviceRowEntity is one index row as stored, under RowKey
// hospital.generation.hash. N is 0 so that deleting it counts no charge.
type serviceRowEntity struct {
	PartitionKey string
	RowKey       string
	N            int
	Code         string
	CodeType     string
	Description  string
	By           string
	Score        float64
}

// servicePartition is the index partition of a service ID.
func servicePartition(serviceID string) string { return servicePrefix + keyEncode(serviceID) }

// PutServiceRows upserts index rows, one entity each, in batch transactions
// per service.
func (s *PriceStore) PutServiceRows(ctx context.Context, hospitalID, gen string, rows []priceline.ServiceRow) error {
	if err := priceline.ValidServiceRows(hospitalID, gen, rows); err != nil {
		return err
	}
	byPK := map[string][]aztables.TransactionAction{}
	var order []string
	seen := map[string]bool{} // a batch may not hold one entity twice
	for _, r := range rows {
		pk := servicePartition(r.ServiceID)
		desc := clipRunes(r.Description, 2000)
		rk := hospitalID + "." + gen + "." + hashHex(r.Code.Type, r.Code.Code, desc)[:32]
		if seen[pk+"/"+rk] {
			continue
		}
		seen[pk+"/"+rk] = true
		body, err := json.Marshal(serviceRowEntity{
			PartitionKey: pk, RowKey: rk,
			Code: clipRunes(r.Code.Code, 200), CodeType: clipRunes(r.Code.Type, 50), Description: desc, By: r.By, Score: r.Score,
		})
		if err != nil {
			return translate(err, "encode service row")
		}
		if _, ok := byPK[pk]; !ok {
			order = append(order, pk)
		}
		byPK[pk] = append(byPK[pk], aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
	}
	for _, pk := range order {
		if err := s.record(ctx, hospitalID, gen, pk); err != nil {
			return err
		}
		actions := byPK[pk]
		for len(actions) > 0 {
			n := min(len(actions), priceline.MaxChargeBatch)
			if err := s.submit(ctx, s.charges, actions[:n]); err != nil {
				return err
			}
			actions = actions[n:]
		}
	}
	return nil
}

// ServiceRows reads a service's index partition and keeps the rows of each
// hospital's committed generation, as readPartition does for charges.
func (s *PriceStore) ServiceRows(ctx context.Context, serviceID string) ([]priceline.ServiceRow, error) {
	if serviceID == "" {
		return nil, nil
	}
	hs, at, err := s.cachedHospitals(ctx, hospitalCacheTTL)
	if err != nil {
		return nil, err
	}
	filter := "PartitionKey eq " + odataString(servicePartition(serviceID))
	var rows []genRow[priceline.ServiceRow]
	err = eachEntity(ctx, s.charges, &aztables.ListEntitiesOptions{Filter: &filter}, "read service rows", "decode service row", func(e serviceRowEntity) error {
		hospitalID, gen, ok := splitGenKey(e.RowKey)
		if !ok {
			return nil
		}
		if len(rows) >= maxServiceRows {
			return priceline.Errorf(priceline.KindUnavailable, "service_too_large", "This service has too many prices to show at once.")
		}
		rows = append(rows, genRow[priceline.ServiceRow]{hospitalID: hospitalID, gen: gen, v: priceline.ServiceRow{
			ServiceID: serviceID, HospitalID: hospitalID, Code: priceline.Code{Code: e.Code, Type: e.CodeType},
			Description: e.Description, By: e.By, Score: e.Score,
		}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rows, err = committed(ctx, s, hs, at, rows); err != nil {
		return nil, err
	}
	var out []priceline.ServiceRow
	for _, r := range rows {
		out = append(out, r.v)
	}
	return out, nil
}

var _ priceline.ServiceIndex = (*PriceStore)(nil)
