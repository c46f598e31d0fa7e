// Package topo decodes the TopoJSON of the us-atlas package (quantized,
// delta-encoded arcs shared between neighbouring states) into SVG path
// data. It is used by the generator and by the test that holds the
// embedded file against the package.
package topo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects struct {
		States struct {
			Geometries []struct {
				Type       string          `json:"type"`
				Arcs       json.RawMessage `json:"arcs"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"geometries"`
		} `json:"states"`
	} `json:"objects"`
}

// StatesText is the states object of a TopoJSON topology as lines of
// "name<TAB>path".
func StatesText(data []byte) ([]byte, error) {
	var t topology
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode topology: %w", err)
	}
	arcs := make([][][2]float64, len(t.Arcs))
	for i, a := range t.Arcs {
		var x, y float64
		pts := make([][2]float64, len(a))
		for j, d := range a {
			x, y = x+d[0], y+d[1]
			pts[j] = [2]float64{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]}
		}
		arcs[i] = pts
	}
	var out bytes.Buffer
	for _, g := range t.Objects.States.Geometries {
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, fmt.Errorf("%s: %w", g.Properties.Name, err)
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return nil, fmt.Errorf("%s: %w", g.Properties.Name, err)
			}
		default:
			continue
		}
		out.WriteString(g.Properties.Name)
		out.WriteByte('\t')
		for _, p := range polys {
			for _, ring := range p {
				pts, err := ringPoints(arcs, ring)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", g.Properties.Name, err)
				}
				writeRing(&out, pts)
			}
		}
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// ringPoints joins a ring's arcs; ~i is arc i reversed, and each arc after
// the first starts where the one before ended.
func ringPoints(arcs [][][2]float64, ring []int) ([][2]float64, error) {
	var pts [][2]float64
	for k, i := range ring {
		rev := i < 0
		if rev {
			i = ^i
		}
		if i >= len(arcs) {
			return nil, fmt.Errorf("arc %d of %d", i, len(arcs))
		}
		a := arcs[i]
		seg := make([][2]float64, len(a))
		for j := range a {
			if rev {
				seg[j] = a[len(a)-1-j]
			} else {
				seg[j] = a[j]
			}
		}
		if k > 0 && len(seg) > 0 {
			seg = seg[1:]
		}
		pts = append(pts, seg...)
	}
	return pts, nil
}

// writeRing writes a closed ring as absolute path commands at a tenth of
// a unit, leaving out points that round to the one before.
func writeRing(out *bytes.Buffer, pts [][2]float64) {
	last := [2]int64{math.MinInt64, math.MinInt64}
	first := true
	for _, p := range pts {
		q := [2]int64{int64(math.Round(p[0] * 10)), int64(math.Round(p[1] * 10))}
		if q == last {
			continue
		}
		if first {
			out.WriteByte('M')
			first = false
		} else {
			out.WriteByte('L')
		}
		out.WriteString(tenths(q[0]) + "," + tenths(q[1]))
		last = q
	}
	if !first {
		out.WriteByte('Z')
	}
}

func tenths(v int64) string {
	s := strconv.FormatFloat(float64(v)/10, 'f', -1, 64)
	return s
}
