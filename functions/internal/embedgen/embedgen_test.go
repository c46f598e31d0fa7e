package embedgen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func upper(src []byte) ([]byte, string, error) {
	return bytes.ToUpper(src), "2 bytes", nil
}

func TestRunWritesTheConversionAndSaysSo(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	if err := os.WriteFile(in, []byte("ab"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := (Command{Name: "gen", Convert: upper}).run(in, out, &stdout); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != "AB" {
		t.Errorf("out = %q, %v; want AB", got, err)
	}
	if want := "gen: 2 bytes, in " + out + "\n"; stdout.String() != want {
		t.Errorf("printed %q, want %q", stdout.String(), want)
	}
}

func TestRunNamesTheInstallWhenTheInputIsMissing(t *testing.T) {
	dir := t.TempDir()
	err := (Command{Name: "gen", Install: "functions/x/data", Convert: upper}).run(filepath.Join(dir, "none"), filepath.Join(dir, "out"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "run npm ci in functions/x/data first") {
		t.Errorf("err = %v, want one that says where to run npm ci", err)
	}
}

func TestRunWritesNothingWhenTheConversionFails(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	if err := os.WriteFile(in, []byte("ab"), 0o644); err != nil {
		t.Fatal(err)
	}
	fail := func([]byte) ([]byte, string, error) { return nil, "", errors.New("bad input") }
	var stdout bytes.Buffer
	if err := (Command{Name: "gen", Convert: fail}).run(in, out, &stdout); err == nil || !strings.Contains(err.Error(), "bad input") {
		t.Errorf("err = %v, want the conversion's", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) || stdout.Len() != 0 {
		t.Errorf("after a failed conversion: stat out = %v, printed %q; want no file and nothing printed", err, stdout.String())
	}
}
