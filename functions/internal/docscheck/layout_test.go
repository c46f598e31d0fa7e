package docscheck

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The checks docs/architecture.md promises ("Checks that keep the shape"),
// as tests, so a change that breaks the layout fails make test rather than
// waiting for someone to run the commands by hand.

const module = "hospitalpriceline/functions/"

// maxFileLines is the most lines a non-test Go file may have: a longer one
// holds several rooms and should be split.
const maxFileLines = 600

func TestNoProductionGoFileOver600Lines(t *testing.T) {
	dir := filepath.Join(root(t), "functions")
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := bytes.Count(b, []byte("\n")); n > maxFileLines {
			rel, _ := filepath.Rel(dir, path)
			t.Errorf("%s has %d lines (at most %d): split it by what it holds", rel, n, maxFileLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	importsOnce sync.Once
	importsMap  map[string][]string
	importsErr  error
)

// imports lists, for every package of the module, the module packages its
// non-test files import, with `go list` (the toolchain that runs the test),
// once for all the tests here.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	importsOnce.Do(func() { importsMap, importsErr = listImports(root(t)) })
	if importsErr != nil {
		t.Fatal(importsErr)
	}
	return importsMap
}

func listImports(dir string) (map[string][]string, error) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./functions/...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	m := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue
		}
		pkg := strings.TrimPrefix(f[0], module)
		m[pkg] = nil
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module) {
				m[pkg] = append(m[pkg], strings.TrimPrefix(imp, module))
			}
		}
	}
	return m, nil
}

// reach returns every module package pkg depends on, directly or not.
func reach(m map[string][]string, pkg string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, d := range m[p] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(pkg)
	return seen
}

// floor is a package's level in the house, lowest first; a package may
// import only packages on its own floor or below. Packages not listed are
// libraries and test support, checked only by the rules below them.
var floor = map[string]int{
	"priceline":    0,
	"tablestorage": 1, "memstore": 1, "keyvault": 1, "b2c": 1, "mrf": 1,
	"acsmail": 1, "devmail": 1, "outbox": 1, "hibp": 1,
	"auth": 2, "pricing": 2, "ingest": 2,
	"web":         3,
	"cmd/handler": 4, "cmd/loadgen": 4,
}

func TestImportsRunOnlyDownTheFloors(t *testing.T) {
	m := imports(t)
	for pkg, f := range floor {
		if _, ok := m[pkg]; !ok {
			t.Errorf("package %s is in the floor list but not in the module", pkg)
			continue
		}
		for dep := range reach(m, pkg) {
			if g, ok := floor[dep]; ok && g > f {
				t.Errorf("%s (floor %d) depends on %s (floor %d): imports must run down", pkg, f, dep, g)
			}
		}
	}
}

// notAdapter are the floor-1 packages that talk to nothing outside: the
// outbox sends through the domain's Mailer and OutboxStore, so the flows
// may use it.
var notAdapter = map[string]bool{"outbox": true}

func TestWebImportsNoAdapter(t *testing.T) {
	deps := reach(imports(t), "web")
	for adapter, f := range floor {
		if f != 1 || notAdapter[adapter] {
			continue
		}
		if deps[adapter] {
			t.Errorf("web depends on the adapter %s: cmd/handler wires adapters in", adapter)
		}
	}
}

func TestDomainImportsNoOtherProjectPackage(t *testing.T) {
	for dep := range reach(imports(t), "priceline") {
		t.Errorf("priceline depends on %s: the domain imports nothing of ours", dep)
	}
}
