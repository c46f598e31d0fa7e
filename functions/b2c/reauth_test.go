package b2c

import (
	"context"
	"testing"
	"time"

	"hospitalpriceline/functions/b2c/b2ctest"
	"hospitalpriceline/functions/priceline"
)

// reauth starts a re-authentication (max age 5 minutes), plays the browser
// at the double and returns Complete's result.
func reauth(t *testing.T, c *Client, srv *b2ctest.Server) (*priceline.ExternalIdentity, error) {
	t.Helper()
	ctx := context.Background()
	authURL, flow, err := c.Begin(ctx, "", "/account", priceline.ReauthMaxAge)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if flow.MaxAge != priceline.ReauthMaxAge {
		t.Errorf("flow MaxAge %v, want %v", flow.MaxAge, priceline.ReauthMaxAge)
	}
	q, err := srv.SignIn(ctx, authURL)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	return c.Complete(ctx, flow, q)
}

// TestASVS_V7_5_1_ReauthAsksForMaxAgeAndPromptLogin: the authorization
// request of a re-authentication carries max_age=300 and prompt=login; a
// sign-in carries neither.
func TestASVS_V7_5_1_ReauthAsksForMaxAgeAndPromptLogin(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	if _, err := reauth(t, c, srv); err != nil {
		t.Fatalf("reauth: %v", err)
	}
	q := srv.LastAuthorize()
	if q.Get("max_age") != "300" || q.Get("prompt") != "login" {
		t.Errorf("authorize max_age %q prompt %q, want 300 and login", q.Get("max_age"), q.Get("prompt"))
	}
	begin(t, c, srv, "")
	q = srv.LastAuthorize()
	if q.Has("max_age") || q.Has("prompt") {
		t.Errorf("sign-in sent max_age %q prompt %q, want neither", q.Get("max_age"), q.Get("prompt"))
	}
	if _, _, err := c.Begin(context.Background(), "", "/", -time.Second); err == nil {
		t.Error("Begin accepted a negative max age")
	}
}

// TestASVS_V7_5_1_FreshAuthTimeAccepted: with an old provider session, a
// provider that honours max_age signs the user in again, and the fresh
// auth_time is accepted and returned.
func TestASVS_V7_5_1_FreshAuthTimeAccepted(t *testing.T) {
	for name, ext := range map[string]bool{"B2C": false, "ExternalID": true} {
		t.Run(name, func(t *testing.T) {
			srv := b2ctest.New(t, b2ctest.Options{})
			var c *Client
			if ext {
				c = newTestClient(t, srv, externalID)
			} else {
				c = newTestClient(t, srv)
			}
			srv.SetLastSignIn(time.Now().Add(-time.Hour))
			id, err := reauth(t, c, srv)
			if err != nil {
				t.Fatalf("reauth: %v", err)
			}
			if age := time.Since(id.AuthTime); age < -time.Minute || age > time.Minute {
				t.Errorf("auth_time %v is not fresh", id.AuthTime)
			}
		})
	}
}

// TestASVS_V7_5_1_StaleAuthTimeRefused: a provider that answers from its
// single-sign-on session despite max_age (B2C user flows do not document
// max_age) returns an old auth_time, which is refused; so is a token with
// no auth_time, and one whose auth_time is in the future.
func TestASVS_V7_5_1_StaleAuthTimeRefused(t *testing.T) {
	t.Run("Stale", func(t *testing.T) {
		srv := b2ctest.New(t, b2ctest.Options{IgnoreReauth: true})
		c := newTestClient(t, srv)
		srv.SetLastSignIn(time.Now().Add(-10 * time.Minute))
		_, err := reauth(t, c, srv)
		wantError(t, err, priceline.KindForbidden, "reauthentication_required")
		// The same stale session is fine for an ordinary sign-in.
		if _, err := signIn(t, c, srv, ""); err != nil {
			t.Fatalf("sign-in from the provider session: %v", err)
		}
	})
	t.Run("WithinSkew", func(t *testing.T) {
		srv := b2ctest.New(t, b2ctest.Options{IgnoreReauth: true})
		c := newTestClient(t, srv)
		srv.SetLastSignIn(time.Now().Add(-priceline.ReauthMaxAge - time.Minute))
		if _, err := reauth(t, c, srv); err != nil {
			t.Fatalf("auth_time a minute past max age (within the skew allowance): %v", err)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		srv := b2ctest.New(t, b2ctest.Options{})
		c := newTestClient(t, srv)
		srv.FailNextToken(b2ctest.FaultNoAuthTime)
		_, err := reauth(t, c, srv)
		wantError(t, err, priceline.KindForbidden, "reauthentication_required")
	})
	t.Run("Future", func(t *testing.T) {
		now := time.Now()
		if err := checkAuthTime(now.Add(3*time.Minute), priceline.ReauthMaxAge, now); err == nil {
			t.Error("auth_time 3 minutes ahead accepted")
		}
	})
}
