package pricing

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/ingest"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// samples is where the CMS V3.0.0 examples (byte-for-byte copies, see its
// SOURCES.md) and the two generated hospitals live.
var samples = filepath.Join("..", "ingest", "testdata", "samples")

// importSamples imports files from samples into a fresh memstore with the
// ingest service, as bin/handler ingest does.
func importSamples(t *testing.T, files ...string) (*Service, *memstore.Prices) {
	t.Helper()
	st := memstore.NewPrices()
	in := &ingest.Service{Store: st}
	for _, name := range files {
		f, err := os.Open(filepath.Join(samples, name))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := in.Import(context.Background(), f, name)
		f.Close()
		if err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
		if sum.RowsImported == 0 {
			t.Fatalf("import %s: nothing imported: %+v", name, sum)
		}
	}
	return &Service{Store: st}, st
}

// allowedOf describes a hospital's rate with the chosen payer: its basis,
// dollar, percentage, and allowed amounts exactly as the file writes them.
type allowedOf struct {
	Basis, Dollar, Percentage, Median, P10, P90, Count string
}

func describeAllowed(h *priceline.HospitalPrice) allowedOf {
	return allowedOf{Basis: h.Basis(), Dollar: h.Negotiated.Decimal, Percentage: h.NegotiatedPercentage,
		Median: h.Allowed.Median.Decimal, P10: h.Allowed.P10.Decimal, P90: h.Allowed.P90.Decimal, Count: h.Allowed.Count}
}

// CMS's V3.0.0 examples, imported, compare with their real allowed
// amounts: a rate that is an algorithm or a percentage has the median as
// its dollar figure (basis medianAllowed), counts such as "1 through 10"
// and "0" come through as written, and the median is never the negotiated
// dollar. The tall CSV, the wide CSV and the JSON must all say the same.
func TestCMSExamplesCompareWithTheirAllowedAmounts(t *testing.T) {
	cases := []struct {
		code, typ, payer, plan string
		want                   allowedOf
	}{
		{"786", "MS-DRG", "Platform Health Insurance", "PPO",
			allowedOf{Basis: "medianAllowed", Median: "11000", P10: "8000", P90: "17000", Count: "1 through 10"}},
		{"786", "MS-DRG", "Region Health Insurance", "HMO",
			allowedOf{Basis: "medianAllowed", Median: "7500", P10: "3000", P90: "7500", Count: "14"}},
		{"99283", "CPT", "Platform Health Insurance", "PPO",
			allowedOf{Basis: "medianAllowed", Percentage: "80", Median: "12000.12", P10: "5123.74", P90: "16784.22", Count: "299"}},
		{"001", "MS-DRG", "Region Health Insurance", "HMO", allowedOf{Basis: "none", Count: "0"}},
		{"70551", "CPT", "Platform Health Insurance", "PPO", allowedOf{Basis: "negotiatedDollar", Dollar: "400"}},
	}
	for _, file := range []string{"V3.0.0_Tall_CSV_Format_Example.csv", "V3.0.0_Wide_CSV_Format_Example.csv", "v3_json_format_example.json"} {
		t.Run(file, func(t *testing.T) {
			svc, _ := importSamples(t, file)
			for _, c := range cases {
				for _, detail := range []bool{false, true} {
					q := CompareQuery{Code: c.code, CodeType: c.typ, Payer: c.payer, Plan: c.plan}
					var cmpn *Comparison
					var err error
					if detail {
						var d *ComparisonDetail
						d, err = svc.CompareDetail(context.Background(), q)
						if d != nil {
							cmpn = &d.Comparison
						}
					} else {
						cmpn, err = svc.Compare(context.Background(), q)
					}
					if err != nil {
						t.Fatal(err)
					}
					if len(cmpn.Prices) != 1 {
						t.Fatalf("%s %s: %d hospitals", c.typ, c.code, len(cmpn.Prices))
					}
					if diff := gocmp.Diff(c.want, describeAllowed(&cmpn.Prices[0])); diff != "" {
						t.Errorf("%s %s %s (detail %v) mismatch (-want, +got):\n%s", c.typ, c.code, c.payer, detail, diff)
					}
				}
			}
		})
	}
}

// Sorting a comparison by the negotiated rate: hospitals with a negotiated
// dollar first (in the direction asked), then those whose rate is only a
// percentage or an algorithm, by their median allowed amount, then those
// with neither — in both directions, so a median never passes for a
// negotiated price in the order.
func TestCompareSortByNegotiatedPutsMedianOnlyHospitalsAfterDollars(t *testing.T) {
	svc, _ := importSamples(t, "V3.0.0_Tall_CSV_Format_Example.csv",
		"East_Valley_Medical_Center_generated.csv", "North_Shore_Community_Hospital_generated.csv")
	// CPT 99283, Platform Health Insurance PPO: East Valley $1,450 and
	// North Shore $2,210 negotiated; West Mercy 80% with a median allowed
	// amount of $12,000.12, far above both, yet after them either way.
	for sort, want := range map[string]string{"negotiated": "ENW", "-negotiated": "NEW", "hospital": "ENW"} {
		c, err := svc.Compare(context.Background(), CompareQuery{Code: "99283", CodeType: "CPT", Payer: "Platform Health Insurance", Plan: "PPO", Sort: sort})
		if err != nil {
			t.Fatal(err)
		}
		if got := order(c); got != want {
			t.Errorf("sort %s: %s, want %s", sort, got, want)
		}
		if c.Negotiated.Hospitals != 2 || c.Negotiated.High.Decimal != "2210" || c.MedianAllowed.Hospitals != 1 {
			t.Errorf("spreads mix dollars and medians: negotiated %+v, median %+v", c.Negotiated, c.MedianAllowed)
		}
	}
	// Search sorts its rows by the same rule.
	p, err := svc.Search(context.Background(), PriceQuery{Code: "99283", CodeType: "CPT", Payer: "Platform Health Insurance", Sort: "-negotiated"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Rows {
		got = append(got, r.Charge.NegotiatedDollar.Decimal+"/"+r.Charge.Median.Decimal)
	}
	if diff := gocmp.Diff([]string{"2210/", "1450/", "/12000.12"}, got); diff != "" {
		t.Errorf("search rows mismatch (-want, +got):\n%s", diff)
	}
}
