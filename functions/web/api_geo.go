package web

import (
	"cmp"
	"context"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// withPlace adds the hospital's ZIP and its centroid.
func (j hospitalJSON) withPlace(h *priceline.Hospital) hospitalJSON {
	if zip, at, ok := pricing.HospitalZIP(h); ok {
		j.Zip, j.Latitude, j.Longitude = zip, &at.Lat, &at.Lon
	}
	return j
}

// staleFile reports whether a file last updated on day (YYYY-MM-DD) is
// more than a year old at now.
func staleFile(day string, now time.Time) bool {
	t, err := time.Parse("2006-01-02", day)
	return err == nil && t.AddDate(1, 0, 0).Before(now)
}

// geoParams are the parameters of the distance from a ZIP code.
var geoParams = map[string]int{"zip": 10, "radiusMiles": 10}

// withDistances adds distanceMiles to each comparison entry from the zip
// and radiusMiles parameters, leaves out the hospitals outside the radius,
// and orders by distance when sortDistance is set (hospitals without a ZIP
// last, never dropped).
func withDistances(ctx context.Context, svc *pricing.Service, body map[string]any, q map[string]string, sortDistance bool) (map[string]any, error) {
	o, ok, err := pricing.ParseOrigin(q["zip"], q["radiusMiles"])
	if err != nil || !ok {
		return body, err
	}
	hs, err := svc.Hospitals(ctx)
	if err != nil {
		return nil, err
	}
	byID := entriesByHospital(body["hospitals"])
	type placed struct {
		e     map[string]any
		miles float64
		known bool
		rank  int
	}
	var kept []placed
	for i := range hs {
		e := byID[hs[i].ID]
		if e == nil {
			continue
		}
		miles, known := o.Distance(&hs[i])
		if !o.Keep(miles, known) {
			continue
		}
		if known {
			e["distanceMiles"] = miles
		}
		kept = append(kept, placed{e: e, miles: miles, known: known, rank: rankOf(body["hospitals"], hs[i].ID)})
	}
	slices.SortStableFunc(kept, func(a, b placed) int {
		if sortDistance || a.known != b.known {
			switch {
			case a.known && !b.known:
				return -1
			case !a.known && b.known:
				return 1
			case a.known && sortDistance && a.miles != b.miles:
				return cmp.Compare(a.miles, b.miles)
			}
		}
		return cmp.Compare(a.rank, b.rank)
	})
	out := make([]map[string]any, 0, len(kept))
	for _, p := range kept {
		out = append(out, p.e)
	}
	body["hospitals"] = out
	return body, nil
}

// rankOf is the position of a hospital's entry in the comparison's order.
func rankOf(entries any, id string) int {
	i := 0
	switch es := entries.(type) {
	case []hospitalPriceJSON:
		for i = range es {
			if es[i].Hospital.ID == id {
				return i
			}
		}
	case []map[string]any:
		for i = range es {
			if h, _ := es[i]["hospital"].(hospitalRefJSON); h.ID == id {
				return i
			}
			if h, _ := es[i]["hospital"].(map[string]any); h != nil && h["id"] == id {
				return i
			}
		}
	}
	return 1 << 30
}

// distanceSort takes sort=distance out of the query for the price service,
// which orders by amounts only; it needs a zip.
func distanceSort(q map[string]string) (bool, error) {
	if q["sort"] != "distance" {
		return false, nil
	}
	delete(q, "sort")
	if q["zip"] == "" {
		return false, invalid("missing_zip", "sort=distance needs a zip.")
	}
	return true, nil
}
