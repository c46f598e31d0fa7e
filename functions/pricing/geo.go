package pricing

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"

	"hospitalpriceline/functions/geo"
	"hospitalpriceline/functions/priceline"
)

// Bounds of radiusMiles.
const (
	MinRadiusMiles = 1
	MaxRadiusMiles = 500
)

// zipInAddress finds a US ZIP code at the end of an address line ("…, CA
// 92501" or "… 92501-1234"): the last five-digit group after the street.
var zipInAddress = regexp.MustCompile(`\b(\d{5})(?:-\d{4})?\s*$`)

// HospitalZIP returns the ZIP code of a hospital's first address that ends
// in one, and its centroid; ok is false when no address has a known ZIP.
func HospitalZIP(h *priceline.Hospital) (zip string, at geo.LatLon, ok bool) {
	for _, a := range h.Addresses {
		m := zipInAddress.FindStringSubmatch(strings.TrimSpace(a))
		if m == nil {
			continue
		}
		if p, found := geo.Lookup(m[1]); found {
			return m[1], p, true
		}
	}
	return "", geo.LatLon{}, false
}

// Origin is where a person measures distances from.
type Origin struct {
	At          geo.LatLon
	RadiusMiles float64 // 0: no radius
}

// ParseOrigin reads the zip and radiusMiles parameters: an unknown ZIP is
// 400 unknown_zip, a radius outside 1–500 miles 400 invalid_radius, and a
// radius without a ZIP 400 missing_zip. ok is false when no ZIP was given.
func ParseOrigin(zip, radius string) (o Origin, ok bool, err error) {
	if zip == "" {
		if radius != "" {
			return o, false, invalid("missing_zip", "radiusMiles needs a zip.")
		}
		return o, false, nil
	}
	p, found := geo.Lookup(zip)
	if !found {
		return o, false, invalid("unknown_zip", "We do not know the ZIP code %q. Give a 5-digit US ZIP code.", clip(zip, 12))
	}
	o.At = p
	if radius != "" {
		r, err := strconv.ParseFloat(radius, 64)
		// Written as !(in range) so NaN, which compares false both ways, is
		// refused too: a NaN radius would keep no hospital with a ZIP.
		if err != nil || !(r >= MinRadiusMiles && r <= MaxRadiusMiles) {
			return o, false, invalid("invalid_radius", "radiusMiles must be a number from %d to %d.", MinRadiusMiles, MaxRadiusMiles)
		}
		o.RadiusMiles = r
	}
	return o, true, nil
}

// Distance is the distance in miles, rounded to one decimal, from o to a
// hospital; ok is false when the hospital has no known ZIP.
func (o Origin) Distance(h *priceline.Hospital) (miles float64, ok bool) {
	_, at, ok := HospitalZIP(h)
	if !ok {
		return 0, false
	}
	return geo.RoundMiles(geo.DistanceMiles(o.At, at)), true
}

// SortDistance is the sort key of the price rows nearest first.
const SortDistance = "distance"

// Distances measures the miles from o to each hospital with a known ZIP.
func (o Origin) Distances(hs []priceline.Hospital) map[string]float64 {
	out := make(map[string]float64, len(hs))
	for i := range hs {
		if miles, ok := o.Distance(&hs[i]); ok {
			out[hs[i].ID] = miles
		}
	}
	return out
}

// distanceOrder orders price rows nearest first, rows of hospitals without
// a ZIP last, ties by then.
func distanceOrder(dist map[string]float64, then func(a, b PriceRow) int) func(a, b PriceRow) int {
	return func(a, b PriceRow) int {
		da, okA := dist[a.Charge.HospitalID]
		db, okB := dist[b.Charge.HospitalID]
		switch {
		case okA && !okB:
			return -1
		case !okA && okB:
			return 1
		case okA && da != db:
			return cmp.Compare(da, db)
		}
		return then(a, b)
	}
}

// Keep reports whether a hospital is within the radius: hospitals without
// a ZIP are always kept (listed last, never dropped).
func (o Origin) Keep(miles float64, known bool) bool {
	return !known || o.RadiusMiles == 0 || miles <= o.RadiusMiles
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
