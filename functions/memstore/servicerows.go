package memstore

import (
	"context"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
)

// serviceRowKey names an index row within a hospital's generation, as the
// real store's row key does: writing the same row again replaces it.
type serviceRowKey struct {
	serviceID, typ, code, desc string
}

var _ priceline.ServiceIndex = (*Prices)(nil)

// PutServiceRows stores index rows under gen.
func (m *Prices) PutServiceRows(_ context.Context, hospitalID, gen string, rs []priceline.ServiceRow) (err error) {
	defer m.call(m.Fail, "PutServiceRows", &err)()
	if err != nil {
		return err
	}
	if !priceline.IsLowerHex(hospitalID, 32) || !priceline.ValidGeneration(gen) {
		return malformedImport()
	}
	if len(rs) > priceline.MaxServiceRowBatch {
		return priceline.Errorf(priceline.KindInvalid, "invalid_import", "At most %d service rows can be written at once.", priceline.MaxServiceRowBatch)
	}
	for _, r := range rs {
		if r.ServiceID == "" || len(r.ServiceID) > 100 {
			return priceline.Errorf(priceline.KindInvalid, "invalid_import", "A service row needs a service ID of at most 100 bytes.")
		}
	}
	m.init()
	m.serviceRows = ensure(m.serviceRows)
	byGen := m.serviceRows[hospitalID]
	if byGen == nil {
		byGen = map[string]*indexRows{}
		m.serviceRows[hospitalID] = byGen
	}
	ir := byGen[gen]
	if ir == nil {
		ir = &indexRows{recorded: clock(m.Now), rows: map[serviceRowKey]priceline.ServiceRow{}}
		byGen[gen] = ir
	}
	for _, r := range rs {
		r.HospitalID = hospitalID
		ir.rows[serviceRowKey{r.ServiceID, r.Code.Type, r.Code.Code, r.Description}] = r
	}
	return nil
}

// ServiceRows returns the committed index rows of a service.
func (m *Prices) ServiceRows(_ context.Context, serviceID string) (_ []priceline.ServiceRow, err error) {
	defer m.call(m.Fail, "ServiceRows", &err)()
	if err != nil {
		return nil, err
	}
	var out []priceline.ServiceRow
	for id, c := range m.hospitals {
		ir := m.serviceRows[id][c.gen]
		if ir == nil {
			continue
		}
		for k, r := range ir.rows {
			if k.serviceID == serviceID {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b priceline.ServiceRow) int {
		return compareStrings(a.HospitalID+a.Code.Code, b.HospitalID+b.Code.Code)
	})
	return out, nil
}

// indexRows are a generation's service index rows.
type indexRows struct {
	recorded time.Time
	rows     map[serviceRowKey]priceline.ServiceRow
}

// dropServiceRows deletes the index rows of hospitalID's generations but
// keep that are prev (the one replaced) or abandoned, as CommitImport does
// for charges. The caller holds m.mu.
func (m *Prices) dropServiceRows(hospitalID, keep, prev string, abandoned time.Time) {
	for g, ir := range m.serviceRows[hospitalID] {
		if g != keep && (g == prev || ir.recorded.Before(abandoned)) {
			delete(m.serviceRows[hospitalID], g)
		}
	}
}
