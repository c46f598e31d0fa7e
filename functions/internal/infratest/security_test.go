package infratest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestASVS_V12_1_1_OnlyTLS12OrLaterAccepted(t *testing.T) {
	app := oneResource(t, "Microsoft.Web/sites")
	wantProperty(t, app, "httpsOnly", "true")
	wantProperty(t, app, "minTlsVersion", "'1.2'")
	wantProperty(t, app, "scmMinTlsVersion", "'1.2'")
	st := oneResource(t, "Microsoft.Storage/storageAccounts")
	wantProperty(t, st, "minimumTlsVersion", "'TLS1_2'")
	wantProperty(t, st, "supportsHttpsTrafficOnly", "true")
}

func TestFunctionAppSCMPublishingPasswordsOff(t *testing.T) {
	// Only the SCM policy: Flex has no FTP endpoint (see flex_test.go).
	found := false
	for _, r := range resources(t, bicepFiles(t), "Microsoft.Web/sites/basicPublishingCredentialsPolicies") {
		names := property(r.Body, "name")
		allow := property(r.Body, "allow")
		if len(names) == 1 && names[0] == "'scm'" && len(allow) == 1 && allow[0] == "false" {
			found = true
		}
	}
	if !found {
		t.Error("no basicPublishingCredentialsPolicies 'scm' with allow: false")
	}
}

func TestFunctionAppRunsTheCustomHandlerStack(t *testing.T) {
	app := oneResource(t, "Microsoft.Web/sites")
	wantProperty(t, app, "kind", "'functionapp,linux'")
	if !regexp.MustCompile(`identity:\s*\{\s*type:\s*'SystemAssigned'\s*\}`).MatchString(app.Body) {
		t.Error("function app: want identity { type: 'SystemAssigned' }")
	}
	// functionAppConfig.runtime replaces FUNCTIONS_WORKER_RUNTIME on Flex.
	if !regexp.MustCompile(`runtime:\s*\{\s*name:\s*'custom'\s+version:\s*'1\.0'\s*\}`).MatchString(app.Body) {
		t.Error("function app: want functionAppConfig.runtime { name: 'custom', version: '1.0' }")
	}
	if !regexp.MustCompile(`authentication:\s*\{\s*type:\s*'SystemAssignedIdentity'\s*\}`).MatchString(app.Body) {
		t.Error("function app: the deployment container must be read with the system-assigned identity")
	}
	plan := oneResource(t, "Microsoft.Web/serverfarms")
	if !regexp.MustCompile(`sku:\s*\{\s*tier:\s*'FlexConsumption'\s+name:\s*'FC1'\s*\}`).MatchString(plan.Body) {
		t.Error("plan: want sku { tier: 'FlexConsumption', name: 'FC1' }")
	}
	wantProperty(t, plan, "reserved", "true")

	set, _ := appSettings(t)
	if !set["AzureWebJobsStorage__accountName"] {
		t.Error("appSettings: want identity-based AzureWebJobsStorage__accountName")
	}
	if set["AzureWebJobsStorage"] {
		t.Error("appSettings sets AzureWebJobsStorage, a connection string with a key; use AzureWebJobsStorage__accountName")
	}
}

func TestKeyVaultUsesRBACWithSoftDeleteAndPurgeProtection(t *testing.T) {
	kv := oneResource(t, "Microsoft.KeyVault/vaults")
	wantProperty(t, kv, "enableRbacAuthorization", "true")
	wantProperty(t, kv, "enableSoftDelete", "true")
	wantProperty(t, kv, "enablePurgeProtection", "true")
	if len(property(kv.Body, "accessPolicies")) != 0 {
		t.Error("Key Vault: access policies are set; access must be by RBAC only")
	}
}

func TestASVS_V13_2_1_StorageRefusesSharedKeys(t *testing.T) {
	st := oneResource(t, "Microsoft.Storage/storageAccounts")
	wantProperty(t, st, "allowSharedKeyAccess", "false")
	wantProperty(t, st, "allowBlobPublicAccess", "false")
	wantProperty(t, st, "defaultToOAuthAuthentication", "true")
}

func TestASVS_V13_3_1_AppSettingsHoldNoSecretValues(t *testing.T) {
	forbidden := regexp.MustCompile(`(?i)listKeys\(|listConnectionStrings|listSecrets|AccountKey=|SharedAccessSignature|DefaultEndpointsProtocol|SharedAccessKey|\.primaryKey|InstrumentationKey=`)
	for _, f := range bicepFiles(t) {
		if m := forbidden.FindString(f.Code); m != "" {
			t.Errorf("%s contains %q: a key or connection string would end up in the deployment", f.Rel, m)
		}
	}
	set, body := appSettings(t)
	secretish := regexp.MustCompile(`(?i)(KEY|SECRET|PASSWORD|TOKEN|CONNECTION_STRING)$`)
	for name := range set {
		if name == "APPLICATIONINSIGHTS_CONNECTION_STRING" {
			// An ingestion address, not a credential, once local auth is
			// off (asserted below).
			continue
		}
		if secretish.MatchString(name) {
			t.Errorf("appSettings sets %s, whose name says it holds a secret", name)
		}
	}
	ai := oneResource(t, "Microsoft.Insights/components")
	wantProperty(t, ai, "DisableLocalAuth", "true")
	if got := property(body, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"); len(got) != 1 || got[0] != "'Authorization=AAD'" {
		t.Errorf("APPLICATIONINSIGHTS_AUTHENTICATION_STRING = %v, want 'Authorization=AAD'", got)
	}
	// No @secure() parameter may flow into an app setting.
	for _, f := range bicepFiles(t) {
		if f.Rel != "infra/main.bicep" {
			continue
		}
		for _, m := range regexp.MustCompile(`@secure\(\)\s*(?:@\w+\([^)]*\)\s*)*param\s+(\w+)`).FindAllStringSubmatch(f.Code, -1) {
			if regexp.MustCompile(`\b` + m[1] + `\b`).MatchString(body) {
				t.Errorf("appSettings uses the secure parameter %s", m[1])
			}
		}
	}
}

func TestASVS_V11_5_1_SigningKeyComesFromACSPRNG(t *testing.T) {
	// Bicep has no CSPRNG; its GUID-based bootstrap value is tagged and
	// replaced by the deploy scripts with openssl output.
	secret := oneResource(t, "Microsoft.KeyVault/vaults/secrets")
	if !strings.Contains(secret.Body, "origin: 'bicep-bootstrap'") {
		t.Error("the Bicep-created signing secret must be tagged origin: 'bicep-bootstrap' so the scripts replace it")
	}
	kv := readFile(t, "infra/modules/keyvault.bicep")
	if !regexp.MustCompile(`resource\s+signingSecret\s+'[^']+'\s*=\s*if\s*\(createSigningSecret\)`).MatchString(kv) {
		t.Error("the signing secret must be created only when createSigningSecret is true, or every deployment adds a version")
	}
	script := readFile(t, "infra/signing-key.sh")
	m := regexp.MustCompile(`openssl rand -base64 (\d+)`).FindStringSubmatch(script)
	if m == nil {
		t.Error("infra/signing-key.sh must generate keys with `openssl rand -base64 N`")
	} else if n, _ := strconv.Atoi(m[1]); n < 32 {
		t.Errorf("infra/signing-key.sh generates %d-byte keys; the app requires at least 32", n)
	}
	if !strings.Contains(script, `"bicep-bootstrap"`) {
		t.Error("infra/signing-key.sh does not look for the bicep-bootstrap tag")
	}
	if !strings.Contains(readFile(t, "infra/deploy.sh"), "infra/signing-key.sh replace-bootstrap") {
		t.Error("infra/deploy.sh does not replace the bootstrap signing key")
	}
	if !strings.Contains(readFile(t, "azure.yaml"), "signing-key.sh replace-bootstrap") {
		t.Error("azure.yaml has no postprovision hook replacing the bootstrap signing key")
	}
}
