package tablestorage

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
)

func TestMain(m *testing.M) { azurite.RunTests(m) }

var prefixSeq atomic.Int64

// newTestClient connects to the shared Azurite with a table prefix no other
// test uses, and creates the tables.
func newTestClient(t testing.TB) *Client {
	t.Helper()
	srv := azurite.Shared(t)
	prefix := fmt.Sprintf("t%d%d", time.Now().UnixNano()%1_000_000, prefixSeq.Add(1))
	c, err := NewFromConnectionString(srv.ConnectionString(), Options{TablePrefix: prefix})
	if err != nil {
		t.Fatalf("NewFromConnectionString: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatalf("EnsureTables: %v", err)
	}
	return c
}
