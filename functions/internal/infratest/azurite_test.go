package infratest

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
)

// Azurite collects usage telemetry unless told not to; local runs and tests
// must not send anything off the machine.
func TestAzuriteStartsWithTelemetryOffEverywhere(t *testing.T) {
	for _, dataDir := range []string{"", "/tmp/azurite-data"} {
		if args := azurite.Args(10002, dataDir); !slices.Contains(args, "--disableTelemetry") {
			t.Errorf("azurite.Args(%q) = %v, want --disableTelemetry", dataDir, args)
		}
	}
	run := readFile(t, "infra/local/run.sh")
	starts := regexp.MustCompile(`azurite-table\b[^\n\\]*(\\\n[^\n\\]*)*`).FindAllString(run, -1)
	if len(starts) == 0 {
		t.Fatal("infra/local/run.sh no longer starts azurite-table; update this test")
	}
	for _, s := range starts {
		if !regexp.MustCompile(`--disableTelemetry\b`).MatchString(s) {
			t.Errorf("infra/local/run.sh starts Azurite without --disableTelemetry:\n%s", s)
		}
	}

	// The flag must exist in the Azurite the lockfile installs, or Azurite
	// would refuse to start.
	bin, err := azurite.Binary()
	if err != nil {
		missingTool(t, "Azurite is not installed (%v); run `make azurite`", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", bin, err, out)
	}
	if !regexp.MustCompile(`--disableTelemetry\b`).Match(out) {
		t.Errorf("the installed azurite-table does not list --disableTelemetry:\n%s", out)
	}
}
