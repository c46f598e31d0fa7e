// Package docscheck keeps the documentation honest: tests here fail when a
// document names a test that does not exist, or when the code breaks a
// rule of docs/architecture.md (file size, imports down the floors).
package docscheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hospitalpriceline/functions/internal/modroot"
)

func root(t *testing.T) string { return modroot.ForTest(t) }

// definedTests lists every Test, Fuzz and Benchmark function in the repository.
func definedTests(t *testing.T, dir string) map[string]bool {
	t.Helper()
	defs := map[string]bool{}
	re := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)\(`)
	err := filepath.WalkDir(filepath.Join(dir, "functions"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			defs[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return defs
}

// Every test that docs/*.md names exists (the naming examples in
// asvs-requirements.md aside).
func TestSecurityDocNamesRealTests(t *testing.T) {
	dir := root(t)
	defs := definedTests(t, dir)
	docs, _ := filepath.Glob(filepath.Join(dir, "docs", "*.md"))
	re := regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)`")
	named := 0
	for _, d := range docs {
		if filepath.Base(d) == "asvs-requirements.md" {
			continue // its naming examples are patterns, not tests
		}
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			named++
			if !defs[m[1]] {
				t.Errorf("%s names %s, which no test defines", filepath.Base(d), m[1])
			}
		}
	}
	if named < 50 {
		t.Fatalf("docs name only %d tests; is docs/security.md there?", named)
	}
}
