package memstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Prices is an in-memory priceline.PriceStore with the real store's
// generations: rows written under a generation are invisible until
// CommitImport makes it the hospital's current one, and a commit deletes the
// generation it replaced and any abandoned one, never a younger import still
// running.
type Prices struct {
	// AbandonAfter is how long ago an uncommitted generation must have been
	// first written before a commit deletes it; zero means 6 hours.
	AbandonAfter time.Duration
	// Now is the clock for abandonment; nil means time.Now.
	Now func() time.Time

	base
	hospitals map[string]committed                    // hospital ID → committed file
	written   map[string]map[string]map[codeKey]*rows // hospital → generation → procedure → rows
	codes     map[codeKey]priceline.Procedure         // catalog: one entry per code
	descs     map[descKey]priceline.Procedure         // catalog: one entry per distinct description

	serviceRows map[string]map[string]*indexRows // hospital → generation → service index rows
}

// committed is a hospital's current file and the generation holding its rows.
type committed struct {
	h   priceline.Hospital
	gen string
}

// codeKey is a normalised code, as lookups compare it.
type codeKey struct{ typ, code string }

// rows are a generation's charges under one procedure, in batches named by
// the hash of their content, as the real store names its pages, so that
// writing the same charges again overwrites them with themselves.
type rows struct {
	recorded time.Time
	batches  map[[32]byte][]priceline.Charge
}

var _ priceline.PriceStore = (*Prices)(nil)

// NewPrices returns an empty price store.
func NewPrices() *Prices { return &Prices{} }

func (m *Prices) init() {
	if m.hospitals == nil {
		m.hospitals = map[string]committed{}
		m.written = map[string]map[string]map[codeKey]*rows{}
		m.codes = map[codeKey]priceline.Procedure{}
		m.descs = map[descKey]priceline.Procedure{}
	}
}

func keyOf(c priceline.Code) codeKey {
	n := priceline.NormalizeCode(c)
	return codeKey{n.Type, n.Code}
}

// BeginImport refuses a file older than the committed one.
func (m *Prices) BeginImport(_ context.Context, h priceline.Hospital, gen string) error {
	return m.write("BeginImport", priceline.ValidImport(h.ID, gen), func() error {
		if cur, ok := m.hospitals[h.ID]; ok && cur.h.LastUpdatedOn > h.LastUpdatedOn {
			return priceline.NewerFileHeld(h.Name, cur.h.LastUpdatedOn, h.LastUpdatedOn)
		}
		return nil
	})
}

// record returns the rows of (hospitalID, gen) under code, noting when they
// were first written.
func (m *Prices) record(hospitalID, gen string, code codeKey) *rows {
	m.init()
	byGen := m.written[hospitalID]
	if byGen == nil {
		byGen = map[string]map[codeKey]*rows{}
		m.written[hospitalID] = byGen
	}
	byCode := byGen[gen]
	if byCode == nil {
		byCode = map[codeKey]*rows{}
		byGen[gen] = byCode
	}
	r := byCode[code]
	if r == nil {
		r = &rows{recorded: clock(m.Now), batches: map[[32]byte][]priceline.Charge{}}
		byCode[code] = r
	}
	return r
}

// PutChargeGroups stores each group under gen (identical charges in one
// group are kept once), after checking them all, so that an invalid group
// leaves nothing written.
func (m *Prices) PutChargeGroups(_ context.Context, hospitalID, gen string, groups []priceline.ChargeGroup) error {
	return m.run("PutChargeGroups", func() error { return m.putGroups(hospitalID, gen, groups) })
}

// putGroups checks every group, then stores each as one batch named by
// its content. The caller holds m.mu.
func (m *Prices) putGroups(hospitalID, gen string, groups []priceline.ChargeGroup) error {
	if err := priceline.ValidChargeGroups(hospitalID, gen, groups); err != nil {
		return err
	}
	type named struct {
		code  codeKey
		name  [32]byte
		batch []priceline.Charge
	}
	var out []named
	for _, g := range groups {
		if len(g.Charges) == 0 {
			continue
		}
		var batch []priceline.Charge
		seen := map[[32]byte]bool{}
		name := sha256.New()
		for i := range g.Charges {
			c := cloneCharge(&g.Charges[i], "")
			body, err := json.Marshal(c)
			if err != nil {
				return priceline.Wrap(err, priceline.KindInternal, "internal", "The charges could not be stored.")
			}
			sum := sha256.Sum256(body)
			if seen[sum] {
				continue
			}
			seen[sum] = true
			name.Write(body)
			name.Write([]byte{'\n'})
			c.HospitalID = hospitalID
			batch = append(batch, c)
		}
		out = append(out, named{keyOf(g.Code), [32]byte(name.Sum(nil)), batch})
	}
	for _, n := range out {
		m.record(hospitalID, gen, n.code).batches[n.name] = n.batch
	}
	return nil
}

// cloneCharge copies c for hospitalID, sharing no slice with it; empty
// slices come back nil, as the real store reads them.
func cloneCharge(c *priceline.Charge, hospitalID string) priceline.Charge {
	out := *c
	out.HospitalID = hospitalID
	out.Codes, out.Modifiers = nil, nil
	if len(c.Codes) > 0 {
		out.Codes = slices.Clone(c.Codes)
	}
	if len(c.Modifiers) > 0 {
		out.Modifiers = slices.Clone(c.Modifiers)
	}
	return out
}

// CommitImport makes gen current and deletes the generation it replaced and
// those abandoned (first written longer than AbandonAfter ago).
func (m *Prices) CommitImport(_ context.Context, h priceline.Hospital, gen string) (int, error) {
	return answer(&m.base, "CommitImport", func() (int, error) {
		if err := priceline.ValidImport(h.ID, gen); err != nil {
			return 0, err
		}
		m.init()
		cur, ok := m.hospitals[h.ID]
		if ok && cur.h.LastUpdatedOn > h.LastUpdatedOn {
			return 0, priceline.NewerFileCommitted(h.Name, cur.h.LastUpdatedOn)
		}
		kept := h
		kept.Locations, kept.Addresses = slices.Clone(h.Locations), slices.Clone(h.Addresses)
		m.hospitals[h.ID] = committed{h: kept, gen: gen}
		abandoned := clock(m.Now).Add(-m.abandonAfter())
		m.dropServiceRows(h.ID, gen, cur.gen, abandoned)
		return m.dropCharges(h.ID, gen, cur.gen, abandoned), nil
	})
}

// dropCharges deletes the rows of hospitalID's generations but keep that
// are prev (the one replaced) or abandoned, and returns how many charges
// it deleted. The caller holds m.mu.
func (m *Prices) dropCharges(hospitalID, keep, prev string, abandoned time.Time) int {
	deleted := 0
	for g, byCode := range m.written[hospitalID] {
		if g == keep {
			continue
		}
		for code, r := range byCode {
			if g != prev && !r.recorded.Before(abandoned) {
				continue // an import still running elsewhere
			}
			for _, b := range r.batches {
				deleted += len(b)
			}
			delete(byCode, code)
		}
		if len(byCode) == 0 {
			delete(m.written[hospitalID], g)
		}
	}
	return deleted
}

func (m *Prices) abandonAfter() time.Duration {
	if m.AbandonAfter > 0 {
		return m.AbandonAfter
	}
	return 6 * time.Hour
}

// Hospitals lists the committed hospitals by ID, the real store's key order.
func (m *Prices) Hospitals(_ context.Context) ([]priceline.Hospital, error) {
	return answer(&m.base, "Hospitals", func() ([]priceline.Hospital, error) {
		out := make([]priceline.Hospital, 0, len(m.hospitals))
		for _, c := range m.hospitals {
			h := c.h
			h.Locations, h.Addresses = slices.Clone(h.Locations), slices.Clone(h.Addresses)
			out = append(out, h)
		}
		slices.SortFunc(out, func(a, b priceline.Hospital) int { return compareStrings(a.ID, b.ID) })
		return out, nil
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ChargesFor returns copies of the committed charges filed under code.
func (m *Prices) ChargesFor(_ context.Context, code priceline.Code) ([]priceline.Charge, error) {
	return answer(&m.base, "ChargesFor", func() ([]priceline.Charge, error) { return m.charges(code), nil })
}

// CompareRows is ChargesFor with only the fields a comparison reads.
func (m *Prices) CompareRows(_ context.Context, code priceline.Code) ([]priceline.Charge, error) {
	return answer(&m.base, "CompareRows", func() ([]priceline.Charge, error) {
		cs := m.charges(code)
		for i, c := range cs {
			cs[i] = priceline.Charge{
				HospitalID: c.HospitalID, Gross: c.Gross, DiscountedCash: c.DiscountedCash, Min: c.Min, Max: c.Max,
				Payer: c.Payer, Plan: c.Plan, NegotiatedDollar: c.NegotiatedDollar, NegotiatedPercentage: c.NegotiatedPercentage,
				NegotiatedAlgorithm: c.NegotiatedAlgorithm, Methodology: c.Methodology, Median: c.Median, P10: c.P10, P90: c.P90,
				Count: c.Count,
			}
		}
		return cs, nil
	})
}

// charges are copies of the committed charges filed under code. The caller
// holds m.mu.
func (m *Prices) charges(code priceline.Code) []priceline.Charge {
	k := keyOf(code)
	if k.code == "" || k.typ == "" {
		return nil
	}
	var out []priceline.Charge
	for id, c := range m.hospitals {
		r := m.written[id][c.gen][k]
		if r == nil {
			continue
		}
		for _, b := range r.batches {
			for i := range b {
				out = append(out, cloneCharge(&b[i], id))
			}
		}
	}
	return out
}

// Saved is an in-memory priceline.SavedStore.
type Saved struct {
	base
	byUser table[string, []priceline.SavedEstimate]
	plans  table[string, priceline.PlanBenefits]
}

var _ priceline.SavedStore = (*Saved)(nil)

// NewSaved returns an empty saved-estimate store.
func NewSaved() *Saved { return &Saved{} }

// SaveEstimate stores e unless the user already has MaxSavedEstimates.
func (m *Saved) SaveEstimate(_ context.Context, e *priceline.SavedEstimate) error {
	return m.write("SaveEstimate", priceline.ValidSavedEstimate(e), func() error {
		if len(m.byUser[e.UserID]) >= priceline.MaxSavedEstimates {
			return priceline.SavedLimit.Err()
		}
		rec := *e
		rec.CreatedAt = stored(e.CreatedAt)
		m.byUser.put(e.UserID, append(m.byUser[e.UserID], rec))
		return nil
	})
}

// SavedEstimates lists the user's estimates, oldest first (ties by ID).
func (m *Saved) SavedEstimates(_ context.Context, userID string) ([]priceline.SavedEstimate, error) {
	return answer(&m.base, "SavedEstimates", func() ([]priceline.SavedEstimate, error) {
		out := slices.Clone(m.byUser[userID])
		if out == nil && validUserID(userID) {
			out = []priceline.SavedEstimate{}
		}
		slices.SortStableFunc(out, func(a, b priceline.SavedEstimate) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		return out, nil
	})
}

// DeleteSavedEstimate removes the user's estimate with id.
func (m *Saved) DeleteSavedEstimate(_ context.Context, userID, id string) error {
	return m.run("DeleteSavedEstimate", func() error {
		es := m.byUser[userID]
		i := slices.IndexFunc(es, func(e priceline.SavedEstimate) bool { return e.ID == id })
		if i < 0 {
			return priceline.SavedNotFound.Err()
		}
		m.byUser[userID] = slices.Delete(es, i, i+1)
		return nil
	})
}

// PlanBenefits returns the user's plan details, zero when none.
func (m *Saved) PlanBenefits(_ context.Context, userID string) (priceline.PlanBenefits, error) {
	return answer(&m.base, "PlanBenefits", func() (priceline.PlanBenefits, error) {
		return m.plans[userID], nil
	})
}

// PutPlanBenefits keeps b as the user's plan details; zero b forgets them.
func (m *Saved) PutPlanBenefits(_ context.Context, userID string, b priceline.PlanBenefits) error {
	return m.write("PutPlanBenefits", priceline.ValidPlanBenefits(userID, b), func() error {
		if b.IsZero() {
			delete(m.plans, userID)
			return nil
		}
		m.plans.put(userID, b)
		return nil
	})
}

// DeleteUserData forgets the user's saved estimates and plan details.
func (m *Saved) DeleteUserData(_ context.Context, userID string) error {
	return m.do("DeleteUserData", func() { delete(m.byUser, userID); delete(m.plans, userID) })
}
