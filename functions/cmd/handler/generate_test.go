package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A generated file is valid: generate, then validate exits 0.
func TestGenerateThenValidate(t *testing.T) {
	for _, format := range []string{"csv-tall", "csv-wide", "json"} {
		path := filepath.Join(t.TempDir(), "gen."+format)
		var out, errb bytes.Buffer
		if code := run([]string{"generate", "-format", format, "-rows", "200", path}, &out, &errb); code != 0 {
			t.Fatalf("%s: generate exit %d: %s", format, code, errb.String())
		}
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Fatalf("%s: no file: %v", format, err)
		}
		if code := run([]string{"validate", path}, &out, &errb); code != 0 {
			t.Fatalf("%s: generated file is not valid (exit %d): %s", format, code, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"generate", "-format", "xml", filepath.Join(t.TempDir(), "x")}, &out, &errb); code == 0 {
		t.Fatal("an unknown format was accepted")
	}
}
