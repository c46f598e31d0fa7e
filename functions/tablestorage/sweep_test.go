package tablestorage

import (
	"context"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// The account-token sweep deletes on the version it listed, so that a token
// rewritten between the listing and the delete survives; that only holds
// if a keys-only listing still carries each entity's version.
func TestSweepListingCarriesEachVersion(t *testing.T) {
	ctx := context.Background()
	s := newTestClient(t).AccountTokens()
	now := time.Now().UTC().Truncate(time.Second)
	tok := &priceline.AccountToken{
		UserID: strings.Repeat("a", 32), Purpose: priceline.TokenResetPassword, Hash: strings.Repeat("b", 64),
		Email: "a@example.test", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute),
	}
	if err := s.PutAccountToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	keys, err := listKeys(ctx, s.t.Client, "RowKey ge '"+tokenRowPrefix+"' and RowKey lt 'token.' and ExpiresAt le "+odataDateTime(now), "account token")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("listed %d keys, want 1", len(keys))
	}
	if keys[0].ETag == "" {
		t.Fatal("a keys-only listing came back without the entity's version: the sweep would delete unconditionally")
	}
	// Rewritten after the listing: the conditional delete spares it.
	tok.ExpiresAt = now.Add(time.Hour)
	if err := s.PutAccountToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	n, err := deleteEach(ctx, s.t.Client, keys, true, "delete expired account token")
	if err != nil || n != 0 {
		t.Fatalf("deleted %d (%v), want 0: the token was rewritten after the listing", n, err)
	}
	if _, err := s.TakeAccountToken(ctx, tok.UserID, tok.Purpose, tok.Hash); err != nil {
		t.Fatalf("the rewritten token is gone: %v", err)
	}
}
