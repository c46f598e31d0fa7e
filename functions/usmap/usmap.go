// Package usmap draws the United States for the comparison page's map: the
// state outlines of the US Census Bureau's cartographic boundaries as the
// us-atlas npm package ships them (ISC; see atlasdata/SOURCES.md), already
// projected with the Albers USA projection (Alaska and Hawaii as insets)
// onto a 975 × 610 canvas, and turned at build time into SVG path data
// embedded in the binary; Project puts a latitude and longitude on the same
// canvas. No map tiles and no request leave the server.
package usmap

//go:generate go run ./internal/atlasgen -in atlasdata/node_modules/us-atlas/states-albers-10m.json -out states.txt

import (
	_ "embed"
	"math"
	"strings"
	"sync"
)

// The canvas the outlines are drawn on, in SVG user units.
const (
	Width  = 975
	Height = 610
)

// State is one state's outline as SVG path data on the canvas.
type State struct {
	Name, Path string
}

//go:embed states.txt
var statesFile string

// States returns the state outlines, in the dataset's order.
var States = sync.OnceValue(func() []State {
	var out []State
	for _, line := range strings.Split(strings.TrimSpace(statesFile), "\n") {
		name, path, ok := strings.Cut(line, "\t")
		if ok {
			out = append(out, State{Name: name, Path: path})
		}
	}
	return out
})

// conic is a conic equal-area (Albers) projection placed on the canvas the
// way d3's geoAlbersUsa places its three parts, so that points land where
// the pre-projected outlines are.
type conic struct {
	rotate           float64 // degrees added to the longitude
	center           [2]float64
	parallels        [2]float64
	scale            float64
	translateX       float64
	translateY       float64
	n, c, r0         float64
	centerX, centerY float64
}

func newConic(rotate float64, center, parallels [2]float64, scale, tx, ty float64) *conic {
	p := &conic{rotate: rotate, center: center, parallels: parallels, scale: scale, translateX: tx, translateY: ty}
	sy0 := math.Sin(rad(parallels[0]))
	p.n = (sy0 + math.Sin(rad(parallels[1]))) / 2
	p.c = 1 + sy0*(2*p.n-sy0)
	p.r0 = math.Sqrt(p.c) / p.n
	p.centerX, p.centerY = p.raw(rad(center[0]), rad(center[1]))
	return p
}

// raw is the unit projection of a rotated point in radians.
func (p *conic) raw(lambda, phi float64) (float64, float64) {
	r := math.Sqrt(p.c-2*p.n*math.Sin(phi)) / p.n
	lambda *= p.n
	return r * math.Sin(lambda), p.r0 - r*math.Cos(lambda)
}

func (p *conic) project(lat, lon float64) (float64, float64) {
	l := lon + p.rotate
	for l > 180 {
		l -= 360
	}
	for l < -180 {
		l += 360
	}
	x, y := p.raw(rad(l), rad(lat))
	return p.translateX + p.scale*(x-p.centerX), p.translateY - p.scale*(y-p.centerY)
}

func rad(d float64) float64 { return d * math.Pi / 180 }

// The three parts of the Albers USA projection at the canvas's scale.
const albersScale = 1300

var (
	lower48 = newConic(96, [2]float64{-0.6, 38.7}, [2]float64{29.5, 45.5}, albersScale, Width/2, Height/2)
	alaska  = newConic(154, [2]float64{-2, 58.5}, [2]float64{55, 65}, 0.35*albersScale, Width/2-0.307*albersScale, Height/2+0.201*albersScale)
	hawaii  = newConic(157, [2]float64{-3, 19.9}, [2]float64{8, 18}, albersScale, Width/2-0.205*albersScale, Height/2+0.212*albersScale)
)

// Project places a point (decimal degrees) on the canvas; ok is false for
// points off the map (outside the states and their insets' boxes).
func Project(lat, lon float64) (x, y float64, ok bool) {
	p := lower48
	switch {
	case lat > 50 && lon < -129:
		p = alaska
	case lat < 23 && lon < -150:
		p = hawaii
	}
	x, y = p.project(lat, lon)
	return x, y, x >= 0 && x <= Width && y >= 0 && y <= Height
}
