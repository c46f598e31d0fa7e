package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/b2c"
	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/internal/syncbuf"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// newB2CTokenEnv is newB2CEnv with a token cache store, and with the b2c
// client asking for the double's API scope when withScope is set. The
// server's own B2C field is set too, as the app's wiring does, so that the
// generic logout and clean-up paths see the store. Logs are captured.
func newB2CTokenEnv(t *testing.T, withScope bool) (*b2cEnv, *syncbuf.Buffer) {
	t.Helper()
	b := newB2CEnv(t, b2ctest.Options{})
	if withScope {
		redirect := b.web.Config.PublicURL + "/api/auth/b2c/callback"
		client, err := b2c.New(b2c.Config{
			Authority:    b2ctest.B2CAuthority(b2ctest.PolicySignUpSignIn),
			ClientID:     b2ctest.ClientID,
			ClientSecret: b.idp.ClientSecret,
			RedirectURI:  redirect,
			ResetPolicy:  b2ctest.PolicyPasswordReset,
			EditPolicy:   b2ctest.PolicyProfileEdit,
			Scopes:       []string{b2ctest.APIScope},
			HTTPClient:   b.idp.Client(),
			Now:          b.clock.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		b.sso.Client = client
	}
	if err := b.tables.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.sso.Tokens = b.tables.TokenCaches()
	b.web.B2C = b.sso
	logs := &syncbuf.Buffer{}
	b.web.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	b.serveB2C(b.sso)
	return b, logs
}

// whoami returns the user ID, session key and CSRF token of a session.
func (b *b2cEnv) whoami(c *http.Cookie) (userID, sessionKey, csrf string) {
	b.t.Helper()
	me := b.meWith(c)
	if me.Status != http.StatusOK {
		b.t.Fatalf("/api/me: %d %s", me.Status, me.Body)
	}
	u, _ := me.JSON["user"].(map[string]any)
	sess, _ := me.JSON["session"].(map[string]any)
	userID, _ = u["id"].(string)
	sessionKey, _ = sess["id"].(string)
	csrf, _ = me.JSON["csrfToken"].(string)
	return userID, sessionKey, csrf
}

func (b *b2cEnv) tokenCache(userID, sessionKey string) ([]byte, error) {
	return b.sso.Tokens.TokenCache(context.Background(), userID, sessionKey)
}

// With a downstream API scope configured, the provider's tokens are kept on
// the server (ASVS V10.1.1: they never reach the browser), under our own
// session key in the user's partition, and deleted when that session is
// signed out.
func TestASVS_V10_1_1_B2CTokenCacheKeptBySessionKeyAndDeletedAtLogout(t *testing.T) {
	b, logs := newB2CTokenEnv(t, true)
	b.idp.SetUser(b2ctest.User{ObjectID: "0f0f0f0f-1111-4222-8333-444455556666", Email: "api@example.com", Name: "API User"})
	s := b.begin("/api/auth/b2c/login")
	done := b.get(b.atProvider(s), []*http.Cookie{s.Flow})
	c := done.cookie()
	if done.Status != http.StatusSeeOther || c == nil {
		t.Fatalf("sign-in: %d %s", done.Status, done.Body)
	}
	userID, key, csrf := b.whoami(c)

	blob, err := b.tokenCache(userID, key)
	if err != nil {
		t.Fatalf("no token cache for the new session: %v", err)
	}
	sum, err := b2ctest.SummarizeTokenCache(blob)
	if err != nil {
		t.Fatal(err)
	}
	if sum.AccessTokens != 1 || sum.RefreshTokens != 1 || !sum.SecretsPresent || !sum.HasScope(b2ctest.APIScope) ||
		len(sum.HomeAccountIDs) != 1 || !strings.HasPrefix(sum.HomeAccountIDs[0], "0f0f0f0f-1111-4222-8333-444455556666") {
		t.Fatalf("token cache summary %+v; want this user's access token for the API scope and a refresh token", sum)
	}
	// Nothing the browser holds or sent is a key: not the flow ID (same
	// shape as a session key), not the cookie; and no response carries a
	// provider token.
	if _, err := b.tokenCache(userID, s.Flow.Value); !priceline.IsNotFound(err) {
		t.Fatalf("a cache is reachable under the flow cookie's value: %v", err)
	}
	for _, r := range []*response{done, b.meWith(c)} {
		if bytes.Contains(r.Body, []byte("b2ctest-at.")) || bytes.Contains(r.Body, []byte("b2ctest-rt.")) ||
			strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "b2ctest-") {
			t.Fatal("a provider token reached the browser")
		}
	}
	if strings.Contains(logs.String(), "b2ctest-at.") || strings.Contains(logs.String(), "b2ctest-rt.") {
		t.Fatal("a provider token was logged")
	}

	out := b.get("/api/auth/b2c/logout?csrf_token="+csrf, []*http.Cookie{c})
	if out.Status != http.StatusFound {
		t.Fatalf("logout: %d %s", out.Status, out.Body)
	}
	if _, err := b.tokenCache(userID, key); !priceline.IsNotFound(err) {
		t.Fatalf("the token cache survived logout: %v", err)
	}
}

// Without downstream API scopes no provider token is kept anywhere.
func TestB2CTokenCacheNotKeptWithoutAPIScopes(t *testing.T) {
	b, _ := newB2CTokenEnv(t, false)
	c := b.signedInB2C()
	userID, key, _ := b.whoami(c)
	if _, err := b.tokenCache(userID, key); !priceline.IsNotFound(err) {
		t.Fatalf("a token cache was kept with no API scope configured: %v", err)
	}
}

// Every other way a session ends also ends its tokens: signing in again in
// the same browser and the JSON sign-out at once, and revocation, sign-out
// elsewhere or timeouts at the next clean-up run.
func TestB2CTokenCacheDeletedWhenSessionEnds(t *testing.T) {
	b, _ := newB2CTokenEnv(t, true)
	ctx := context.Background()

	first := b.signedInB2C()
	userID, firstKey, _ := b.whoami(first)
	// Signing in again in this browser replaces the session and its tokens.
	again := b.signIn("/", first)
	second := again.cookie()
	if again.Status != http.StatusSeeOther || second == nil {
		t.Fatalf("second sign-in: %d %s", again.Status, again.Body)
	}
	if _, err := b.tokenCache(userID, firstKey); !priceline.IsNotFound(err) {
		t.Fatalf("the replaced session's tokens survived: %v", err)
	}
	_, secondKey, csrf := b.whoami(second)
	if _, err := b.tokenCache(userID, secondKey); err != nil {
		t.Fatalf("the new session has no tokens: %v", err)
	}

	// The JSON sign-out deletes them too.
	r := b.do(req{Method: "POST", Path: "/api/logout", Header: map[string]string{
		"Cookie": SessionCookie + "=" + second.Value, "X-CSRF-Token": csrf, "Origin": testOrigin,
	}})
	if r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if _, err := b.tokenCache(userID, secondKey); !priceline.IsNotFound(err) {
		t.Fatalf("tokens survived the JSON sign-out: %v", err)
	}

	// A revoked session's tokens go at the next clean-up; a live one's stay.
	third := b.signedInB2C()
	fourth := b.signedInB2C()
	_, thirdKey, _ := b.whoami(third)
	_, fourthKey, _ := b.whoami(fourth)
	if err := b.web.Auth.RevokeSession(ctx, userID, thirdKey); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	if n, err := b.web.Auth.DeleteOrphanedCloudTokens(ctx, b.sso); err != nil || n != 1 {
		t.Fatalf("DeleteOrphanedCloudTokens = %d, %v; want 1", n, err)
	}
	if _, err := b.tokenCache(userID, thirdKey); !priceline.IsNotFound(err) {
		t.Fatalf("a revoked session's tokens survived the clean-up: %v", err)
	}
	if _, err := b.tokenCache(userID, fourthKey); err != nil {
		t.Fatalf("a live session's tokens were cleaned up: %v", err)
	}
	// Idle timeout: the session still exists but is dead.
	b.clock.Advance(24 * time.Hour)
	if n, err := b.web.Auth.DeleteOrphanedCloudTokens(ctx, b.sso); err != nil || n != 1 {
		t.Fatalf("cleanup after the timeout = %d, %v; want 1", n, err)
	}
	if n, err := b.web.Auth.DeleteOrphanedCloudTokens(ctx, nil); err != nil || n != 0 {
		t.Fatalf("cleanup without B2C = %d, %v", n, err)
	}
}

// A cache that cannot be kept (too large, storage down) does not undo the
// sign-in; it is logged, by size and code, never by content.
func TestB2CTokenCacheThatCannotBeKeptIsLoggedNotFatal(t *testing.T) {
	b, logs := newB2CTokenEnv(t, true)
	tokens := memstore.NewTokenCaches()
	tokens.Fail = memstore.FailOn(
		priceline.Errorf(priceline.KindInvalid, "token_cache_too_large", "The token cache is too large."), "PutTokenCache")
	b.sso.Tokens = tokens
	c := b.signedInB2C()
	if me := b.meWith(c); me.Status != http.StatusOK {
		t.Fatalf("/api/me after sign-in: %d", me.Status)
	}
	out := logs.String()
	if !strings.Contains(out, "token_cache_too_large") {
		t.Fatalf("the refused cache was not logged: %s", out)
	}
	if strings.Contains(out, "b2ctest-at.") || strings.Contains(out, "b2ctest-rt.") || strings.Contains(out, "AccessToken") {
		t.Fatalf("the log holds token cache content: %s", out)
	}
}

// After a profile edit the stored name and shown email are the ones the
// provider now vouches for, in the same session.
func TestB2CEditProfileUpdatesStoredNameAndEmail(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	const oid = "5a5a5a5a-1111-4222-8333-444455556666"
	b.idp.SetUser(b2ctest.User{ObjectID: oid, Email: "before@example.com", Name: "Before Name"})
	c := b.signedInB2C()
	if u := b.meWith(c).JSON["user"].(map[string]any); u["name"] != "Before Name" || u["email"] != "before@example.com" {
		t.Fatalf("before the edit: %v", u)
	}
	b.idp.SetUser(b2ctest.User{ObjectID: oid, Email: "After@Example.com", Name: "After Name"})
	edit := b.begin("/api/auth/b2c/edit-profile", c)
	done := b.get(b.atProvider(edit), []*http.Cookie{c, edit.Flow})
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account" || done.cookie() != nil {
		t.Fatalf("edit-profile callback: %d %q %s", done.Status, done.Header.Get("Location"), done.Body)
	}
	if fc := done.setCookie(B2CFlowCookie); fc == nil || fc.MaxAge >= 0 {
		t.Fatal("the flow cookie was not cleared")
	}
	u := b.meWith(c).JSON["user"].(map[string]any)
	if u["name"] != "After Name" || u["email"] != "after@example.com" {
		t.Fatalf("after the edit: %v", u)
	}
}

// The profile-edit callback changes only the account signed in here, and
// only when the provider's answer is for that very account (ASVS V10.5.2:
// the user is identified by the provider's subject). Otherwise a readable
// 403 and nothing changes.
func TestASVS_V10_5_2_B2CEditProfileForAnotherAccountRefused(t *testing.T) {
	b := newB2CEnv(t, b2ctest.Options{})
	const me, other = "6b6b6b6b-1111-4222-8333-444455556666", "7c7c7c7c-1111-4222-8333-444455556666"
	b.idp.SetUser(b2ctest.User{ObjectID: me, Email: "me@example.com", Name: "Me"})
	c := b.signedInB2C()

	// The provider signs in someone else during the edit.
	b.idp.SetUser(b2ctest.User{ObjectID: other, Email: "other@example.com", Name: "Mallory"})
	edit := b.begin("/api/auth/b2c/edit-profile", c)
	r := b.get(b.atProvider(edit), []*http.Cookie{c, edit.Flow})
	wantRefused(t, r, http.StatusForbidden, "b2c_profile_other_user")
	u := b.meWith(c).JSON["user"].(map[string]any)
	if u["name"] != "Me" || u["email"] != "me@example.com" {
		t.Fatalf("the refused edit changed the profile: %v", u)
	}
	if _, err := b.web.Auth.Users.UserBySubject(context.Background(), priceline.ProviderB2C, other); !priceline.IsNotFound(err) {
		t.Fatalf("the refused edit created the other account: %v", err)
	}

	// Same, asked for by a browser: a readable page.
	edit = b.begin("/api/auth/b2c/edit-profile", c)
	r = b.get(b.atProvider(edit), []*http.Cookie{c, edit.Flow}, "Accept", "text/html")
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "different account") {
		t.Fatalf("browser refusal: %d %s", r.Status, r.Body)
	}

	// Signed out before the edit came back: nothing to apply it to.
	b.idp.SetUser(b2ctest.User{ObjectID: me, Email: "me@example.com", Name: "Renamed"})
	edit = b.begin("/api/auth/b2c/edit-profile", c)
	_, _, csrf := b.whoami(c)
	if out := b.get("/api/auth/b2c/logout?csrf_token="+csrf, []*http.Cookie{c}); out.Status != http.StatusFound {
		t.Fatalf("logout: %d", out.Status)
	}
	r = b.get(b.atProvider(edit), []*http.Cookie{c, edit.Flow})
	wantRefused(t, r, http.StatusForbidden, "b2c_profile_signed_out")
	got, err := b.web.Auth.Users.UserBySubject(context.Background(), priceline.ProviderB2C, me)
	if err != nil || got.Name != "Me" {
		t.Fatalf("the signed-out edit changed the profile: %+v, %v", got, err)
	}
}
