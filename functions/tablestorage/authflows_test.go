package tablestorage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

// newFlowStore is a flow store on its own tables, with the flows table
// created the way the app creates it.
func newFlowStore(t *testing.T) (*Client, *AuthFlowStore) {
	t.Helper()
	c := newTestClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatalf("EnsureTables: %v", err)
	}
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatalf("EnsureTables a second time: %v", err)
	}
	return c, c.AuthFlows()
}

func newFlow(now time.Time) *priceline.AuthFlow {
	return &priceline.AuthFlow{
		ID:           priceline.NewToken(32),
		State:        "state-" + priceline.NewToken(16),
		Nonce:        "nonce-" + priceline.NewToken(16),
		PKCEVerifier: "verifier-" + priceline.NewToken(16),
		ReturnTo:     "/search?q=St%20Mary%27s",
		Policy:       "B2C_1_signupsignin",
		CreatedAt:    now,
		ExpiresAt:    now.Add(15 * time.Minute),
	}
}

func wantFlowErr(t *testing.T, err error, kind, code string) {
	t.Helper()
	if priceline.ErrorKind(err) != kind || priceline.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s/%s", err, kind, code)
	}
}

func TestAuthFlowStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, s := newFlowStore(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 123456700, time.UTC)
	c.now = func() time.Time { return now.Add(time.Minute) }
	f := newFlow(now)
	if err := s.PutFlow(ctx, f); err != nil {
		t.Fatalf("PutFlow: %v", err)
	}
	got, err := s.TakeFlow(ctx, f.ID)
	if err != nil {
		t.Fatalf("TakeFlow: %v", err)
	}
	if diff := cmp.Diff(f, got); diff != "" {
		t.Fatalf("flow mismatch (-want, +got):\n%s", diff)
	}
}

// The flow binds the callback to one browser and one attempt: it can be
// taken once, so a replayed callback (same cookie, same state) finds
// nothing.
func TestASVS_V10_1_2_AuthFlowIsSingleUse(t *testing.T) {
	ctx := context.Background()
	_, s := newFlowStore(t)
	f := newFlow(time.Now())
	if err := s.PutFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeFlow(ctx, f.ID); err != nil {
		t.Fatalf("first TakeFlow: %v", err)
	}
	_, err := s.TakeFlow(ctx, f.ID)
	wantFlowErr(t, err, priceline.KindNotFound, "auth_flow_not_found")
}

// Callbacks racing on one flow through two instances (two Clients on the
// same tables): exactly one gets it.
func TestASVS_V10_1_2_AuthFlowTakenOnceAcrossInstances(t *testing.T) {
	ctx := context.Background()
	c1, s1 := newFlowStore(t)
	c2, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: strings.TrimSuffix(c1.tableNames[0], usersTable)})
	if err != nil {
		t.Fatal(err)
	}
	s2 := c2.AuthFlows()
	for round := range 5 {
		f := newFlow(time.Now())
		if err := s1.PutFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		const racers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range racers {
			store := s1
			if i%2 == 1 {
				store = s2
			}
			wg.Go(func() {
				got, err := store.TakeFlow(ctx, f.ID)
				switch {
				case err == nil && got.State == f.State:
					mu.Lock()
					wins++
					mu.Unlock()
				case priceline.ErrorCode(err) == "auth_flow_not_found":
				default:
					t.Errorf("TakeFlow: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d of %d racing callbacks got the flow, want exactly 1", round, wins, racers)
		}
	}
}

// A flow past its ExpiresAt is refused and deleted on the way.
func TestAuthFlowExpiredIsRefusedAndDeleted(t *testing.T) {
	ctx := context.Background()
	c, s := newFlowStore(t)
	now := time.Now().UTC()
	f := newFlow(now)
	if err := s.PutFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return f.ExpiresAt } // the first instant it is expired
	_, err := s.TakeFlow(ctx, f.ID)
	wantFlowErr(t, err, priceline.KindNotFound, "auth_flow_expired")
	c.now = func() time.Time { return now }
	_, err = s.TakeFlow(ctx, f.ID)
	wantFlowErr(t, err, priceline.KindNotFound, "auth_flow_not_found")
}

func TestAuthFlowPutExistingIsConflict(t *testing.T) {
	ctx := context.Background()
	_, s := newFlowStore(t)
	f := newFlow(time.Now())
	if err := s.PutFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	other := newFlow(time.Now())
	other.ID = f.ID
	wantFlowErr(t, s.PutFlow(ctx, other), priceline.KindConflict, "auth_flow_exists")
	got, err := s.TakeFlow(ctx, f.ID)
	if err != nil || got.State != f.State {
		t.Fatalf("TakeFlow after conflicting put = %+v, %v; want the original flow", got, err)
	}
}

// Invalid flows are refused before anything is written.
func TestAuthFlowPutRejectsInvalidAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	_, s := newFlowStore(t)
	now := time.Now()
	for name, mutate := range map[string]func(f *priceline.AuthFlow){
		"empty ID":            func(f *priceline.AuthFlow) { f.ID = "" },
		"ID not hex":          func(f *priceline.AuthFlow) { f.ID = "../" + f.ID[3:] },
		"ID upper-case":       func(f *priceline.AuthFlow) { f.ID = "AB" + f.ID[2:] },
		"ID too short":        func(f *priceline.AuthFlow) { f.ID = f.ID[:32] },
		"no state":            func(f *priceline.AuthFlow) { f.State = "" },
		"no nonce":            func(f *priceline.AuthFlow) { f.Nonce = "" },
		"no verifier":         func(f *priceline.AuthFlow) { f.PKCEVerifier = "" },
		"no expiry":           func(f *priceline.AuthFlow) { f.ExpiresAt = time.Time{} },
		"expiry before start": func(f *priceline.AuthFlow) { f.ExpiresAt = f.CreatedAt.Add(-time.Second) },
		"invalid UTF-8":       func(f *priceline.AuthFlow) { f.ReturnTo = "/\xff" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFlow(now)
			mutate(f)
			if err := s.PutFlow(ctx, f); priceline.ErrorKind(err) != priceline.KindInvalid {
				t.Fatalf("PutFlow err = %v, want KindInvalid", err)
			}
			if validFlowID(f.ID) {
				if _, err := s.TakeFlow(ctx, f.ID); !priceline.IsNotFound(err) {
					t.Fatalf("an invalid flow was stored: TakeFlow err = %v", err)
				}
			}
		})
	}
	wantFlowErr(t, s.PutFlow(ctx, nil), priceline.KindInvalid, "invalid_auth_flow")
}

// Cookie values are attacker-controlled; none of them reaches storage as a
// key or breaks the lookup.
func TestAuthFlowTakeHostileIDs(t *testing.T) {
	ctx := context.Background()
	_, s := newFlowStore(t)
	for _, id := range []string{"", "x", "'", "' or PartitionKey ne '", "../../users", "a/b", "a#b", "a?b", "\x00",
		"0000000000000000000000000000000000000000000000000000000000000000", // the right shape, never issued
	} {
		_, err := s.TakeFlow(ctx, id)
		wantFlowErr(t, err, priceline.KindNotFound, "auth_flow_not_found")
	}
}

func TestAuthFlowDeleteExpired(t *testing.T) {
	ctx := context.Background()
	_, s := newFlowStore(t)
	now := time.Now().UTC().Truncate(time.Second)
	old := newFlow(now.Add(-time.Hour))
	live := newFlow(now)
	for _, f := range []*priceline.AuthFlow{old, live} {
		if err := s.PutFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpiredFlows(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredFlows = %d, %v; want 1", n, err)
	}
	if _, err := s.TakeFlow(ctx, old.ID); priceline.ErrorCode(err) != "auth_flow_not_found" {
		t.Fatalf("expired flow still stored: %v", err)
	}
	if _, err := s.TakeFlow(ctx, live.ID); err != nil {
		t.Fatalf("live flow was deleted: %v", err)
	}
}

// Without its table the store reports an outage, not "not found", which
// the callback would show as a stale sign-in link.
func TestAuthFlowMissingTableIsUnavailable(t *testing.T) {
	ctx := context.Background()
	// A client whose tables were never created, whatever EnsureTables covers.
	c, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: fmt.Sprintf("m%d%d", time.Now().UnixNano()%1_000_000, prefixSeq.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	s := c.AuthFlows()
	f := newFlow(time.Now())
	wantFlowErr(t, s.PutFlow(ctx, f), priceline.KindUnavailable, "storage_unavailable")
	_, err = s.TakeFlow(ctx, f.ID)
	wantFlowErr(t, err, priceline.KindUnavailable, "storage_unavailable")
}
