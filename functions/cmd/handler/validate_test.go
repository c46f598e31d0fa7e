package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureDir = "../../mrf/testdata"

// sourcesVerdicts reads the expected verdicts from a SOURCES.md table: the
// first cell names the file, the first cell starting with "valid" or
// "INVALID" is the verdict.
func sourcesVerdicts(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 4 || strings.TrimSpace(cells[0]) != "" {
			continue
		}
		for _, c := range cells[2:] {
			c = strings.TrimSpace(c)
			if strings.HasPrefix(c, "valid") || strings.HasPrefix(c, "INVALID") {
				out[strings.TrimSpace(cells[1])] = strings.HasPrefix(c, "valid")
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunValidateExitCodesMatchSources(t *testing.T) {
	dir := filepath.Join(fixtureDir, "hpt-validator-fixtures")
	verdicts := sourcesVerdicts(t, filepath.Join(dir, "SOURCES.md"))
	if len(verdicts) < 40 {
		t.Fatalf("read %d verdicts from SOURCES.md, want 40", len(verdicts))
	}
	// The CMS examples are valid for their version (their SOURCES.md says so
	// in prose, not in a table).
	examples, err := filepath.Glob(filepath.Join(fixtureDir, "cms-examples", "*_*.*"))
	if err != nil || len(examples) != 6 {
		t.Fatalf("CMS examples: %v, %v", examples, err)
	}
	for _, ex := range examples {
		verdicts[ex] = true
	}
	for name, valid := range verdicts {
		path := name
		if !filepath.IsAbs(path) && !strings.HasPrefix(path, fixtureDir) {
			path = filepath.Join(dir, name)
		}
		var stdout, stderr bytes.Buffer
		got := runValidate([]string{path}, &stdout, &stderr)
		want := 1
		if valid {
			want = 0
		}
		if got != want {
			t.Errorf("%s: exit %d, want %d\n%s%s", name, got, want, stdout.String(), stderr.String())
		}
		verdict := "INVALID"
		if valid {
			verdict = "VALID"
		}
		if !strings.Contains(stdout.String(), ": "+verdict+" (") {
			t.Errorf("%s: output lacks the verdict %s:\n%s", name, verdict, stdout.String())
		}
	}
}

func TestRunValidatePrintsErrors(t *testing.T) {
	path := filepath.Join(fixtureDir, "hpt-validator-fixtures", "2.0", "sample-wide-error-bad-enum.csv")
	var stdout, stderr bytes.Buffer
	if got := runValidate([]string{path}, &stdout, &stderr); got != 1 {
		t.Fatalf("exit %d", got)
	}
	out := stdout.String()
	for _, want := range []string{"INVALID", "version 2.0.0", "checked as CMS 2.2.0", "format csv-wide", "1 errors", "error row ", "[enum.code_type]", "code|1|type"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunValidateMissingFileExits2(t *testing.T) {
	valid := filepath.Join(fixtureDir, "cms-examples", "v3_json_format_example.json")
	invalid := filepath.Join(fixtureDir, "hpt-validator-fixtures", "sample-no-data.csv")
	missing := filepath.Join(t.TempDir(), "no-such-file.csv")
	var stdout, stderr bytes.Buffer
	if got := runValidate([]string{valid, missing, invalid}, &stdout, &stderr); got != 2 {
		t.Errorf("exit %d, want 2", got)
	}
	if !strings.Contains(stderr.String(), "no-such-file.csv: cannot read") {
		t.Errorf("stderr = %q", stderr.String())
	}
	// The readable files are still reported.
	if !strings.Contains(stdout.String(), "VALID") || !strings.Contains(stdout.String(), "INVALID") {
		t.Errorf("stdout = %q", stdout.String())
	}
	if got := runValidate([]string{t.TempDir()}, &stdout, &stderr); got != 2 {
		t.Errorf("directory: exit %d, want 2", got)
	}
	if got := runValidate(nil, &stdout, &stderr); got != 2 {
		t.Errorf("no files: exit %d, want 2", got)
	}
}

func TestRunValidateMixedVerdictsExit1(t *testing.T) {
	valid := filepath.Join(fixtureDir, "cms-examples", "V3.0.0_Tall_CSV_Format_Example.csv")
	invalid := filepath.Join(fixtureDir, "hpt-validator-fixtures", "3.0", "sample-missing-median.json")
	var stdout, stderr bytes.Buffer
	if got := runValidate([]string{valid, invalid}, &stdout, &stderr); got != 1 {
		t.Errorf("exit %d, want 1", got)
	}
}

func TestPrintableReplacesControlCharacters(t *testing.T) {
	if got := printable("a\x1b[31mb\n\u0085c"); got != "a?[31mb??c" {
		t.Errorf("printable = %q", got)
	}
}
