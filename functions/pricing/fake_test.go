package pricing

import (
	"context"
	"slices"
	"strings"
	"sync"

	"hospitalpriceline/functions/priceline"
)

// This file holds the in-memory PriceStore and SavedStore the pricing tests
// run against: all of them in one place, so that a shared in-memory package
// can replace them by changing this file alone.

// memPrices is an in-memory PriceStore. Imports are generational as the
// interface describes: rows written under a generation become visible when
// CommitImport makes it current.
type memPrices struct {
	mu         sync.Mutex
	hospitals  map[string]priceline.Hospital // committed ones
	current    map[string]string             // hospital ID → current generation
	charges    map[string]map[priceline.Code][]priceline.Charge
	procedures []priceline.Procedure
	reads      int   // ChargesFor and CompareRows calls, to see what a method read
	fail       error // when set, every read fails with it
}

var _ priceline.PriceStore = (*memPrices)(nil)

func newMemPrices() *memPrices {
	return &memPrices{hospitals: map[string]priceline.Hospital{}, current: map[string]string{},
		charges: map[string]map[priceline.Code][]priceline.Charge{}}
}

func genKey(hospitalID, gen string) string { return hospitalID + "/" + gen }

func (m *memPrices) BeginImport(_ context.Context, h priceline.Hospital, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.hospitals[h.ID]; ok && old.LastUpdatedOn > h.LastUpdatedOn {
		return priceline.Errorf(priceline.KindConflict, "older_file", "A later file of this hospital is already imported.")
	}
	return nil
}

func (m *memPrices) PrepareCharges(context.Context, string, string, []priceline.Code) error {
	return nil
}

func (m *memPrices) PutCharges(_ context.Context, hospitalID, gen string, code priceline.Code, cs []priceline.Charge) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := genKey(hospitalID, gen)
	if m.charges[k] == nil {
		m.charges[k] = map[priceline.Code][]priceline.Charge{}
	}
	n := priceline.NormalizeCode(code)
	m.charges[k][n] = append(m.charges[k][n], cs...)
	return nil
}

func (m *memPrices) PutProcedures(_ context.Context, ps []priceline.Procedure) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		if !slices.Contains(m.procedures, p) {
			m.procedures = append(m.procedures, p)
		}
	}
	return nil
}

func (m *memPrices) CommitImport(_ context.Context, h priceline.Hospital, gen string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	deleted := 0
	for k, byCode := range m.charges {
		if strings.HasPrefix(k, h.ID+"/") && k != genKey(h.ID, gen) {
			for _, cs := range byCode {
				deleted += len(cs)
			}
			delete(m.charges, k)
		}
	}
	m.hospitals[h.ID], m.current[h.ID] = h, gen
	return deleted, nil
}

func (m *memPrices) Hospitals(context.Context) ([]priceline.Hospital, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []priceline.Hospital
	for _, h := range m.hospitals {
		out = append(out, h)
	}
	return out, nil
}

func (m *memPrices) Procedures(_ context.Context, q string, limit int) ([]priceline.Procedure, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	prefix := priceline.NormalizeCode(priceline.Code{Code: q}).Code
	words := priceline.SearchWords(q)
	var out []priceline.Procedure
	for _, p := range m.procedures {
		byCode := strings.HasPrefix(priceline.NormalizeCode(priceline.Code{Code: p.Code, Type: p.CodeType}).Code, prefix)
		byWords := len(words) > 0 && (priceline.PriceQuery{Words: words}).Match(&priceline.Charge{Description: p.Description})
		if (byCode || byWords) && len(out) < limit {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m *memPrices) ChargesFor(_ context.Context, code priceline.Code) ([]priceline.Charge, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.fail != nil {
		return nil, m.fail
	}
	var out []priceline.Charge
	for id, gen := range m.current {
		out = append(out, m.charges[genKey(id, gen)][priceline.NormalizeCode(code)]...)
	}
	return out, nil
}

func (m *memPrices) CompareRows(ctx context.Context, code priceline.Code) ([]priceline.Charge, error) {
	rows, err := m.ChargesFor(ctx, code)
	out := make([]priceline.Charge, 0, len(rows))
	for _, c := range rows {
		out = append(out, priceline.Charge{HospitalID: c.HospitalID, Gross: c.Gross, DiscountedCash: c.DiscountedCash,
			Min: c.Min, Max: c.Max, Payer: c.Payer, Plan: c.Plan, NegotiatedDollar: c.NegotiatedDollar,
			NegotiatedPercentage: c.NegotiatedPercentage, NegotiatedAlgorithm: c.NegotiatedAlgorithm, Methodology: c.Methodology})
	}
	return out, err
}

// memSaved is an in-memory SavedStore.
type memSaved struct {
	mu     sync.Mutex
	byUser map[string][]priceline.SavedEstimate
}

var _ priceline.SavedStore = (*memSaved)(nil)

func newMemSaved() *memSaved { return &memSaved{byUser: map[string][]priceline.SavedEstimate{}} }

func (m *memSaved) SaveEstimate(_ context.Context, e *priceline.SavedEstimate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.byUser[e.UserID]) >= priceline.MaxSavedEstimates {
		return priceline.Errorf(priceline.KindConflict, "saved_limit", "You can keep at most %d saved estimates. Delete one to save another.", priceline.MaxSavedEstimates)
	}
	m.byUser[e.UserID] = append(m.byUser[e.UserID], *e)
	return nil
}

func (m *memSaved) SavedEstimates(_ context.Context, userID string) ([]priceline.SavedEstimate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.byUser[userID]), nil
}

func (m *memSaved) DeleteSavedEstimate(_ context.Context, userID, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	es := m.byUser[userID]
	i := slices.IndexFunc(es, func(e priceline.SavedEstimate) bool { return e.ID == id })
	if i < 0 {
		return priceline.Errorf(priceline.KindNotFound, "saved_not_found", "That saved estimate was not found.")
	}
	m.byUser[userID] = slices.Delete(es, i, i+1)
	return nil
}
