// Command atlasgen turns the us-atlas package's pre-projected state
// outlines (TopoJSON, states-albers-10m.json) into functions/usmap's
// embedded states.txt: one line per state, its name, a tab and its outline
// as SVG path data rounded to a tenth of a unit.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"hospitalpriceline/functions/usmap/internal/topo"
)

func main() {
	in := flag.String("in", "", "the us-atlas states-albers-10m.json")
	out := flag.String("out", "", "the file to write")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatalf("read the atlas: %v (run npm ci in functions/usmap/atlasdata first)", err)
	}
	text, err := topo.StatesText(data)
	if err != nil {
		log.Fatalf("convert %s: %v", *in, err)
	}
	if err := os.WriteFile(*out, text, 0o644); err != nil {
		log.Fatalf("write %s: %v", *out, err)
	}
	fmt.Printf("wrote %s (%d bytes)\n", *out, len(text))
}
