package usmap

import (
	"bytes"
	"math"
	"os"
	"regexp"
	"strconv"
	"testing"

	"hospitalpriceline/functions/usmap/internal/topo"
)

// bbox is the box around a state's outline.
func bbox(t *testing.T, name string) (minX, minY, maxX, maxY float64) {
	t.Helper()
	minX, minY, maxX, maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range States() {
		if s.Name != name {
			continue
		}
		for _, m := range regexp.MustCompile(`(-?[\d.]+),(-?[\d.]+)`).FindAllStringSubmatch(s.Path, -1) {
			x, _ := strconv.ParseFloat(m[1], 64)
			y, _ := strconv.ParseFloat(m[2], 64)
			minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
		}
		return
	}
	t.Fatalf("no state %q", name)
	return
}

// Project must put a city inside its state's outline box: the outlines
// were projected by the package, the points by Project, so this holds the
// two projections together (lower 48 and both insets).
func TestProjectLandsCitiesInTheirStates(t *testing.T) {
	for _, c := range []struct {
		state    string
		lat, lon float64
	}{
		{"Alabama", 32.3668, -86.3000},     // Montgomery
		{"California", 34.0537, -118.2428}, // Los Angeles
		{"Maine", 44.3106, -69.7795},       // Augusta
		{"Florida", 25.7617, -80.1918},     // Miami
		{"Washington", 47.6062, -122.3321}, // Seattle
		{"Alaska", 61.2181, -149.9003},     // Anchorage
		{"Hawaii", 21.3069, -157.8583},     // Honolulu
	} {
		x, y, ok := Project(c.lat, c.lon)
		minX, minY, maxX, maxY := bbox(t, c.state)
		if !ok || x < minX || x > maxX || y < minY || y > maxY {
			t.Errorf("%s: projected to (%.1f, %.1f), ok=%v; the state's box is (%.1f, %.1f)–(%.1f, %.1f)", c.state, x, y, ok, minX, minY, maxX, maxY)
		}
	}
	if n := len(States()); n < 50 {
		t.Errorf("%d state outlines; want the 50 states and DC", n)
	}
	if len(statesFile) > 200<<10 {
		t.Errorf("states.txt is %d bytes; keep it under 200 KiB", len(statesFile))
	}
}

// The embedded file is what the generator makes from the package in the
// lockfile. make test installs the package first, so under CI=true its
// absence is a failure (make usmap installs it and regenerates).
func TestEmbeddedMatchesNPMPackage(t *testing.T) {
	data, err := os.ReadFile("atlasdata/node_modules/us-atlas/states-albers-10m.json")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("us-atlas is not installed (make usmap): %v", err)
		}
		t.Skipf("us-atlas is not installed (make usmap): %v", err)
	}
	want, err := topo.StatesText(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, []byte(statesFile)) {
		t.Fatal("states.txt differs from what the us-atlas package generates: run go generate ./functions/usmap")
	}
}
