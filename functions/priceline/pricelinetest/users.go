package pricelinetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

func localUser(email string) *priceline.User {
	return &priceline.User{
		ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: email, Name: "Test User",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		CreatedAt:    ms(0), UpdatedAt: ms(0),
	}
}

func cloudUser(subject string) *priceline.User {
	return &priceline.User{
		ID: priceline.NewUserID(), Provider: priceline.ProviderB2C, Subject: subject, Email: "cloud@example.com",
		Name: "Cloud User", CreatedAt: ms(0), UpdatedAt: ms(0),
	}
}

// TestUserStore runs the UserStore contract against stores made by newStore.
func TestUserStore(t *testing.T, newStore func(t *testing.T) priceline.UserStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		u := localUser("alice@example.com")
		want := *u
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		byID, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("UserByID: %v", err)
		}
		if diff := cmp.Diff(&want, byID); diff != "" {
			t.Errorf("UserByID mismatch (-want, +got):\n%s", diff)
		}
		byEmail, err := s.UserByEmail(ctx, "alice@example.com")
		if err != nil {
			t.Fatalf("UserByEmail: %v", err)
		}
		if diff := cmp.Diff(&want, byEmail); diff != "" {
			t.Errorf("UserByEmail mismatch (-want, +got):\n%s", diff)
		}
	})

	t.Run("DuplicateEmailIsEmailTaken", func(t *testing.T) {
		s := newStore(t)
		first := localUser("bob@example.com")
		if err := s.CreateUser(ctx, first); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		second := localUser("bob@example.com")
		wantKind(t, s.CreateUser(ctx, second), priceline.KindConflict, "email_taken")
		if _, err := s.UserByID(ctx, second.ID); !priceline.IsNotFound(err) {
			t.Errorf("the rejected user was written: UserByID err = %v", err)
		}
		got, err := s.UserByEmail(ctx, "bob@example.com")
		if err != nil || got.ID != first.ID {
			t.Fatalf("UserByEmail after duplicate = %v, %v; want the first user", got, err)
		}
	})

	t.Run("EmailComparedExactly", func(t *testing.T) {
		// Normalising is the caller's job; the store must not merge or
		// confuse addresses that differ in any way.
		s := newStore(t)
		lower := localUser("carol@example.com")
		upper := localUser("Carol@example.com")
		for _, u := range []*priceline.User{lower, upper} {
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser(%q): %v", u.Email, err)
			}
		}
		for _, u := range []*priceline.User{lower, upper} {
			got, err := s.UserByEmail(ctx, u.Email)
			if err != nil || got.ID != u.ID {
				t.Errorf("UserByEmail(%q) = %v, %v; want %s", u.Email, got, err, u.ID)
			}
		}
		_, err := s.UserByEmail(ctx, " carol@example.com")
		wantKind(t, err, priceline.KindNotFound, "")
	})

	t.Run("DuplicateSubjectIsSubjectTaken", func(t *testing.T) {
		s := newStore(t)
		first := cloudUser("sub-123")
		if err := s.CreateUser(ctx, first); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		wantKind(t, s.CreateUser(ctx, cloudUser("sub-123")), priceline.KindConflict, "subject_taken")
		got, err := s.UserBySubject(ctx, priceline.ProviderB2C, "sub-123")
		if err != nil || got.ID != first.ID {
			t.Fatalf("UserBySubject = %v, %v; want the first user", got, err)
		}
		// A second cloud user with a different subject may share the email:
		// accounts are never merged by email.
		if err := s.CreateUser(ctx, cloudUser("sub-456")); err != nil {
			t.Fatalf("CreateUser(other subject, same email): %v", err)
		}
	})

	t.Run("CloudUserDoesNotClaimLocalEmail", func(t *testing.T) {
		s := newStore(t)
		cloud := cloudUser("sub-789")
		cloud.Email = "dave@example.com"
		if err := s.CreateUser(ctx, cloud); err != nil {
			t.Fatalf("CreateUser(cloud): %v", err)
		}
		_, err := s.UserByEmail(ctx, "dave@example.com")
		wantKind(t, err, priceline.KindNotFound, "")
		local := localUser("dave@example.com")
		if err := s.CreateUser(ctx, local); err != nil {
			t.Fatalf("CreateUser(local, same email as cloud user): %v", err)
		}
		got, err := s.UserByEmail(ctx, "dave@example.com")
		if err != nil || got.ID != local.ID {
			t.Fatalf("UserByEmail = %v, %v; want the local user", got, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateUser(ctx, localUser("erin@example.com")); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		for _, id := range []string{priceline.NewUserID(), "", "user", "../x", "' or 1 eq 1 or ''='", "ABCDEF0123456789ABCDEF0123456789"} {
			_, err := s.UserByID(ctx, id)
			wantKind(t, err, priceline.KindNotFound, "")
		}
		for _, email := range []string{"", "nobody@example.com", "erin@example.com\x00"} {
			_, err := s.UserByEmail(ctx, email)
			wantKind(t, err, priceline.KindNotFound, "")
		}
		_, err := s.UserBySubject(ctx, priceline.ProviderB2C, "nobody")
		wantKind(t, err, priceline.KindNotFound, "")
		_, err = s.UserBySubject(ctx, priceline.ProviderB2C, "")
		wantKind(t, err, priceline.KindNotFound, "")
	})

	t.Run("HostileEmailsStoredExactlyAndIsolated", func(t *testing.T) {
		s := newStore(t)
		victim := localUser("victim@example.com")
		if err := s.CreateUser(ctx, victim); err != nil {
			t.Fatalf("CreateUser(victim): %v", err)
		}
		ids := map[string]string{}
		for name, email := range hostileStrings() {
			u := localUser(email)
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("%s: CreateUser(%.40q): %v", name, email, err)
			}
			ids[email] = u.ID
		}
		for name, email := range hostileStrings() {
			got, err := s.UserByEmail(ctx, email)
			if err != nil {
				t.Fatalf("%s: UserByEmail(%.40q): %v", name, email, err)
			}
			if got.ID != ids[email] || got.Email != email {
				t.Errorf("%s: UserByEmail(%.40q) = user %s with email %.40q; want %s", name, email, got.ID, got.Email, ids[email])
			}
			wantKind(t, s.CreateUser(ctx, localUser(email)), priceline.KindConflict, "email_taken")
		}
		got, err := s.UserByEmail(ctx, "victim@example.com")
		if err != nil || got.ID != victim.ID {
			t.Errorf("victim lookup after hostile registrations = %v, %v", got, err)
		}
	})

	t.Run("HostileSubjectsStoredExactly", func(t *testing.T) {
		s := newStore(t)
		for name, subject := range hostileStrings() {
			u := cloudUser(subject)
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("%s: CreateUser: %v", name, err)
			}
			got, err := s.UserBySubject(ctx, priceline.ProviderB2C, subject)
			if err != nil || got.ID != u.ID || got.Subject != subject {
				t.Fatalf("%s: UserBySubject = %v, %v; want %s", name, got, err, u.ID)
			}
			_, err = s.UserBySubject(ctx, priceline.ProviderLocal, subject)
			wantKind(t, err, priceline.KindNotFound, "")
		}
	})

	t.Run("UpdatePasswordHash", func(t *testing.T) {
		s := newStore(t)
		u := localUser("frank@example.com")
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if err := s.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, "$argon2id$new"); err != nil {
			t.Fatalf("UpdatePasswordHash: %v", err)
		}
		got, err := s.UserByEmail(ctx, u.Email)
		if err != nil {
			t.Fatalf("UserByEmail: %v", err)
		}
		if got.PasswordHash != "$argon2id$new" || got.Email != u.Email || got.Name != u.Name {
			t.Errorf("after UpdatePasswordHash got %+v", got)
		}
		// A stale expectation (a rehash racing a password change) writes nothing.
		wantKind(t, s.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, "$argon2id$stale"), priceline.KindConflict, "password_changed")
		if again, _ := s.UserByEmail(ctx, u.Email); again == nil || again.PasswordHash != "$argon2id$new" {
			t.Errorf("a stale update changed the hash: %+v", again)
		}
		wantKind(t, s.UpdatePasswordHash(ctx, priceline.NewUserID(), "", "$argon2id$x"), priceline.KindNotFound, "")
		wantKind(t, s.UpdatePasswordHash(ctx, "' or 1 eq 1", "", "$argon2id$x"), priceline.KindNotFound, "")
	})

	t.Run("PasswordHintFollowsTheHash", func(t *testing.T) {
		s := newStore(t)
		u := localUser("hint@example.com")
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		id, hash, err := s.PasswordHint(ctx, u.Email)
		if err != nil || id != u.ID || hash != u.PasswordHash {
			t.Fatalf("PasswordHint = %q, %q, %v; want %s and its hash", id, hash, err, u.ID)
		}
		if err := s.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, "$argon2id$changed"); err != nil {
			t.Fatalf("UpdatePasswordHash: %v", err)
		}
		if _, hash, err := s.PasswordHint(ctx, u.Email); err != nil || hash != "$argon2id$changed" {
			t.Errorf("PasswordHint after a password change = %q, %v", hash, err)
		}
		if err := s.RepairPasswordHint(ctx, u.ID); err != nil {
			t.Errorf("RepairPasswordHint of a current copy: %v", err)
		}
		if _, hash, _ := s.PasswordHint(ctx, u.Email); hash != "$argon2id$changed" {
			t.Errorf("RepairPasswordHint changed a current copy to %q", hash)
		}
		wantKind(t, s.RepairPasswordHint(ctx, priceline.NewUserID()), priceline.KindNotFound, "")
		c := cloudUser("hint-subject")
		c.Email = "cloud-hint@example.com"
		if err := s.CreateUser(ctx, c); err != nil {
			t.Fatalf("CreateUser(cloud): %v", err)
		}
		for _, email := range []string{"cloud-hint@example.com", "nobody@example.com", "", "' or 1 eq 1", "HINT@example.com"} {
			if _, _, err := s.PasswordHint(ctx, email); !priceline.IsNotFound(err) {
				t.Errorf("PasswordHint(%q) error = %v, want not found", email, err)
			}
		}
	})

	t.Run("UpdateProfile", func(t *testing.T) {
		s := newStore(t)
		cloud := cloudUser("sub-profile")
		if err := s.CreateUser(ctx, cloud); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if err := s.UpdateProfile(ctx, cloud.ID, "Renamed User", "renamed@example.com"); err != nil {
			t.Fatalf("UpdateProfile: %v", err)
		}
		got, err := s.UserBySubject(ctx, priceline.ProviderB2C, "sub-profile")
		if err != nil {
			t.Fatalf("UserBySubject after UpdateProfile: %v", err)
		}
		want := *cloud
		want.Name, want.Email, want.UpdatedAt = "Renamed User", "renamed@example.com", got.UpdatedAt
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("after UpdateProfile mismatch (-want, +got):\n%s", diff)
		}
		if got.UpdatedAt.Before(cloud.UpdatedAt) {
			t.Errorf("UpdatedAt went back: %v before %v", got.UpdatedAt, cloud.UpdatedAt)
		}
		// A cloud user's email is only shown: it may be cleared.
		if err := s.UpdateProfile(ctx, cloud.ID, "Renamed User", ""); err != nil {
			t.Fatalf("UpdateProfile(no email): %v", err)
		}
		if got, err := s.UserByID(ctx, cloud.ID); err != nil || got.Email != "" {
			t.Fatalf("after clearing the email got %+v, %v", got, err)
		}

		// A local user's email is its sign-in key: the name may change, the
		// email may not, and a refused change writes nothing.
		local := localUser("henry@example.com")
		if err := s.CreateUser(ctx, local); err != nil {
			t.Fatalf("CreateUser(local): %v", err)
		}
		wantKind(t, s.UpdateProfile(ctx, local.ID, "Henry", "other@example.com"), priceline.KindInvalid, "email_change_not_supported")
		if got, err := s.UserByEmail(ctx, "henry@example.com"); err != nil || got.Name != local.Name {
			t.Fatalf("a refused profile change was written: %+v, %v", got, err)
		}
		if err := s.UpdateProfile(ctx, local.ID, "Henry", local.Email); err != nil {
			t.Fatalf("UpdateProfile(local, same email): %v", err)
		}
		if got, err := s.UserByEmail(ctx, "henry@example.com"); err != nil || got.Name != "Henry" || got.PasswordHash != local.PasswordHash {
			t.Fatalf("after renaming the local user got %+v, %v", got, err)
		}

		wantKind(t, s.UpdateProfile(ctx, priceline.NewUserID(), "x", ""), priceline.KindNotFound, "")
		wantKind(t, s.UpdateProfile(ctx, "' or 1 eq 1", "x", ""), priceline.KindNotFound, "")
	})

	t.Run("InvalidUserRejectedAndNothingWritten", func(t *testing.T) {
		s := newStore(t)
		bad := localUser("gina@example.com")
		bad.ID = "not-a-hex-id"
		wantKind(t, s.CreateUser(ctx, bad), priceline.KindInvalid, "")
		_, err := s.UserByEmail(ctx, "gina@example.com")
		wantKind(t, err, priceline.KindNotFound, "")
		noEmail := localUser("")
		wantKind(t, s.CreateUser(ctx, noEmail), priceline.KindInvalid, "")
		noSubject := cloudUser("")
		wantKind(t, s.CreateUser(ctx, noSubject), priceline.KindInvalid, "")
	})

	t.Run("MarkEmailVerified", func(t *testing.T) {
		s := newStore(t)
		u := localUser("verify@example.com")
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.MarkEmailVerified(ctx, u.ID, "other@example.com"), priceline.KindConflict, "email_changed")
		if got, _ := s.UserByID(ctx, u.ID); got.EmailVerified {
			t.Fatal("verified for another address")
		}
		if err := s.MarkEmailVerified(ctx, u.ID, u.Email); err != nil {
			t.Fatalf("MarkEmailVerified: %v", err)
		}
		got, err := s.UserByID(ctx, u.ID)
		if err != nil || !got.EmailVerified || got.PasswordHash != u.PasswordHash {
			t.Fatalf("after MarkEmailVerified: %+v, %v", got, err)
		}
		wantKind(t, s.MarkEmailVerified(ctx, priceline.NewUserID(), u.Email), priceline.KindNotFound, "")
	})

	t.Run("ChangeEmailMovesTheIndex", func(t *testing.T) {
		s := newStore(t)
		u := localUser("old@example.com")
		other := localUser("taken@example.com")
		for _, x := range []*priceline.User{u, other} {
			if err := s.CreateUser(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		wantKind(t, s.ChangeEmail(ctx, u.ID, u.Email, other.Email), priceline.KindConflict, "email_taken")
		wantKind(t, s.ChangeEmail(ctx, u.ID, "stale@example.com", "new@example.com"), priceline.KindConflict, "email_changed")
		if got, err := s.UserByEmail(ctx, "old@example.com"); err != nil || got.ID != u.ID {
			t.Fatalf("refused changes moved the address: %v, %v", got, err)
		}
		if got, err := s.UserByEmail(ctx, other.Email); err != nil || got.ID != other.ID {
			t.Fatalf("refused change took another account's address: %v, %v", got, err)
		}
		if err := s.ChangeEmail(ctx, u.ID, u.Email, "new@example.com"); err != nil {
			t.Fatalf("ChangeEmail: %v", err)
		}
		got, err := s.UserByEmail(ctx, "new@example.com")
		if err != nil || got.ID != u.ID || !got.EmailVerified || got.Email != "new@example.com" {
			t.Fatalf("by new address: %+v, %v", got, err)
		}
		if id, hint, err := s.PasswordHint(ctx, "new@example.com"); err != nil || id != u.ID || (hint != "" && hint != u.PasswordHash) {
			t.Fatalf("PasswordHint of new address = %q, %q, %v", id, hint, err)
		}
		_, err = s.UserByEmail(ctx, "old@example.com")
		wantKind(t, err, priceline.KindNotFound, "")
		// The old address is free for a new account.
		if err := s.CreateUser(ctx, localUser("old@example.com")); err != nil {
			t.Fatalf("register the released address: %v", err)
		}
		wantKind(t, s.ChangeEmail(ctx, priceline.NewUserID(), "a@example.com", "b@example.com"), priceline.KindNotFound, "")
	})

	t.Run("ChangeEmailRaceGivesOneAddressOneAccount", func(t *testing.T) {
		s := newStore(t)
		a, b := localUser("a-race@example.com"), localUser("b-race@example.com")
		for _, x := range []*priceline.User{a, b} {
			if err := s.CreateUser(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, 2)
		for _, x := range []*priceline.User{a, b} {
			go func() { errs <- s.ChangeEmail(ctx, x.ID, x.Email, "both@example.com") }()
		}
		won := 0
		for range 2 {
			if err := <-errs; err == nil {
				won++
			} else {
				wantKind(t, err, priceline.KindConflict, "email_taken")
			}
		}
		if won != 1 {
			t.Fatalf("%d changes to one address succeeded, want 1", won)
		}
		holder, err := s.UserByEmail(ctx, "both@example.com")
		if err != nil {
			t.Fatal(err)
		}
		loser := a
		if holder.ID == a.ID {
			loser = b
		}
		if got, _ := s.UserByID(ctx, loser.ID); got.Email != loser.Email {
			t.Fatalf("the losing account's email became %q", got.Email)
		}
	})

	t.Run("DeleteUser", func(t *testing.T) {
		s := newStore(t)
		u, c := localUser("gone@example.com"), cloudUser("gone-subject")
		for _, x := range []*priceline.User{u, c} {
			if err := s.CreateUser(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		for _, x := range []*priceline.User{u, c} {
			if err := s.DeleteUser(ctx, x.ID); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			_, err := s.UserByID(ctx, x.ID)
			wantKind(t, err, priceline.KindNotFound, "")
		}
		_, err := s.UserByEmail(ctx, u.Email)
		wantKind(t, err, priceline.KindNotFound, "")
		_, err = s.UserBySubject(ctx, c.Provider, c.Subject)
		wantKind(t, err, priceline.KindNotFound, "")
		// The address and the subject can be used again at once.
		if err := s.CreateUser(ctx, localUser(u.Email)); err != nil {
			t.Fatalf("register a deleted account's address: %v", err)
		}
		if err := s.CreateUser(ctx, cloudUser(c.Subject)); err != nil {
			t.Fatalf("sign up a deleted account's subject: %v", err)
		}
		if err := s.DeleteUser(ctx, priceline.NewUserID()); err != nil {
			t.Fatalf("DeleteUser of nobody: %v", err)
		}
	})
}
