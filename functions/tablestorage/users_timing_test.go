package tablestorage

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

// countingTransport counts the requests a client sends.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultClient.Do(r)
}

// ASVS 5.0 V6.3.8: looking up an email that has no account costs the same
// number of store round trips as one that has, so login time does not tell
// which emails are registered.
func TestASVS_V6_3_8_EmailLookupCostsTheSameHitOrMiss(t *testing.T) {
	base := newTestClient(t)
	counter := &countingTransport{}
	c, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{
		TablePrefix:   base.prefix,
		ClientOptions: &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: counter}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "known@example.com", Name: "Known", PasswordHash: "h"}
	if err := c.Users().CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	count := func(email string) int64 {
		before := counter.n.Load()
		_, _ = c.Users().UserByEmail(ctx, email)
		return counter.n.Load() - before
	}
	hit, miss := count("known@example.com"), count("unknown@example.com")
	if hit != miss || hit != 2 {
		t.Fatalf("a found email costs %d requests, a missing one %d; want 2 each", hit, miss)
	}
	// Login reads the index (PasswordHint) and then, alongside the hash,
	// the user record or one that never exists (auth): one request here
	// either way.
	hint := func(email string) int64 {
		before := counter.n.Load()
		_, _, _ = c.Users().PasswordHint(ctx, email)
		return counter.n.Load() - before
	}
	if hit, miss := hint("known@example.com"), hint("unknown@example.com"); hit != miss || hit != 1 {
		t.Fatalf("PasswordHint costs %d requests for a found email, %d for a missing one; want 1 each", hit, miss)
	}
}
