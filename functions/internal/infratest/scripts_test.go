package infratest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeTool writes an executable named name into a fresh directory. Each run
// appends its arguments to calls.log there and then runs script, which sees
// the run's number as $n. It returns the directory, to put first on PATH.
func fakeTool(t *testing.T, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	body := "#!/usr/bin/env bash\n" +
		"echo \"$*\" >>\"" + filepath.Join(dir, "calls.log") + "\"\n" +
		"n=$(wc -l <\"" + filepath.Join(dir, "calls.log") + "\")\n" +
		script + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// calls returns the argument lines the fake tool in dir was run with.
func calls(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "calls.log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// runBash runs a bash snippet from the repository root with fakeDir first
// on PATH and extra environment, and returns its exit code and stderr.
func runBash(t *testing.T, fakeDir, snippet string, env ...string) (int, string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		missingTool(t, "bash is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-c", snippet)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "PATH="+fakeDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("bash timed out: %s", stderr.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// zipDeploy sources infra/zip-deploy.sh as deploy.sh does and calls
// zip_deploy with no delays between attempts.
func zipDeploy(t *testing.T, fakeDir string, env ...string) (int, string) {
	env = append([]string{"DEPLOY_RETRY_FIRST_DELAY=0", "DEPLOY_RETRY_MAX_DELAY=0"}, env...)
	return runBash(t, fakeDir, "set -euo pipefail; . infra/zip-deploy.sh; zip_deploy rg-x app-x /tmp/app.zip", env...)
}

const blobUploadFailure = `echo "ERROR: Deployment failed: BlobUploadFailedException: Failed to upload blob to storage account: ` +
	`Response status code does not indicate success: 403 (AuthorizationPermissionMismatch)." >&2; exit 1`

func TestZipDeployRetriesUntilTheRoleAssignmentTakesEffect(t *testing.T) {
	dir := fakeTool(t, "az", `if [ "$n" -le 2 ]; then `+blobUploadFailure+`; fi; exit 0`)
	code, stderr := zipDeploy(t, dir)
	if code != 0 {
		t.Fatalf("zip_deploy exit %d, want 0:\n%s", code, stderr)
	}
	got := calls(t, dir)
	if len(got) != 3 {
		t.Fatalf("az ran %d times, want 3 (two 403s, then success): %v", len(got), got)
	}
	for _, c := range got {
		if c != "functionapp deployment source config-zip --resource-group rg-x --name app-x --src /tmp/app.zip -o none" {
			t.Errorf("az %s", c)
		}
	}
	if !strings.Contains(stderr, "waiting for the Storage Blob Data Owner role") {
		t.Errorf("zip_deploy does not say what it is waiting for:\n%s", stderr)
	}
}

func TestZipDeployGivesUpAfterItsBound(t *testing.T) {
	dir := fakeTool(t, "az", blobUploadFailure)
	code, stderr := zipDeploy(t, dir, "DEPLOY_RETRY_ATTEMPTS=4")
	if code == 0 {
		t.Fatal("zip_deploy succeeded against an az that always fails")
	}
	if n := len(calls(t, dir)); n != 4 {
		t.Errorf("az ran %d times, want 4 (DEPLOY_RETRY_ATTEMPTS)", n)
	}
	if !strings.Contains(stderr, "gave up after 4 attempts") || !strings.Contains(stderr, "run make deploy again") {
		t.Errorf("zip_deploy does not say it gave up and what to do:\n%s", stderr)
	}

	// The time bound holds too: a 1 s first delay does not fit in 1 s.
	dir = fakeTool(t, "az", blobUploadFailure)
	start := time.Now()
	code, _ = runBash(t, dir, "set -euo pipefail; . infra/zip-deploy.sh; zip_deploy rg-x app-x /tmp/app.zip",
		"DEPLOY_RETRY_SECONDS=1", "DEPLOY_RETRY_FIRST_DELAY=2")
	if code == 0 || len(calls(t, dir)) != 1 || time.Since(start) > 10*time.Second {
		t.Errorf("with DEPLOY_RETRY_SECONDS=1: exit %d after %d calls in %s, want a failure after 1 call", code, len(calls(t, dir)), time.Since(start))
	}
}

func TestZipDeployDoesNotRetryOtherFailures(t *testing.T) {
	dir := fakeTool(t, "az", `echo "ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/app-x' was not found." >&2; exit 3`)
	code, stderr := zipDeploy(t, dir)
	if code != 3 {
		t.Errorf("zip_deploy exit %d, want az's 3", code)
	}
	if n := len(calls(t, dir)); n != 1 {
		t.Errorf("az ran %d times, want 1", n)
	}
	if !strings.Contains(stderr, "not retrying") {
		t.Errorf("zip_deploy does not say why it stopped:\n%s", stderr)
	}
}

func TestDeployScriptUsesTheRetryingZipDeploy(t *testing.T) {
	script := readFile(t, "infra/deploy.sh")
	if !strings.Contains(script, ". infra/zip-deploy.sh") || !strings.Contains(script, `zip_deploy "$rg" "$app" "$zip"`) {
		t.Error("infra/deploy.sh must source infra/zip-deploy.sh and deploy with zip_deploy")
	}
	if strings.Count(script, "deployment source config-zip") != 0 {
		t.Error("infra/deploy.sh calls config-zip directly, bypassing the retry")
	}
}

// azdPreflight runs infra/azd-preflight.sh with a fake azd whose
// `config get KEY` prints stored[KEY] or fails as azd does for a missing key.
func azdPreflight(t *testing.T, stored map[string]string, env ...string) (int, string, string) {
	t.Helper()
	var cases strings.Builder
	for k, v := range stored {
		cases.WriteString("  \"config get " + k + "\") echo " + strconv.Quote(strconv.Quote(v)) + "; exit 0 ;;\n")
	}
	dir := fakeTool(t, "azd", "case \"$*\" in\n"+cases.String()+
		"  \"config get \"*) echo \"ERROR: no value stored at path '${3}'\" >&2; exit 1 ;;\nesac\nexit 2")
	// Blank the CI switches first, so a caller's value (later) wins.
	env = append([]string{"AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM=", "AZD_ALPHA_ENABLE_ALL="}, env...)
	code, stderr := runBash(t, dir, "bash infra/azd-preflight.sh", env...)
	return code, stderr, dir
}

func TestAzdPreflightNamesTheAlphaSettingWhenItIsOff(t *testing.T) {
	for name, stored := range map[string]map[string]string{
		"unset":      {},
		"turned off": {"alpha.language.custom": "off"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr, _ := azdPreflight(t, stored)
			if code == 0 {
				t.Fatal("azd-preflight.sh passed with alpha.language.custom off")
			}
			if !strings.Contains(stderr, "azd config set alpha.language.custom on") {
				t.Errorf("the message does not give the command that fixes it:\n%s", stderr)
			}
		})
	}
}

func TestAzdPreflightPassesWhenTheAlphaFeatureIsOn(t *testing.T) {
	for name, stored := range map[string]map[string]string{
		"alpha.language.custom": {"alpha.language.custom": "on"},
		"alpha.all":             {"alpha.all": "on"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr, dir := azdPreflight(t, stored)
			if code != 0 {
				t.Fatalf("azd-preflight.sh exit %d with %s on:\n%s", code, name, stderr)
			}
			if len(calls(t, dir)) == 0 {
				t.Error("azd-preflight.sh did not ask azd")
			}
		})
	}
	if code, stderr, _ := azdPreflight(t, map[string]string{}, "AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM=true"); code != 0 {
		t.Errorf("azd-preflight.sh ignores AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM=true:\n%s", stderr)
	}
}

func TestAzureYamlRunsThePreflightBeforeProvisioningAndPackaging(t *testing.T) {
	y := readFile(t, "azure.yaml")
	for _, want := range []string{
		"run: bash ./infra/azd-preflight.sh && make app",
		"run: bash ./infra/azd-preflight.sh && bash ./infra/signing-key.sh azd-preprovision",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("azure.yaml: want %q", want)
		}
	}
}
