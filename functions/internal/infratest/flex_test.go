package infratest

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Flex Consumption takes fewer site properties and app settings than the
// other plans. Microsoft lists them under "Flex Consumption plan
// deprecations" in the app settings reference
// (https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations);
// ARM refuses some outright (ftpsState: error 51021, "FtpsState for Flex
// Consumption sites is invalid") and ignores or overwrites the rest. The
// lists below are what these tests keep out of infra/; docs/deploy.md says
// where each comes from.

// flexSiteConfigReviewed is every siteConfig property the templates may set:
// each was checked against the deprecation list. A new one fails
// TestFlexSiteConfigSetsOnlyReviewedProperties until someone checks it too.
var flexSiteConfigReviewed = map[string]string{
	"appSettings":      "app settings (their names are checked separately)",
	"minTlsVersion":    "TLS floor for the site (ASVS V12.1.1)",
	"scmMinTlsVersion": "TLS floor for the SCM site that Flex's publish uses",
	"http20Enabled":    "HTTP/2 on the front end",
	"cors":             "allowed origins, answered by the platform front end",
}

// flexDeprecatedSiteProperties are site and siteConfig properties the Flex
// deprecation list names (runtime, scale and content settings that moved to
// functionAppConfig or do not exist on Flex), plus ftpsState, which ARM
// refuses. They must not appear anywhere in infra/.
var flexDeprecatedSiteProperties = []string{
	"ftpsState",
	"alwaysOn",
	"linuxFxVersion",
	"windowsFxVersion",
	"netFrameworkVersion",
	"javaVersion",
	"javaContainer",
	"javaContainerVersion",
	"powerShellVersion",
	"nodeVersion",
	"pythonVersion",
	"use32BitWorkerProcess",
	"functionAppScaleLimit",
	"functionsRuntimeScaleMonitoringEnabled",
	"preWarmedInstanceCount",
	"minimumElasticInstanceCount",
	"scmType",
	"publishingUsername",
	"containerSize",
	"dailyMemoryTimeQuota",
}

// flexDeprecatedAppSettings are app settings Flex Consumption replaces
// (functionAppConfig.runtime, .scaleAndConcurrency, .deployment), ignores,
// or does not support. Compared case-insensitively, as Azure compares
// setting names.
var flexDeprecatedAppSettings = []string{
	"FUNCTIONS_WORKER_RUNTIME",
	"FUNCTIONS_WORKER_RUNTIME_VERSION",
	"FUNCTIONS_EXTENSION_VERSION",
	"FUNCTIONS_MAX_HTTP_CONCURRENCY",
	"FUNCTIONS_WORKER_PROCESS_COUNT",
	"FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
	"SCM_DO_BUILD_DURING_DEPLOYMENT",
	"ENABLE_ORYX_BUILD",
	"WEBSITE_RUN_FROM_PACKAGE",
	"WEBSITE_CONTENTSHARE",
	"WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
	"WEBSITE_CONTENTOVERVNET",
	"WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
	"WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
	"WEBSITE_NODE_DEFAULT_VERSION",
	"WEBSITE_DNS_SERVER",
	"WEBSITE_VNET_ROUTE_ALL",
	"WEBSITE_MOUNT_ENABLED",
	"WEBSITE_TIME_ZONE",
	"TZ",
	"WEBSITES_CONTAINER_START_TIME_LIMIT",
	"WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED",
}

// topLevelKeys lists the `name:` keys at the outermost level of a Bicep
// object body, skipping nested objects, arrays and strings.
func topLevelKeys(body string) []string {
	var keys []string
	depth := 0
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if depth == 0 {
			if m := regexp.MustCompile(`^'?([A-Za-z_][A-Za-z0-9_]*)'?\s*:`).FindStringSubmatch(trimmed); m != nil {
				keys = append(keys, m[1])
			}
		}
		inString := false
		for i := 0; i < len(trimmed); i++ {
			switch c := trimmed[i]; {
			case inString:
				if c == '\\' {
					i++
				} else if c == '\'' {
					inString = false
				}
			case c == '\'':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
			}
		}
	}
	return keys
}

func TestTopLevelKeysSkipsNestedObjects(t *testing.T) {
	got := topLevelKeys("a: 1\nb: {\n  c: 'x: {'\n}\nd: [\n  {\n    e: 2\n  }\n]\nf: true\n")
	if strings.Join(got, ",") != "a,b,d,f" {
		t.Errorf("topLevelKeys = %v, want [a b d f]", got)
	}
}

func TestFlexSiteConfigSetsOnlyReviewedProperties(t *testing.T) {
	app := oneResource(t, "Microsoft.Web/sites")
	loc := regexp.MustCompile(`\bsiteConfig\s*:`).FindStringIndex(app.Body)
	if loc == nil {
		t.Fatal("function app: no siteConfig")
	}
	body, ok := block(app.Body, loc[1])
	if !ok {
		t.Fatal("function app: siteConfig block is not closed")
	}
	keys := topLevelKeys(body)
	if len(keys) == 0 {
		t.Fatal("siteConfig: no properties found; the parser no longer matches the template")
	}
	for _, k := range keys {
		if flexSiteConfigReviewed[k] == "" {
			t.Errorf("siteConfig.%s has not been checked against the Flex Consumption deprecation list; "+
				"check it, then add it to flexSiteConfigReviewed with the reason", k)
		}
	}
}

func TestFlexTemplatesUseNoDeprecatedSiteProperty(t *testing.T) {
	for _, f := range bicepFiles(t) {
		for _, p := range flexDeprecatedSiteProperties {
			if regexp.MustCompile(`(?m)^\s*'?` + p + `'?\s*:`).MatchString(f.Code) {
				t.Errorf("%s sets %s, which Flex Consumption does not support (see flex_test.go)", f.Rel, p)
			}
		}
	}
	// Flex has no FTP endpoint, so no FTP publishing-credentials policy
	// either: only 'scm' is left to turn off.
	for _, r := range resources(t, bicepFiles(t), "Microsoft.Web/sites/basicPublishingCredentialsPolicies") {
		if names := property(r.Body, "name"); len(names) != 1 || names[0] != "'scm'" {
			t.Errorf("%s: basicPublishingCredentialsPolicies %v: only 'scm' applies to a Flex Consumption app", r.File, names)
		}
	}
}

func TestFlexTemplatesSetNoDeprecatedAppSetting(t *testing.T) {
	set, _ := appSettings(t)
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, bad := range flexDeprecatedAppSettings {
			if strings.EqualFold(n, bad) {
				t.Errorf("infra/main.bicep appSettings sets %s, which Flex Consumption does not support (see flex_test.go)", n)
			}
		}
	}
	// Also anywhere else in infra/ (a sites/config resource, a module's own
	// settings), as a name in a string or as an object key.
	for _, f := range bicepFiles(t) {
		for _, bad := range flexDeprecatedAppSettings {
			if regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])'?` + bad + `'?\s*:|'` + bad + `'`).MatchString(f.Code) {
				t.Errorf("%s names the app setting %s, which Flex Consumption does not support", f.Rel, bad)
			}
		}
	}
}
