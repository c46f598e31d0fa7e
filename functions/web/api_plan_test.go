package web

import (
	"net/http"
	"strings"
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

// Every signed-in read (answerOwn) takes no query parameter and refuses
// any, as the price routes do, with one rule for all six (docs/api.md): 400
// unknown_parameter, or invalid_query for a malformed query, and privately:
// no-store even for the refusal. Without a query each answers 200.
func TestOwnRecordReadsRefuseQueryParameters(t *testing.T) {
	e, h := savedEnv(t)
	e.withMFA(t, testOrigin) // so that the MFA reads answer 200, not 404 mfa_not_enabled
	pat := e.signedIn("plan-query@example.com")
	get := func(path string) *response {
		if strings.HasPrefix(path, "/api/me/plan") || strings.HasPrefix(path, "/api/me/saved") {
			return servePrice(t, h, "GET", path, "", pat, "")
		}
		return e.do(req{Method: "GET", Path: path, Cookie: pat.Cookie})
	}
	for _, path := range []string{"/api/me", "/api/me/sessions", "/api/me/mfa", "/api/me/passkeys", "/api/me/saved", "/api/me/plan"} {
		for query, code := range map[string]string{"?x=1": "unknown_parameter", "?_=1700000000": "unknown_parameter", "?x=%zz": "invalid_query"} {
			if r := get(path + query); r.Status != http.StatusBadRequest || r.errorCode() != code || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %s%s = %d %s (%s); want 400 %s, no-store", path, query, r.Status, r.Body, r.Header.Get("Cache-Control"), code)
			}
		}
		if r := get(path); r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d %s (%s); want 200, no-store", path, r.Status, r.Body, r.Header.Get("Cache-Control"))
		}
	}
}
