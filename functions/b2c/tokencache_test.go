package b2c

import (
	"context"
	"strings"
	"sync"
	"testing"

	"hospitalpriceline/functions/b2c/b2ctest"
)

func withAPIScope(cfg *Config) { cfg.Scopes = []string{b2ctest.APIScope} }

// Without downstream API scopes the provider's tokens are of no use to us,
// so none are handed out, although B2C still issues them.
func TestCompleteWithTokensKeepsNothingWithoutScopes(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv)
	if c.KeepsTokens() {
		t.Fatal("KeepsTokens without scopes")
	}
	flow, q := begin(t, c, srv, "")
	id, blob, err := c.CompleteWithTokens(context.Background(), flow, q)
	if err != nil || id == nil {
		t.Fatalf("CompleteWithTokens: %v", err)
	}
	if blob != nil {
		t.Fatalf("a token cache (%d bytes) was returned with no API scope configured", len(blob))
	}
}

// With an API scope the cache of exactly this sign-in is returned for the
// backend to keep (ASVS V10.1.1: the tokens stay on the server, with the
// session that owns them). Sign-ins of other users, before or at the same
// time, never leak into it, because MSAL's shared cache is emptied before
// every write and exported under the same lock.
func TestASVS_V10_1_1_CompleteWithTokensReturnsOnlyThisSignInsCache(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv, withAPIScope)
	if !c.KeepsTokens() {
		t.Fatal("KeepsTokens is false with an API scope")
	}
	users := []string{"11111111-aaaa-4bbb-8ccc-000000000001", "22222222-aaaa-4bbb-8ccc-000000000002"}
	for _, oid := range users {
		srv.SetUser(b2ctest.User{ObjectID: oid, Email: "u@example.com", Name: "U"})
		flow, q := begin(t, c, srv, "")
		id, blob, err := c.CompleteWithTokens(context.Background(), flow, q)
		if err != nil || id.Subject != oid {
			t.Fatalf("CompleteWithTokens: %+v, %v", id, err)
		}
		sum, err := b2ctest.SummarizeTokenCache(blob)
		if err != nil {
			t.Fatal(err)
		}
		if sum.AccessTokens != 1 || sum.RefreshTokens != 1 || sum.Accounts != 1 || !sum.SecretsPresent || !sum.HasScope(b2ctest.APIScope) {
			t.Fatalf("token cache summary %+v; want one access token for the API scope, one refresh token, one account", sum)
		}
		if !strings.HasPrefix(sum.HomeAccountIDs[0], oid) {
			t.Fatalf("the cache is for account %q, want %s", sum.HomeAccountIDs[0], oid)
		}
	}
	// A redirect's query cannot ask for the tokens: Complete returns none.
	flow, q := begin(t, c, srv, "")
	if _, err := c.Complete(context.Background(), flow, q); err != nil {
		t.Fatal(err)
	}

	// Concurrent sign-ins each get their own user's cache only.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			// The double signs in whichever user is set when authorize
			// runs, so the goroutines mix both users; the cache must be
			// that of the identity Complete verified.
			srv.SetUser(b2ctest.User{ObjectID: users[i%2], Email: "u@example.com", Name: "U"})
			ctx := context.Background()
			authURL, flow, err := c.Begin(ctx, "", "/", 0)
			if err != nil {
				t.Errorf("Begin: %v", err)
				return
			}
			q, err := srv.SignIn(ctx, authURL)
			if err != nil {
				t.Errorf("SignIn: %v", err)
				return
			}
			id, blob, err := c.CompleteWithTokens(ctx, flow, q)
			if err != nil {
				t.Errorf("CompleteWithTokens: %v", err)
				return
			}
			sum, err := b2ctest.SummarizeTokenCache(blob)
			if err != nil || sum.Accounts != 1 || sum.AccessTokens != 1 || !strings.HasPrefix(sum.HomeAccountIDs[0], id.Subject) {
				t.Errorf("concurrent sign-in of %s got cache %+v, %v", id.Subject, sum, err)
			}
		})
	}
	wg.Wait()
}

// A sign-in whose ID token fails validation hands out no tokens.
func TestCompleteWithTokensNoCacheOnBadIDToken(t *testing.T) {
	srv := b2ctest.New(t, b2ctest.Options{})
	c := newTestClient(t, srv, withAPIScope)
	flow, q := begin(t, c, srv, "")
	srv.FailNextToken(b2ctest.FaultWrongNonce)
	id, blob, err := c.CompleteWithTokens(context.Background(), flow, q)
	if err == nil || id != nil || blob != nil {
		t.Fatalf("bad ID token: id %v, %d cache bytes, err %v", id, len(blob), err)
	}
}
