package infratest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// missingTool skips the test loudly, or fails it when CI=true, because CI
// must not pass a check it did not run.
func missingTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf("SKIPPING: "+format+" (with CI=true this fails)", args...)
}

func TestEveryBicepFileParses(t *testing.T) {
	root := repoRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(root, "infra", "check", "node_modules", "tree-sitter-bicep", "tree-sitter-bicep.wasm")); err != nil {
		missingTool(t, "the Bicep grammar is not installed; run `cd infra/check && npm ci --ignore-scripts`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("infra", "check", "parse-bicep.mjs"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("Bicep files do not parse: %v\n%s", err, out)
	}
	if n := len(bicepFiles(t)); !bytes.Contains(out, []byte("Bicep files parse")) || bytes.Count(out, []byte("ok ")) != n {
		t.Fatalf("parser output does not account for the %d Bicep files:\n%s", n, out)
	}
}

func TestModulesAreLocalFilesThatExist(t *testing.T) {
	root := repoRoot(t)
	decl := regexp.MustCompile(`(?m)^\s*module\s+\w+\s+'([^']+)'`)
	count := 0
	for _, f := range bicepFiles(t) {
		for _, m := range decl.FindAllStringSubmatch(f.Code, -1) {
			count++
			ref := m[1]
			if strings.Contains(ref, ":") {
				t.Errorf("%s: module %q is registry-hosted (br:, br/, ts:); they cannot be fetched here", f.Rel, ref)
				continue
			}
			p := path.Join(path.Dir(f.Rel), ref)
			if strings.HasPrefix(p, "../") || !strings.HasPrefix(p, "infra/") {
				t.Errorf("%s: module %q resolves outside infra/", f.Rel, ref)
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s: module %q: %v", f.Rel, ref, err)
			}
		}
	}
	if count == 0 {
		t.Error("no modules found; the pattern no longer matches infra/main.bicep")
	}
}

func TestParametersFileMatchesMainBicep(t *testing.T) {
	var pf struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "infra/main.parameters.json")), &pf); err != nil {
		t.Fatalf("infra/main.parameters.json: %v", err)
	}
	main := bicep(t, "infra/main.bicep").Code
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^param\s+(\w+)\s+\w+(\s*=)?`).FindAllStringSubmatch(main, -1) {
		declared[m[1]] = true
		if m[2] == "" && pf.Parameters[m[1]] == nil {
			t.Errorf("infra/main.bicep parameter %s has no default and is missing from main.parameters.json", m[1])
		}
	}
	for name := range pf.Parameters {
		if !declared[name] {
			t.Errorf("infra/main.parameters.json sets %s, which infra/main.bicep does not declare", name)
		}
	}
	for _, secret := range []string{"signingSecretBootstrap"} {
		if pf.Parameters[secret] != nil {
			t.Errorf("infra/main.parameters.json must not set %s", secret)
		}
	}
}

func TestOutputsNameTheAppURLAndTheVaultURI(t *testing.T) {
	main := bicep(t, "infra/main.bicep").Code
	outputs := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^output\s+(\w+)\s`).FindAllStringSubmatch(main, -1) {
		outputs[m[1]] = true
	}
	for _, want := range []string{"APP_URL", "KEY_VAULT_URI"} {
		if !outputs[want] {
			t.Errorf("infra/main.bicep has no output %s", want)
		}
	}
	// Every output the scripts read must exist.
	for _, rel := range []string{"infra/deploy.sh"} {
		for _, m := range regexp.MustCompile(`\boutput ([A-Z_]+)\b`).FindAllStringSubmatch(readFile(t, rel), -1) {
			if !outputs[m[1]] {
				t.Errorf("%s reads output %s, which infra/main.bicep does not declare", rel, m[1])
			}
		}
	}
}

func TestAzureYamlDeploysTheStagedApp(t *testing.T) {
	y := readFile(t, "azure.yaml")
	for _, want := range []string{
		"host: function",
		"language: custom",
		"dist: dist/functionapp",
		"&& make app",
		"path: infra",
		"module: main",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("azure.yaml: want %q", want)
		}
	}
	m := regexp.MustCompile(`(?m)^services:\s*\n\s+(\w+):`).FindStringSubmatch(y)
	if m == nil {
		t.Fatal("azure.yaml: no service")
	}
	if !strings.Contains(bicep(t, "infra/main.bicep").Code, "serviceName: '"+m[1]+"'") {
		t.Errorf("azure.yaml service %q is not the azd-service-name main.bicep tags the app with", m[1])
	}
}

func TestShellScriptsParse(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		missingTool(t, "bash is not installed")
	}
	root := repoRoot(t)
	for _, rel := range []string{"infra/deploy.sh", "infra/signing-key.sh", "infra/azd-preflight.sh"} {
		p := filepath.Join(root, filepath.FromSlash(rel))
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", rel)
		}
		if out, err := exec.Command(bash, "-n", p).CombinedOutput(); err != nil {
			t.Errorf("%s does not parse: %v\n%s", rel, err, out)
		}
		if !strings.Contains(readFile(t, rel), "set -euo pipefail") {
			t.Errorf("%s: want `set -euo pipefail`", rel)
		}
	}
}
