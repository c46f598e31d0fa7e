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
func (m *Prices) PutServiceRows(_ context.Context, hospitalID, gen string, rs []priceline.ServiceRow) error {
	return m.run("PutServiceRows", func() error { return m.putServiceRows(hospitalID, gen, rs) })
}

// putServiceRows is PutServiceRows under the lock.
func (m *Prices) putServiceRows(hospitalID, gen string, rs []priceline.ServiceRow) error {
	if err := priceline.ValidServiceRows(hospitalID, gen, rs); err != nil {
		return err
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
func (m *Prices) ServiceRows(_ context.Context, serviceID string) ([]priceline.ServiceRow, error) {
	return answer(&m.base, "ServiceRows", func() ([]priceline.ServiceRow, error) { return m.serviceRowsOf(serviceID), nil })
}

// serviceRowsOf is ServiceRows under the lock.
func (m *Prices) serviceRowsOf(serviceID string) []priceline.ServiceRow {
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
	return out
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
