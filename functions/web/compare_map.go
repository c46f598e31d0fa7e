package web

import (
	"slices"
	"strconv"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
	"hospitalpriceline/functions/usmap"
)

// The comparison page's map: the state outlines (package usmap) and each
// hospital with a known ZIP code as a point coloured by the amount the
// chart shows, drawn by the server as SVG. No tiles, no outside request.

// mapView is the SVG map; Points is empty when no hospital has a ZIP code.
type mapView struct {
	Title, Summary string
	// Width and Height are the SVG's user units: the map, and the legend
	// in a band below it; PixelHeight keeps the drawn size in proportion
	// at PixelWidth.
	Width, Height           int
	PixelWidth, PixelHeight int
	States                  []usmap.State
	Points                  []mapPoint
	Legend                  []legendView
}

// mapPoint is one hospital on the map.
type mapPoint struct {
	Name, Amount, Fill, Class string
	X, Y                      string
}

// legendView is one colour of the map's legend.
type legendView struct {
	Fill, Label, Class string
	X, TextX, Y, TextY int
}

// The legend sits in a band below the states, two entries a row, so that
// it covers no state (in a corner of the map it hid Washington).
const (
	legendBand   = 70  // user units below usmap.Height
	legendColumn = 420 // user units between the legend's two columns
	mapPixels    = 720 // the SVG's drawn width
)

// The colours of the map's points: three price bands, and grey for a
// hospital without the amount. Each band also has its own shape in the
// legend's words, so that the map does not depend on colour alone.
const (
	fillLow     = "#1b6e3a"
	fillMid     = "#b8860b"
	fillHigh    = "#b3261e"
	fillMissing = "#8a8a8a"
)

// drawMap places the hospitals of ps with a known ZIP code, coloured by
// measure in three bands of the amounts shown (lowest third, middle,
// highest third).
func drawMap(ps []priceline.HospitalPrice, name func(string) string, hospitals map[string]*priceline.Hospital, measure string) mapView {
	get := pricing.Measure(measure)
	v := mapView{Title: "Where the hospitals are, coloured by " + lowerFirst(measureNames[measure]),
		Width: usmap.Width, Height: usmap.Height + legendBand,
		PixelWidth: mapPixels, PixelHeight: mapPixels * (usmap.Height + legendBand) / usmap.Width}
	var cents []int64
	for i := range ps {
		if m := get(&ps[i]); m.Set {
			cents = append(cents, m.Cents)
		}
	}
	slices.Sort(cents)
	band := func(c int64) (string, string) {
		n := len(cents)
		if n < 3 {
			// Too few amounts for thirds: the lowest, and the rest.
			if c == cents[0] {
				return fillLow, "low"
			}
			return fillHigh, "high"
		}
		switch {
		case c <= cents[(n-1)/3]:
			return fillLow, "low"
		case c >= cents[n-1-(n-1)/3]:
			return fillHigh, "high"
		}
		return fillMid, "mid"
	}
	summary := ""
	for i := range ps {
		h := hospitals[ps[i].HospitalID]
		if h == nil {
			continue
		}
		_, at, ok := pricing.HospitalZIP(h)
		if !ok {
			continue
		}
		x, y, ok := usmap.Project(at.Lat, at.Lon)
		if !ok {
			continue
		}
		p := mapPoint{Name: name(ps[i].HospitalID), X: strconv.FormatFloat(x, 'f', 1, 64), Y: strconv.FormatFloat(y, 'f', 1, 64),
			Fill: fillMissing, Class: "missing", Amount: "not listed"}
		if m := get(&ps[i]); m.Set {
			p.Amount = formatUSD(m)
			p.Fill, p.Class = band(m.Cents)
		}
		if summary != "" {
			summary += "; "
		}
		summary += p.Name + " " + p.Amount
		v.Points = append(v.Points, p)
	}
	if len(v.Points) == 0 {
		return mapView{}
	}
	v.States = usmap.States()
	v.Summary = v.Title + ": " + summary + "."
	for i, l := range []struct{ fill, label, class string }{
		{fillLow, "lowest third of the amounts shown", "low"},
		{fillMid, "middle third", "mid"},
		{fillHigh, "highest third", "high"},
		{fillMissing, "amount not listed", "missing"},
	} {
		x, y := 14+(i%2)*legendColumn, usmap.Height+22+(i/2)*28
		v.Legend = append(v.Legend, legendView{Fill: l.fill, Label: l.label, Class: l.class, X: x, TextX: x + 14, Y: y, TextY: y + 5})
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}
