package pricing

import (
	"context"
	"strings"

	"hospitalpriceline/functions/payers"
	"hospitalpriceline/functions/priceline"
)

// payersIndexID is the reserved index entry under which an import lists the
// raw payer and plan names of its file (Code.Code the payer, Description the
// plan): not a catalogue slug, so it never collides with a service, and
// generational like the rest of the index. ingest writes it.
const payersIndexID = priceline.PayerNamesIndexID

// payerMatch is the payer and plan filter of the price questions: the
// parameters are normalised names (GET /api/payers), compared by payers.Key
// with each row's normalised payer and plan; a raw name as a file writes it
// still matches, since it normalises to the same name.
type payerMatch struct {
	payer, payerNorm, plan string
	memo                   map[[2]string][2]string
}

func newPayerMatch(payer, plan string) *payerMatch {
	// A name with no words (punctuation only) has an empty Key; it must
	// match nothing rather than stop filtering.
	key := func(s string) string {
		if k := payers.Key(s); k != "" || strings.TrimSpace(s) == "" {
			return k
		}
		return "\x00"
	}
	m := &payerMatch{payer: key(payer), plan: key(plan), memo: map[[2]string][2]string{}}
	if payer != "" {
		np, _ := payers.Normalize(payer, "")
		m.payerNorm = payers.Key(np)
	}
	return m
}

// normalized returns a row's normalised payer and plan, once per spelling.
func (m *payerMatch) normalized(rawPayer, rawPlan string) (string, string) {
	k := [2]string{rawPayer, rawPlan}
	if v, ok := m.memo[k]; ok {
		return v[0], v[1]
	}
	p, pl := payers.Normalize(rawPayer, rawPlan)
	m.memo[k] = [2]string{p, pl}
	return p, pl
}

// active reports whether a payer was asked for.
func (m *payerMatch) active() bool { return m.payer != "" }

// match reports whether c is of the asked payer and plan (true when none
// was asked).
func (m *payerMatch) match(c *priceline.Charge) bool {
	if m.payer == "" {
		return true
	}
	np, nplan := m.normalized(c.Payer, c.Plan)
	if k := payers.Key(np); k != m.payer && k != m.payerNorm {
		return false
	}
	return m.plan == "" || payers.Key(nplan) == m.plan || payers.Key(c.Plan) == m.plan
}

// forCompare returns a copy of rows in which the rows of the asked payer
// and plan carry exactly the asked names and the others no payer, so that
// priceline.Compare (which compares names case-insensitively) picks the
// normalised payer's rows.
func (m *payerMatch) forCompare(rows []priceline.Charge, payer, plan string) []priceline.Charge {
	if !m.active() {
		return rows
	}
	out := make([]priceline.Charge, len(rows))
	for i := range rows {
		out[i] = rows[i]
		if m.match(&rows[i]) {
			out[i].Payer, out[i].Plan = payer, plan
		} else {
			out[i].Payer, out[i].Plan = "", ""
		}
	}
	return out
}

// Payers lists the insurers of every hospital's current file under their
// normalised names, with their plans and the raw names each came from.
func (s *Service) Payers(ctx context.Context) ([]payers.Payer, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	idx, ok := st.(priceline.ServiceIndex)
	if !ok {
		return []payers.Payer{}, nil
	}
	rows, err := idx.ServiceRows(ctx, payersIndexID)
	if err != nil {
		return nil, err
	}
	var d payers.Directory
	for _, r := range rows {
		d.Add(r.Code.Code, r.Description)
	}
	out := d.Payers()
	if out == nil {
		out = []payers.Payer{}
	}
	return out, nil
}

// sameKey reports whether two payer or plan names are one name.
func sameKey(a, b string) bool { return payers.Key(a) == payers.Key(strings.TrimSpace(b)) }

// payerKey is payers.Key, for code where a variable is named payers.
func payerKey(s string) string { return payers.Key(s) }
