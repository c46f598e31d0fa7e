package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

func TestEmailVerificationThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("vera@example.com")
	if me := e.me(a); me.JSON["user"].(map[string]any)["emailVerified"] != false {
		t.Fatalf("/api/me = %s", me.Body)
	}
	tok := e.linkFrom("vera@example.com", priceline.MailVerifyEmail)
	if !strings.Contains(e.mailTo("vera@example.com", priceline.MailVerifyEmail), e.web.Config.PublicURL+"/verify-email?token=") {
		t.Fatal("the link does not start with PUBLIC_URL/verify-email")
	}
	r := e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": tok}})
	if r.Status != http.StatusOK || r.JSON["emailVerified"] != true || r.JSON["emailChanged"] != false {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	if me := e.me(a); me.JSON["user"].(map[string]any)["emailVerified"] != true {
		t.Fatalf("/api/me after verifying = %s", me.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": tok}})
	if r.Status != http.StatusBadRequest || r.errorCode() != "invalid_token" {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/email/verify/resend", Cookie: a.Cookie, CSRF: a.CSRF})
	if r.Status != http.StatusConflict || r.errorCode() != "already_verified" {
		t.Fatalf("resend when verified: %d %s", r.Status, r.Body)
	}
}

func TestEmailVerifyErrors(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("vic@example.com")
	for name, q := range map[string]struct {
		r      req
		status int
		code   string
	}{
		"forged":            {req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": "v" + strings.Repeat("a", 96)}}, 400, "invalid_token"},
		"garbage":           {req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": "' or 1=1 --"}}, 400, "invalid_token"},
		"text":              {req{Method: "POST", Path: "/api/email/verify", Raw: "token=x", ContentType: "text/plain"}, 415, "unsupported_media_type"},
		"missing":           {req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{}}, 400, "missing_field"},
		"cross-site":        {req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": "x"}, Header: map[string]string{"Origin": "https://evil.example"}}, 403, "cross_origin"},
		"resend no csrf":    {req{Method: "POST", Path: "/api/email/verify/resend", Cookie: a.Cookie}, 403, "csrf_failed"},
		"resend signed out": {req{Method: "POST", Path: "/api/email/verify/resend"}, 401, "unauthenticated"},
	} {
		r := e.do(q.r)
		if r.Status != q.status || r.errorCode() != q.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Body, q.status, q.code)
		}
	}
	if me := e.me(a); me.JSON["user"].(map[string]any)["emailVerified"] != false {
		t.Fatal("a refused request verified the address")
	}
	r := e.do(req{Method: "POST", Path: "/api/email/verify/resend", Cookie: a.Cookie, CSRF: a.CSRF})
	if r.Status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
}

func TestPasswordResetThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("rosa@example.com")
	forgot := func(email string) *response {
		return e.do(req{Method: "POST", Path: "/api/password/forgot", JSON: map[string]string{"email": email}})
	}
	known, unknown := forgot("rosa@example.com"), forgot("nobody@example.com")
	if known.Status != http.StatusAccepted || unknown.Status != http.StatusAccepted || string(known.Body) != string(unknown.Body) || string(known.Body) != "{}\n" {
		t.Fatalf("known %d %s; unknown %d %s", known.Status, known.Body, unknown.Status, unknown.Body)
	}
	tok := e.linkFrom("rosa@example.com", priceline.MailPasswordReset)
	reset := func(tok, pw string) *response {
		return e.do(req{Method: "POST", Path: "/api/password/reset", JSON: map[string]string{"token": tok, "newPassword": pw}})
	}
	if r := reset(tok, "short"); r.Status != 400 || r.errorCode() != "password_too_short" {
		t.Fatalf("weak: %d %s", r.Status, r.Body)
	}
	r := reset(tok, "a brand new passphrase 77")
	if r.Status != http.StatusNoContent || r.cookie() != nil {
		t.Fatalf("reset: %d %s (cookie %v)", r.Status, r.Body, r.cookie())
	}
	if e.me(a).Status != http.StatusUnauthorized {
		t.Fatal("the old session still works after a reset")
	}
	if r := reset(tok, "another brand new one 78"); r.Status != 400 || r.errorCode() != "invalid_token" {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	e.mailTo("rosa@example.com", priceline.MailPasswordChanged)
	b := e.login("rosa@example.com", "a brand new passphrase 77")
	if me := e.me(b); me.JSON["user"].(map[string]any)["emailVerified"] != true {
		t.Fatal("a reset did not verify the address")
	}
	// Expired: 30 minutes.
	if r := forgot("rosa@example.com"); r.Status != http.StatusAccepted {
		t.Fatal(r.Status)
	}
	tok = e.linkFrom("rosa@example.com", priceline.MailPasswordReset)
	e.clock.Advance(31 * time.Minute)
	if r := reset(tok, "yet another passphrase 79"); r.Status != 400 || r.errorCode() != "invalid_token" {
		t.Fatalf("expired: %d %s", r.Status, r.Body)
	}
	if r := forgot("not-an-address"); r.Status != 400 || r.errorCode() != "invalid_email" {
		t.Fatalf("malformed: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{Method: "POST", Path: "/api/password/forgot", JSON: map[string]string{"email": "rosa@example.com"}, Header: map[string]string{"Sec-Fetch-Site": "cross-site"}}); r.Status != 403 || r.errorCode() != "cross_origin" {
		t.Fatalf("cross-site: %d %s", r.Status, r.Body)
	}
}

func TestForgotPasswordThrottledWithRetryAfter(t *testing.T) {
	e := newEnv(t)
	var r *response
	for i := 0; i < 6; i++ {
		r = e.do(req{Method: "POST", Path: "/api/password/forgot", JSON: map[string]string{"email": "flood@example.com"}})
	}
	if r.Status != http.StatusTooManyRequests || r.errorCode() != "too_many_emails" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("6th: %d %s %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}

func TestEmailChangeThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("old@example.com")
	e.signedIn("taken@example.com")
	change := func(newEmail, pw string, csrf string) *response {
		return e.do(req{Method: "POST", Path: "/api/me/email", Cookie: a.Cookie, CSRF: csrf, JSON: map[string]string{"newEmail": newEmail, "currentPassword": pw}})
	}
	for name, c := range map[string]struct {
		r      *response
		status int
		code   string
	}{
		"wrong password": {change("new@example.com", "not the password at all", a.CSRF), 400, "current_password_incorrect"},
		"bad address":    {change("nope", goodPassword, a.CSRF), 400, "invalid_email"},
		"same address":   {change("OLD@example.com", goodPassword, a.CSRF), 400, "email_unchanged"},
		"no csrf":        {change("new@example.com", goodPassword, ""), 403, "csrf_failed"},
	} {
		if c.r.Status != c.status || c.r.errorCode() != c.code {
			t.Errorf("%s: %d %s", name, c.r.Status, c.r.Body)
		}
	}
	if r := change("new@example.com", goodPassword, a.CSRF); r.Status != http.StatusAccepted {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if me := e.me(a); me.JSON["user"].(map[string]any)["email"] != "old@example.com" {
		t.Fatal("changed before the link was used")
	}
	tok := e.linkFrom("new@example.com", priceline.MailEmailChangeVerify)
	r := e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": tok}})
	if r.Status != http.StatusOK || r.JSON["emailChanged"] != true {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	e.mailTo("old@example.com", priceline.MailEmailChanged)
	if me := e.me(a); me.JSON["user"].(map[string]any)["email"] != "new@example.com" {
		t.Fatalf("/api/me = %s", me.Body)
	}
	e.login("new@example.com", goodPassword)
	if r := e.do(req{Method: "POST", Path: "/api/login", JSON: map[string]string{"email": "old@example.com", "password": goodPassword}}); r.Status != 401 {
		t.Fatalf("old address signs in: %d", r.Status)
	}
	// To an address another account has: 202 now, email_taken at the link.
	if r := change("taken@example.com", goodPassword, a.CSRF); r.Status != http.StatusAccepted {
		t.Fatalf("change to taken: %d %s", r.Status, r.Body)
	}
	tok = e.linkFrom("taken@example.com", priceline.MailEmailChangeVerify)
	r = e.do(req{Method: "POST", Path: "/api/email/verify", JSON: map[string]string{"token": tok}})
	if r.Status != http.StatusConflict || r.errorCode() != "email_taken" {
		t.Fatalf("taken: %d %s", r.Status, r.Body)
	}
}

func TestAccountDeletionThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("del@example.com")
	b := e.login("del@example.com", goodPassword)
	del := func(body any, csrf string) *response {
		return e.do(req{Method: "DELETE", Path: "/api/me", Cookie: a.Cookie, CSRF: csrf, JSON: body})
	}
	if r := del(map[string]string{"currentPassword": "not the password at all"}, a.CSRF); r.Status != 400 || r.errorCode() != "current_password_incorrect" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	if r := del(map[string]string{"currentPassword": goodPassword}, ""); r.Status != 403 || r.errorCode() != "csrf_failed" {
		t.Fatalf("no csrf: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{Method: "DELETE", Path: "/api/me", Cookie: a.Cookie, CSRF: a.CSRF}); r.Status != 415 {
		t.Fatalf("no body: %d %s", r.Status, r.Body)
	}
	if e.me(b).Status != http.StatusOK {
		t.Fatal("a refused deletion ended a session")
	}
	r := del(map[string]string{"currentPassword": goodPassword}, a.CSRF)
	if r.Status != http.StatusNoContent || r.cookie() == nil || r.cookie().MaxAge >= 0 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, x := range []*account{a, b} {
		if e.me(x).Status != http.StatusUnauthorized {
			t.Fatal("a session of the deleted account still works")
		}
	}
	if _, err := e.tables.Users().UserByID(context.Background(), a.UserID); !priceline.IsNotFound(err) {
		t.Fatalf("user record: %v", err)
	}
	e.mailTo("del@example.com", priceline.MailAccountDeleted)
	e.register("del@example.com") // the address is free again
}

func TestSignOutEverywhereElseNeedsThePassword(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn("rev@example.com")
	b := e.login("rev@example.com", goodPassword)
	r := e.do(req{Method: "DELETE", Path: "/api/me/sessions", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{"currentPassword": "not the password at all"}})
	if r.Status != 400 || r.errorCode() != "current_password_incorrect" || e.me(b).Status != http.StatusOK {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Method: "DELETE", Path: "/api/me/sessions", Cookie: a.Cookie, CSRF: a.CSRF, JSON: map[string]string{}})
	if r.Status != 400 || r.errorCode() != "current_password_incorrect" || e.me(b).Status != http.StatusOK {
		t.Fatalf("no password: %d %s", r.Status, r.Body)
	}
}
