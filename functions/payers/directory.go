package payers

import (
	"cmp"
	"slices"
	"strings"
)

// Payer is one normalised payer with its plans and the raw payer names
// that hospitals used for it: the shape of GET /api/payers.
type Payer struct {
	Name     string   `json:"name"`
	Plans    []Plan   `json:"plans"`
	RawNames []string `json:"rawNames"`
}

// Plan is one normalised plan of a payer and the raw names it came from:
// the plan as written, and the payer name as written when words of the
// plan came from it ("Cigna Medicare Adv").
type Plan struct {
	Name     string   `json:"name"`
	RawNames []string `json:"rawNames"`
}

// Directory collects the raw payer and plan names of the hospitals' files
// into normalised payers. The zero value is ready to use; a Directory is
// not safe for concurrent use.
type Directory struct {
	payers map[string]*collected
}

// collected gathers one normalised name (payer or plan) under its Key.
type collected struct {
	spellings map[string]int // normalised spellings differing only in case, with how often each came
	raw       map[string]bool
	plans     map[string]*collected
}

// Add records one raw payer name and plan name. A blank payer is ignored.
func (d *Directory) Add(rawPayer, rawPlan string) {
	payer, plan := Normalize(rawPayer, rawPlan)
	if payer == "" {
		return
	}
	if d.payers == nil {
		d.payers = map[string]*collected{}
	}
	p := gather(d.payers, payer)
	p.raw[tidy(rawPayer)] = true
	if plan == "" {
		return
	}
	if p.plans == nil {
		p.plans = map[string]*collected{}
	}
	pl := gather(p.plans, plan)
	if r := tidy(rawPlan); r != "" {
		pl.raw[r] = true
	}
	if _, payerOnly := Normalize(rawPayer, ""); payerOnly != "" {
		pl.raw[tidy(rawPayer)] = true
	}
}

func gather(m map[string]*collected, name string) *collected {
	k := Key(name)
	c := m[k]
	if c == nil {
		c = &collected{spellings: map[string]int{}, raw: map[string]bool{}}
		m[k] = c
	}
	c.spellings[name]++
	return c
}

// Payers lists the payers collected so far, by name (ignoring case), each
// with its plans by name and its raw names sorted. When files spell an
// unknown payer in different cases, the most frequent spelling names it.
func (d *Directory) Payers() []Payer {
	out := make([]Payer, 0, len(d.payers))
	for _, p := range d.payers {
		payer := Payer{Name: p.name(), Plans: []Plan{}, RawNames: sortedKeys(p.raw)}
		for _, pl := range p.plans {
			payer.Plans = append(payer.Plans, Plan{Name: pl.name(), RawNames: sortedKeys(pl.raw)})
		}
		slices.SortFunc(payer.Plans, func(a, b Plan) int { return byName(a.Name, b.Name) })
		out = append(out, payer)
	}
	slices.SortFunc(out, func(a, b Payer) int { return byName(a.Name, b.Name) })
	return out
}

func (c *collected) name() string {
	best, n := "", 0
	for s, k := range c.spellings {
		if k > n || k == n && s < best {
			best, n = s, k
		}
	}
	return best
}

func byName(a, b string) int {
	return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b)), cmp.Compare(a, b))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// tidy is a raw name with its spaces collapsed, as the directory shows it.
func tidy(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
