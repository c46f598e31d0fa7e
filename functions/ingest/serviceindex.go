package ingest

import (
	"context"
	"fmt"
	"strings"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/services"
)

// serviceIndexer matches each distinct row of a file (its code pairs and
// description) to a shoppable service once, and collects the index rows
// the store keeps beside the charges. Rows repeat per payer and plan, so the
// cache keeps the matcher to one call per distinct procedure.
type serviceIndexer struct {
	catalogue *services.Catalogue
	seen      map[string]bool
	rows      []priceline.ServiceRow
}

func newServiceIndexer() *serviceIndexer {
	return &serviceIndexer{catalogue: services.Default(), seen: map[string]bool{}}
}

// add matches one row, filed under codes (the row's usable codes, as the
// writer files it).
func (x *serviceIndexer) add(hospitalID string, codes []priceline.Code, c *priceline.Charge) {
	if p := strings.TrimSpace(c.Payer); p != "" {
		// The payer directory (GET /api/payers) lists each raw payer and
		// plan once per file.
		pk := "\x01" + p + "\x00" + c.Plan
		if !x.seen[pk] {
			x.seen[pk] = true
			x.rows = append(x.rows, priceline.ServiceRow{ServiceID: priceline.PayerNamesIndexID, HospitalID: hospitalID,
				Code: priceline.Code{Code: p, Type: "PAYER"}, Description: strings.TrimSpace(c.Plan), By: "payer"})
		}
	}
	description := c.Description
	var k strings.Builder
	k.WriteString(description)
	for _, c := range codes {
		k.WriteString("\x00" + c.Type + "\x00" + c.Code)
	}
	if x.seen[k.String()] {
		return
	}
	x.seen[k.String()] = true
	m := x.catalogue.Match(codes, description)
	if !m.Found() {
		return
	}
	r := priceline.ServiceRow{ServiceID: m.ServiceID, HospitalID: hospitalID, Description: description, By: m.By, Score: m.Score}
	switch {
	case m.By == services.ByCode:
		r.Code = m.Code
	case len(codes) > 0:
		r.Code = codes[0] // where the writer files the row
	default:
		return
	}
	x.rows = append(x.rows, r)
}

// write stores the collected rows under gen when the store keeps a service
// index; a store without one imports as before.
func (x *serviceIndexer) write(ctx context.Context, store priceline.PriceStore, hospitalID, gen string) error {
	idx, ok := store.(priceline.ServiceIndex)
	if !ok || x == nil {
		return nil
	}
	for rows := x.rows; len(rows) > 0; {
		n := min(len(rows), priceline.MaxServiceRowBatch)
		if err := idx.PutServiceRows(ctx, hospitalID, gen, rows[:n]); err != nil {
			return fmt.Errorf("write the service index: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}
