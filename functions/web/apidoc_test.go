package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The API reference lists exactly the /api/ routes of the route table and
// the timer function.
func TestAPIDocMatchesRouteTable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^### `([A-Z]+) (/[^`]*)`")
	var documented []string
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1]+" "+m[2])
	}
	var routed []string
	for _, rt := range (&Server{}).routes() {
		if strings.HasPrefix(rt.Path, "/api/") {
			routed = append(routed, rt.Method+" "+rt.Path)
		}
	}
	routed = append(routed, "POST /"+CleanupFunction)
	slices.Sort(documented)
	slices.Sort(routed)
	if !slices.Equal(documented, routed) {
		t.Fatalf("docs/api.md and the route table differ:\n doc %q\nroutes %q", documented, routed)
	}
}
