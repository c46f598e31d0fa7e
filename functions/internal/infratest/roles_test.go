package infratest

import (
	"regexp"
	"strings"
	"testing"
)

// neededRoles are the built-in roles the app's identity must hold, by role
// definition ID, with what needs each.
var neededRoles = map[string]string{
	"0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor: functions/tablestorage reads and writes the tables",
	"b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner: the Functions host's identity-based AzureWebJobsStorage and the Flex deployment container",
	"4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User: functions/keyvault lists and reads signing-key versions",
	"3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher: the host sends telemetry with Entra ID (local auth is off)",
	"09976791-48a7-449e-bb21-39d1a415f350": "Communication and Email Service Owner: functions/acsmail sends email with Entra ID (the built-in role Microsoft documents for it)",
}

// deployerRoles are the only roles the deploying principal is given.
var deployerRoles = map[string]string{
	"b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer: the deploy scripts replace and rotate the signing key",
}

var guidVar = regexp.MustCompile(`(?m)^\s*var\s+(\w+)\s*=\s*'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'`)

func TestBicepAssignsEveryRoleTheAppNeeds(t *testing.T) {
	files := bicepFiles(t)
	// Role IDs are literals or variables holding literals.
	vars := map[string]string{}
	for _, f := range files {
		for _, m := range guidVar.FindAllStringSubmatch(f.Code, -1) {
			vars[m[1]] = m[2]
		}
	}
	assignedToApp := map[string]bool{}
	for _, r := range resources(t, files, "Microsoft.Authorization/roleAssignments") {
		principal := property(r.Body, "principalId")
		defs := property(r.Body, "roleDefinitionId")
		if len(principal) != 1 || len(defs) != 1 {
			t.Errorf("%s: role assignment %s needs one principalId and one roleDefinitionId", r.File, r.Symbol)
			continue
		}
		if principal[0] != "appPrincipalId" {
			continue
		}
		if got := property(r.Body, "principalType"); len(got) != 1 || got[0] != "'ServicePrincipal'" {
			t.Errorf("%s: %s: principalType %v, want 'ServicePrincipal' (avoids a directory lookup that races new identities)", r.File, r.Symbol, got)
		}
		for name, id := range vars {
			if regexp.MustCompile(`\b` + name + `\b`).MatchString(defs[0]) {
				assignedToApp[id] = true
			}
		}
		for _, id := range regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindAllString(defs[0], -1) {
			assignedToApp[id] = true
		}
	}
	for id, why := range neededRoles {
		if !assignedToApp[id] {
			t.Errorf("no role assignment gives the app %s (%s)", id, why)
		}
	}
	main := bicep(t, "infra/main.bicep").Code
	if !regexp.MustCompile(`appPrincipalId:\s*functionApp\.outputs\.principalId`).MatchString(main) {
		t.Error("infra/main.bicep does not pass the function app's identity to the roles module as appPrincipalId")
	}
}

// roleIDs returns the role definition IDs an assignment's roleDefinitionId
// expression names, directly or through a variable.
func roleIDs(expr string, vars map[string]string) []string {
	var ids []string
	for name, id := range vars {
		if regexp.MustCompile(`\b` + name + `\b`).MatchString(expr) {
			ids = append(ids, id)
		}
	}
	return append(ids, regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindAllString(expr, -1)...)
}

func TestASVS_V13_2_2_IdentitiesGetOnlyTheRolesTheyNeedOnOneResourceEach(t *testing.T) {
	files := bicepFiles(t)
	vars := map[string]string{}
	for _, f := range files {
		for _, m := range guidVar.FindAllStringSubmatch(f.Code, -1) {
			vars[m[1]] = m[2]
		}
	}
	// Symbols of the resources an assignment may be scoped to: one storage
	// account, one vault, one Application Insights component, one
	// Communication Services resource.
	allowedScopes := map[string]bool{}
	for _, r := range resources(t, files, "") {
		switch strings.ToLower(r.Type) {
		case "microsoft.storage/storageaccounts", "microsoft.keyvault/vaults", "microsoft.insights/components", "microsoft.communication/communicationservices":
			allowedScopes[r.Symbol] = true
		}
	}
	assignments := resources(t, files, "Microsoft.Authorization/roleAssignments")
	if len(assignments) == 0 {
		t.Fatal("no role assignments found")
	}
	for _, r := range assignments {
		scope := property(r.Body, "scope")
		if len(scope) != 1 || !allowedScopes[scope[0]] {
			t.Errorf("%s: %s is scoped to %v; want one storage account, vault, Application Insights component or Communication Services resource, not a resource group or subscription", r.File, r.Symbol, scope)
		}
		var allowed map[string]string
		switch principal := property(r.Body, "principalId"); {
		case len(principal) == 1 && principal[0] == "appPrincipalId":
			allowed = neededRoles
		case len(principal) == 1 && principal[0] == "deployerPrincipalId":
			allowed = deployerRoles
		default:
			t.Errorf("%s: %s is for principal %v, which is neither the app nor the deployer", r.File, r.Symbol, principal)
			continue
		}
		ids := roleIDs(strings.Join(property(r.Body, "roleDefinitionId"), " "), vars)
		if len(ids) != 1 {
			t.Errorf("%s: %s: want exactly one role definition ID, found %v", r.File, r.Symbol, ids)
			continue
		}
		if allowed[ids[0]] == "" {
			t.Errorf("%s: %s grants role %s, which that principal does not need", r.File, r.Symbol, ids[0])
		}
	}
}
