// Command atlasgen turns the us-atlas package's pre-projected state
// outlines (TopoJSON, states-albers-10m.json) into functions/usmap's
// embedded states.txt: one line per state, its name, a tab and its outline
// as SVG path data rounded to a tenth of a unit.
package main

import (
	"fmt"

	"hospitalpriceline/functions/internal/embedgen"
	"hospitalpriceline/functions/usmap/internal/topo"
)

func main() {
	embedgen.Command{
		Name:    "atlasgen",
		Install: "functions/usmap/atlasdata",
		Convert: func(src []byte) ([]byte, string, error) {
			text, err := topo.StatesText(src)
			return text, fmt.Sprintf("%d bytes", len(text)), err
		},
	}.Main()
}
