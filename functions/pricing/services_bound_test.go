package pricing

import (
	"context"
	"fmt"
	"testing"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
	"hospitalpriceline/functions/services"
)

// A service comparison reads at most MaxServiceCodes procedure partitions,
// however many chargemaster codes hospitals matched by description: one
// anonymous request cannot cost storage requests in proportion to the data.
// The strongest matches are read and the rest are counted, not hidden.
func TestCompareServiceReadsAtMostMaxServiceCodes(t *testing.T) {
	ctx := context.Background()
	st := memstore.NewPrices()
	svc := services.Default().Services()[0]
	const n = MaxServiceCodes + 10
	if err := st.BeginImport(ctx, alpha, "g1"); err != nil {
		t.Fatal(err)
	}
	var rows []priceline.ServiceRow
	for i := range n {
		code := priceline.Code{Type: "CDM", Code: fmt.Sprintf("%07d", i)}
		c := priceline.Charge{HospitalID: alpha.ID, Description: "LIPID PANEL", Codes: []priceline.Code{code}, Gross: usd(int64(1000 + i))}
		if err := pricelinetest.PutCharges(ctx, st, alpha.ID, "g1", code, []priceline.Charge{c}); err != nil {
			t.Fatal(err)
		}
		// Scores fall with i, so the first MaxServiceCodes are the strongest.
		rows = append(rows, priceline.ServiceRow{ServiceID: svc.ID, HospitalID: alpha.ID, Code: code,
			Description: "LIPID PANEL", By: services.ByDescription, Score: 0.99 - float64(i)/1000})
	}
	if err := st.PutServiceRows(ctx, alpha.ID, "g1", rows); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CommitImport(ctx, alpha, "g1"); err != nil {
		t.Fatal(err)
	}
	s := &Service{Store: st}
	before := st.Calls("ChargesFor")
	c, err := s.CompareService(ctx, ServiceQuery{ServiceID: svc.ID, DescriptionMatches: true})
	if err != nil {
		t.Fatal(err)
	}
	if reads := st.Calls("ChargesFor") - before; reads != MaxServiceCodes {
		t.Errorf("%d partition reads, want %d", reads, MaxServiceCodes)
	}
	if c.CodesLeftOut != 10 {
		t.Errorf("CodesLeftOut = %d, want 10", c.CodesLeftOut)
	}
	for _, ch := range c.Rows[alpha.ID] {
		var i int
		fmt.Sscanf(ch.Codes[0].Code, "%d", &i)
		if i >= MaxServiceCodes {
			t.Errorf("a weaker match (code %s) was read instead of a stronger one", ch.Codes[0].Code)
		}
	}
}
