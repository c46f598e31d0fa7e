package auth

import (
	"context"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// The email index's copy of the hash lets a login hash while it reads the
// user record, and costs one check when it is current.
func TestLogin_CurrentHashCopyCostsOneCheck(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	before := e.hasher.verifications()
	e.login(t, "ada@example.org")
	if n := e.hasher.verifications() - before; n != 1 {
		t.Fatalf("a login with a current copy made %d password checks, want 1", n)
	}
}

// A copy that missed a password change (a crash between the record's write
// and the index's) never lets the old password in: the user record decides.
func TestLogin_StaleHashCopyNeverAdmitsTheOldPassword(t *testing.T) {
	e := newTestEnv(t)
	u := e.register(t, "ada@example.org")
	stored, err := e.users.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	oldHash := stored.PasswordHash
	newHash, err := e.hasher.inner.Hash(context.Background(), otherPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.users.UpdatePasswordHash(context.Background(), u.ID, oldHash, newHash); err != nil {
		t.Fatal(err)
	}
	e.users.SetPasswordHint("ada@example.org", oldHash) // the index write was lost

	_, err = e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "203.0.113.7"})
	wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	e.users.SetPasswordHint("ada@example.org", oldHash) // lost again
	before := e.hasher.verifications()
	if _, err := e.svc.Login(context.Background(), "ada@example.org", otherPassword, Client{IP: "203.0.113.7"}); err != nil {
		t.Fatalf("the new password after a stale copy: %v", err)
	}
	if n := e.hasher.verifications() - before; n != 2 {
		t.Errorf("a stale copy made %d password checks, want 2 (the copy, then the record)", n)
	}
	if e.passwordHint(t, "ada@example.org") != newHash {
		t.Fatal("the stale copy was not repaired")
	}
	before = e.hasher.verifications()
	if _, err := e.svc.Login(context.Background(), "ada@example.org", otherPassword, Client{IP: "203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	if n := e.hasher.verifications() - before; n != 1 {
		t.Errorf("after the repair a login made %d password checks, want 1", n)
	}
}

// Accounts whose index has no copy (written before copies existed) still
// sign in, and unknown emails spend one check and two reads like known ones.
func TestLogin_NoHashCopyStillSignsInAndMissesSpendOneCheck(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	mark := e.users.Calls("UserByID")
	e.login(t, "ada@example.org")
	if n := e.users.Calls("UserByID") - mark; n != 1 {
		t.Errorf("a known email read %d user records, want 1", n)
	}
	e.users.SetPasswordHint("ada@example.org", "")
	before := e.hasher.verifications()
	e.login(t, "ada@example.org")
	if n := e.hasher.verifications() - before; n != 1 {
		t.Errorf("a login without a copy made %d password checks, want 1", n)
	}
	mark = e.users.Calls("UserByID")
	before = e.hasher.verifications()
	_, err := e.svc.Login(context.Background(), "nobody@example.org", goodPassword, Client{IP: "203.0.113.8"})
	wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	if n := e.hasher.verifications() - before; n != 1 {
		t.Errorf("an unknown email made %d password checks, want 1", n)
	}
	if n := e.users.Calls("UserByID") - mark; n != 1 {
		t.Errorf("an unknown email read %d user records, want 1 (as a known email does)", n)
	}
}
