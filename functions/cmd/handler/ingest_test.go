package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hospitalpriceline/functions/internal/azurite"
)

func TestIngestCommand(t *testing.T) {
	az := azurite.Shared(t)
	env := map[string]string{"PRICELINE_TABLES_CONNECTION_STRING": az.ConnectionString()}
	getenv := func(k string) string { return env[k] }
	sample := filepath.Join("..", "..", "ingest", "testdata", "samples", "V3.0.0_Tall_CSV_Format_Example.csv")
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	refused := filepath.Join(t.TempDir(), "semicolons.csv")
	if err := os.WriteFile(refused, bytes.ReplaceAll(data, []byte(","), []byte(";")), 0o600); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	code := ingestFiles(context.Background(), []string{sample, refused}, getenv, &out, &errOut, false)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one file refused)\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
	}
	for _, want := range []string{"West Mercy Hospital", "license CA 50056", "rows read 45, imported 45, rejected 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, &out)
		}
	}
	if !strings.Contains(errOut.String(), "semicolons.csv: REFUSED, nothing was written") || !strings.Contains(errOut.String(), "rows/s") {
		t.Errorf("stderr:\n%s", &errOut)
	}

	// The same file again: a generation of its own, whose commit removes
	// every row of the first import; a terminal gets a bar redrawn in place.
	out.Reset()
	errOut.Reset()
	if code := ingestFiles(context.Background(), []string{sample}, getenv, &out, &errOut, true); code != 0 {
		t.Fatalf("second run: exit %d\n%s\n%s", code, &out, &errOut)
	}
	if !strings.Contains(out.String(), "charges written 61; stale rows removed 61;") || !strings.Contains(errOut.String(), "\r[") || !strings.Contains(errOut.String(), "ETA") {
		t.Errorf("second run:\nstdout:\n%s\nstderr:\n%q", &out, &errOut)
	}
}

func TestIngestCommandUsageAndSettings(t *testing.T) {
	var out, errOut bytes.Buffer
	none := func(string) string { return "" }
	if code := ingestFiles(context.Background(), nil, none, &out, &errOut, false); code != 2 || !strings.Contains(errOut.String(), "usage: handler ingest") {
		t.Errorf("no files: %d %s", code, &errOut)
	}
	errOut.Reset()
	if code := ingestFiles(context.Background(), []string{"x.csv"}, none, &out, &errOut, false); code != 2 || !strings.Contains(errOut.String(), "PRICELINE_TABLES_ENDPOINT") {
		t.Errorf("no settings: %d %s", code, &errOut)
	}
}

// "handler ingest" refuses every table setting that serve refuses, with
// serve's words, before it builds a credential or touches any file.
func TestIngestRefusesTableSettingsServeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tables  map[string]string
		setting string
	}{
		{"neither", map[string]string{}, "PRICELINE_TABLES_ENDPOINT"},
		{"both", map[string]string{"PRICELINE_TABLES_CONNECTION_STRING": "UseDevelopmentStorage=true", "PRICELINE_TABLES_ENDPOINT": "https://a.table.core.windows.net"}, "PRICELINE_TABLES_CONNECTION_STRING"},
		{"http endpoint", map[string]string{"PRICELINE_TABLES_ENDPOINT": "http://a.table.core.windows.net"}, "PRICELINE_TABLES_ENDPOINT"},
		{"endpoint without host", map[string]string{"PRICELINE_TABLES_ENDPOINT": "https://"}, "PRICELINE_TABLES_ENDPOINT"},
		{"not a connection string", map[string]string{"PRICELINE_TABLES_CONNECTION_STRING": "nonsense"}, "PRICELINE_TABLES_CONNECTION_STRING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serveEnv := validEnv()
			delete(serveEnv, "PRICELINE_TABLES_CONNECTION_STRING")
			maps.Copy(serveEnv, tc.tables)
			_, err := loadConfig(env(serveEnv), false)
			var se *settingError
			if !errors.As(err, &se) || se.Name != tc.setting {
				t.Fatalf("serve: %v, want a refusal naming %s", err, tc.setting)
			}
			var out, errOut bytes.Buffer
			code := ingestFiles(context.Background(), []string{"does-not-exist.csv"}, env(tc.tables), &out, &errOut, false)
			if code != 2 || errOut.String() != err.Error()+"\n" {
				t.Fatalf("ingest: exit %d, stderr %q; want 2 and serve's refusal %q", code, &errOut, err)
			}
		})
	}
}
