// Package modroot finds the repository's root (the folder with go.mod), so
// tests and development tools can reach host.json, docs/ and infra/ from
// whatever package directory `go test` runs them in.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Find walks up from the working directory to the folder holding go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ForTest is Find for tests: it fails the test when there is no root.
func ForTest(t testing.TB) string {
	t.Helper()
	dir, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
