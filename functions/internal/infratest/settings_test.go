package infratest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// localOnly are settings for a developer's machine. They carry a secret or a
// shared key, or (PRICELINE_DEV_MAIL_DIR) put live single-use links on disk,
// so the Bicep must never set or even name them.
var localOnly = []string{
	"PRICELINE_DEV_SIGNING_KEY",
	"PRICELINE_DEV_MAIL_DIR",
	"PRICELINE_DEV_MFA_KEY",
	"PRICELINE_TABLES_CONNECTION_STRING",
	"PRICELINE_B2C_CLIENT_SECRET",
}

// notAppSettings are settings the Go config reads that Azure provides some
// other way, with the reason; the Bicep must not set them as app settings.
var notAppSettings = map[string]string{
	"FUNCTIONS_CUSTOMHANDLER_PORT": "the Functions host picks the port at each start",
	"FUNCTIONS_WORKER_RUNTIME":     "Flex Consumption sets it from functionAppConfig.runtime (see TestFunctionAppRunsTheCustomHandlerStack)",
	"AZURE_CLIENT_ID":              "it selects a user-assigned identity; the app uses its system-assigned one",
}

// configSettingNames reads the string literals of the settingNames variable
// from functions/cmd/handler/config.go, so this test follows the code.
func configSettingNames(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "functions", "cmd", "handler", "config.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse config.go: %v", err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, id := range vs.Names {
			if id.Name != "settingNames" || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.CompositeLit)
			if !ok {
				t.Fatalf("config.go: settingNames is not a composite literal")
			}
			for _, e := range lit.Elts {
				bl, ok := e.(*ast.BasicLit)
				if !ok || bl.Kind != token.STRING {
					t.Fatalf("config.go: settingNames holds a non-literal element")
				}
				s, err := strconv.Unquote(bl.Value)
				if err != nil {
					t.Fatalf("config.go: %v", err)
				}
				names = append(names, s)
			}
		}
		return false
	})
	if len(names) == 0 {
		t.Fatal("config.go: settingNames not found or empty")
	}
	return names
}

func TestBicepSetsEverySettingTheConfigReads(t *testing.T) {
	set, _ := appSettings(t)
	local := map[string]bool{}
	for _, n := range localOnly {
		local[n] = true
	}
	for _, name := range configSettingNames(t) {
		switch {
		case local[name]:
			// TestBicepNeverNamesLocalOnlySettings covers these.
		case notAppSettings[name] != "":
			if set[name] {
				t.Errorf("infra/main.bicep sets %s, which it must not: %s", name, notAppSettings[name])
			}
		case !set[name]:
			t.Errorf("functions/cmd/handler/config.go reads %s but infra/main.bicep's appSettings does not set it", name)
		}
	}
}

func TestBicepNeverNamesLocalOnlySettings(t *testing.T) {
	for _, f := range bicepFiles(t) {
		for _, name := range localOnly {
			if regexp.MustCompile(`\b` + name + `\b`).MatchString(f.Code) {
				t.Errorf("%s names the local-only setting %s", f.Rel, name)
			}
		}
	}
}

func TestBicepSetsTheB2CSettingsAsOptionalParameters(t *testing.T) {
	set, body := appSettings(t)
	main := bicep(t, "infra/main.bicep").Code
	for setting, param := range map[string]string{
		"PRICELINE_B2C_AUTHORITY":          "b2cAuthority",
		"PRICELINE_B2C_CLIENT_ID":          "b2cClientId",
		"PRICELINE_B2C_CLIENT_SECRET_NAME": "b2cClientSecretName",
		"PRICELINE_B2C_RESET_POLICY":       "b2cResetPolicy",
		"PRICELINE_B2C_EDIT_POLICY":        "b2cEditPolicy",
		"PRICELINE_B2C_API_SCOPES":         "b2cApiScopes",
		"PRICELINE_SESSION_CACHE_TTL":      "sessionCacheTtl",
		"PRICELINE_MFA_SECRET_NAME":        "mfaSecretName",
	} {
		if !set[setting] {
			t.Errorf("appSettings does not set %s", setting)
			continue
		}
		if got := property(body, setting); len(got) != 1 || got[0] != param {
			t.Errorf("appSettings sets %s to %v, want the parameter %s", setting, got, param)
		}
		if !regexp.MustCompile(`(?m)^param\s+` + param + `\s+string\s*=\s*''`).MatchString(main) {
			t.Errorf("infra/main.bicep: want `param %s string = ''` (empty means not configured)", param)
		}
	}
}

func TestAppSettingsPointAtResourcesByEndpoint(t *testing.T) {
	_, body := appSettings(t)
	for setting, want := range map[string]string{
		"AzureWebJobsStorage__accountName": "storage.outputs.name",
		"PRICELINE_TABLES_ENDPOINT":        "storage.outputs.tableEndpoint",
		"PRICELINE_KEYVAULT_URL":           "keyVault.outputs.uri",
		"PRICELINE_SIGNING_SECRET_NAME":    "signingSecretName",
		"PRICELINE_TRUST_FORWARDED_FOR":    "'true'",
		"PRICELINE_TRUSTED_PROXY_HOPS":     "trustedProxyHops",
	} {
		if got := property(body, setting); len(got) != 1 || got[0] != want {
			t.Errorf("appSettings %s = %v, want %s", setting, got, want)
		}
	}
	main := bicep(t, "infra/main.bicep").Code
	if !strings.Contains(main, "param signingSecretName string = 'session-signing-key'") {
		t.Error("infra/main.bicep: signingSecretName should default to the app's default, session-signing-key")
	}
}

func TestTablesMatchTheAppsTables(t *testing.T) {
	// Every *Table constant in the adapter's source names a table the app
	// creates (EnsureTables), so the Bicep must create each one too.
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "functions", "tablestorage", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var appTables []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasSuffix(id.Name, "Table") || i >= len(vs.Values) {
						continue
					}
					if bl, ok := vs.Values[i].(*ast.BasicLit); ok && bl.Kind == token.STRING {
						v, _ := strconv.Unquote(bl.Value)
						appTables = append(appTables, v)
					}
				}
			}
		}
	}
	if len(appTables) == 0 {
		t.Fatal("no *Table constants in functions/tablestorage")
	}
	main := bicep(t, "infra/main.bicep").Code
	loc := regexp.MustCompile(`param\s+tableNames\s+array\s*=\s*\[`).FindStringIndex(main)
	if loc == nil {
		t.Fatal("infra/main.bicep: no `param tableNames array = [...]`")
	}
	end := strings.IndexByte(main[loc[1]:], ']')
	var bicepTables []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(main[loc[1]:loc[1]+end], -1) {
		bicepTables = append(bicepTables, m[1])
	}
	sort.Strings(appTables)
	for _, name := range appTables {
		found := false
		for _, b := range bicepTables {
			found = found || b == name
		}
		if !found {
			t.Errorf("the app uses table %q but infra/main.bicep's tableNames %v does not create it", name, bicepTables)
		}
	}
}
