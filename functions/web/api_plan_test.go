package web

import (
	"net/http"
	"testing"
)

// Plan details kept on the account: per user, checked with the estimate's
// rules, and remembered by the estimates saved with them.
func TestPlan_KeptPerUserAndRememberedBySavedEstimates(t *testing.T) {
	e, h := savedEnv(t)
	pat, sam := e.signedIn("plan-pat@example.com"), e.signedIn("plan-sam@example.com")
	r := servePrice(t, h, "PUT", "/api/me/plan", `{"deductibleRemaining":"$1,500","coinsurancePercent":"20 %","copay":"25","oopMaxRemaining":""}`, pat, pat.CSRF)
	want := map[string]any{"deductibleRemaining": "1500", "coinsurancePercent": "20", "copay": "25", "oopMaxRemaining": ""}
	if r.Status != http.StatusOK || !sameJSON(r.JSON["plan"], want) {
		t.Fatalf("PUT /api/me/plan = %d %s; want the canonical plan %v", r.Status, r.Body, want)
	}
	if got := servePrice(t, h, "GET", "/api/me/plan", "", pat, ""); !sameJSON(got.JSON["plan"], want) || got.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET /api/me/plan = %s (%s); want %v, no-store", got.Body, got.Header.Get("Cache-Control"), want)
	}
	if got := servePrice(t, h, "GET", "/api/me/plan", "", sam, ""); got.JSON["plan"].(map[string]any)["copay"] != "" {
		t.Errorf("sam sees pat's plan: %s", got.Body)
	}
	for body, code := range map[string]string{
		`{"deductibleRemaining":"-5"}`:   "invalid_deductible",
		`{"coinsurancePercent":"101"}`:   "invalid_coinsurance",
		`{"copay":"1.005"}`:              "invalid_copay",
		`{"oopMaxRemaining":"lots"}`:     "invalid_oop_max",
		`{"copay":"1","deductible":"1"}`: "unknown_field",
	} {
		if r := servePrice(t, h, "PUT", "/api/me/plan", body, pat, pat.CSRF); r.Status != 400 || (code != "unknown_field" && r.errorCode() != code) {
			t.Errorf("PUT %s = %d %s; want 400 %s", body, r.Status, r.Body, code)
		}
	}
	saved := servePrice(t, h, "POST", "/api/me/saved", `{"code":"99213","codeType":"CPT","payer":"Platform Health","deductibleRemaining":"1500","coinsurancePercent":"20","copay":"25"}`, pat, pat.CSRF)
	if saved.Status != http.StatusCreated {
		t.Fatalf("save with plan details: %d %s", saved.Status, saved.Body)
	}
	list := servePrice(t, h, "GET", "/api/me/saved", "", pat, "")
	got := list.JSON["saved"].([]any)[0].(map[string]any)["benefits"]
	if !sameJSON(got, want) {
		t.Errorf("saved estimate benefits = %v; want %v", got, want)
	}
	// Forgetting: every field empty.
	if r := servePrice(t, h, "PUT", "/api/me/plan", `{}`, pat, pat.CSRF); r.Status != 200 {
		t.Fatalf("PUT {} = %d %s", r.Status, r.Body)
	}
	if got := servePrice(t, h, "GET", "/api/me/plan", "", pat, ""); got.JSON["plan"].(map[string]any)["deductibleRemaining"] != "" {
		t.Errorf("after PUT {}: %s", got.Body)
	}
}

// ASVS 5.0 V3.5.1: changing the plan details needs the session's CSRF
// token, and reading them a session.
func TestASVS_V3_5_1_PlanNeedsCSRFToken(t *testing.T) {
	e, h := savedEnv(t)
	pat := e.signedIn("plan-csrf@example.com")
	if r := servePrice(t, h, "PUT", "/api/me/plan", `{"copay":"5"}`, pat, ""); r.Status != 403 || r.errorCode() != "csrf_failed" {
		t.Errorf("no token: %d %s", r.Status, r.Body)
	}
	if r := servePrice(t, h, "GET", "/api/me/plan", "", nil, ""); r.Status != 401 {
		t.Errorf("anonymous: %d %s", r.Status, r.Body)
	}
}

// sameJSON compares a decoded JSON object with want, field by field.
func sameJSON(got any, want map[string]any) bool {
	m, ok := got.(map[string]any)
	if !ok || len(m) != len(want) {
		return false
	}
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}

// The signed-in reads of the price routes that take no parameters
// (answerOwn) refuse any, as the price routes do, and answer privately:
// no-store even for the refusal. The account's own reads ignore a query,
// as docs/api.md says.
func TestOwnRecordReadsRefuseQueryParameters(t *testing.T) {
	e, h := savedEnv(t)
	pat := e.signedIn("plan-query@example.com")
	for _, path := range []string{"/api/me/plan", "/api/me/saved"} {
		if r := servePrice(t, h, "GET", path+"?x=1", "", pat, ""); r.Status != http.StatusBadRequest || r.errorCode() != "unknown_parameter" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s?x=1 = %d %s (%s); want 400 unknown_parameter, no-store", path, r.Status, r.Body, r.Header.Get("Cache-Control"))
		}
		if r := servePrice(t, h, "GET", path, "", pat, ""); r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d %s (%s); want 200, no-store", path, r.Status, r.Body, r.Header.Get("Cache-Control"))
		}
	}
	// (The MFA reads answer 404 mfa_not_enabled in this env, with or
	// without a query.)
	for _, path := range []string{"/api/me", "/api/me/sessions", "/api/me/mfa", "/api/me/passkeys"} {
		plain := e.do(req{Method: "GET", Path: path, Cookie: pat.Cookie})
		if r := e.do(req{Method: "GET", Path: path + "?x=1", Cookie: pat.Cookie}); r.Status != plain.Status || r.errorCode() != plain.errorCode() {
			t.Errorf("GET %s?x=1 = %d %s; want %d %s as without the query", path, r.Status, r.Body, plain.Status, plain.errorCode())
		}
	}
}
