package tablestorage

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// An email index written before it carried the hash copy gets the copy
// from the user record on the first PasswordHint, and keeps it.
func TestPasswordHint_FillsTheCopyOfOlderIndexes(t *testing.T) {
	c := newTestClient(t)
	s := c.Users()
	ctx := context.Background()
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "legacy@example.com", Name: "Legacy",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$bGVnYWN5bGVnYWN5bGVnYWN5"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// As an earlier version wrote it: no PasswordHash in the index.
	pk := emailIndexKey(u.Email)
	body, _ := json.Marshal(entity{"PartitionKey": pk, "RowKey": indexRowKey, "UserID": u.ID, "Email": u.Email})
	if _, err := c.users.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		t.Fatal(err)
	}
	if idx, _, err := s.readIndex(ctx, pk); err != nil || idx.PasswordHash != "" {
		t.Fatalf("setup: index = %+v, %v", idx, err)
	}
	id, hash, err := s.PasswordHint(ctx, u.Email)
	if err != nil || id != u.ID || hash != u.PasswordHash {
		t.Fatalf("PasswordHint = %q, %q, %v", id, hash, err)
	}
	idx, _, err := s.readIndex(ctx, pk)
	if err != nil || idx.PasswordHash != u.PasswordHash || idx.UserID != u.ID {
		t.Fatalf("the index did not keep the copy: %+v, %v", idx, err)
	}
}

// A copy left stale (the index write after a password change was lost) is
// put right by RepairPasswordHint, from the user record.
func TestPasswordHint_RepairCopiesTheRecordsHash(t *testing.T) {
	c := newTestClient(t)
	s := c.Users()
	ctx := context.Background()
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "stale@example.com", Name: "Stale",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$b2xkb2xkb2xkb2xkb2xkb2xk"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// The record changes, the copy does not (as if the second write failed).
	cur, etag, err := s.readUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.mergeUser(ctx, u.ID, etag, entity{"PasswordHash": "$argon2id$new"}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, hash, _ := s.PasswordHint(ctx, u.Email); hash != cur.PasswordHash {
		t.Fatalf("setup: copy %q, want the old hash", hash)
	}
	if err := s.RepairPasswordHint(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, hash, _ := s.PasswordHint(ctx, u.Email); hash != "$argon2id$new" {
		t.Fatalf("after repair the copy is %q", hash)
	}
}
