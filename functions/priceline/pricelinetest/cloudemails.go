package pricelinetest

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

// TestCloudEmailStore runs the CloudEmailStore contract against stores
// made by newStore.
func TestCloudEmailStore(t *testing.T, newStore func(t *testing.T) priceline.CloudEmailStore) {
	ctx := context.Background()
	accounts := func(t *testing.T, s priceline.CloudEmailStore, email string) []string {
		t.Helper()
		ids, err := s.CloudEmailAccounts(ctx, email)
		if err != nil {
			t.Fatalf("CloudEmailAccounts(%q): %v", email, err)
		}
		sort.Strings(ids)
		return ids
	}

	t.Run("SeveralAccountsShareAnAddress", func(t *testing.T) {
		s := newStore(t)
		a, b := priceline.NewUserID(), priceline.NewUserID()
		for _, id := range []string{a, b, a} { // a second Put is not an error
			if err := s.PutCloudEmail(ctx, "shared@example.org", id); err != nil {
				t.Fatalf("PutCloudEmail: %v", err)
			}
		}
		want := []string{a, b}
		sort.Strings(want)
		if diff := cmp.Diff(want, accounts(t, s, "shared@example.org")); diff != "" {
			t.Fatalf("accounts (-want, +got):\n%s", diff)
		}
		if err := s.DeleteCloudEmail(ctx, "shared@example.org", a); err != nil {
			t.Fatalf("DeleteCloudEmail: %v", err)
		}
		if diff := cmp.Diff([]string{b}, accounts(t, s, "shared@example.org")); diff != "" {
			t.Fatalf("after deleting one (-want, +got):\n%s", diff)
		}
		for _, x := range [][2]string{{"shared@example.org", a}, {"never@example.org", b}, {"", b}, {"shared@example.org", "nope"}} {
			if err := s.DeleteCloudEmail(ctx, x[0], x[1]); err != nil {
				t.Errorf("DeleteCloudEmail(%q, %q) of nothing: %v", x[0], x[1], err)
			}
		}
	})

	t.Run("AddressesComparedExactly", func(t *testing.T) {
		s := newStore(t)
		id := priceline.NewUserID()
		if err := s.PutCloudEmail(ctx, "carol@example.org", id); err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{"Carol@example.org", " carol@example.org", "carol@example.org\x00", "", "' or 1 eq 1 or ''='"} {
			if got := accounts(t, s, other); len(got) != 0 {
				t.Errorf("CloudEmailAccounts(%q) = %v, want none", other, got)
			}
		}
		for name, email := range hostileStrings() {
			if priceline.CheckText("email", email) != nil || email == "" {
				continue
			}
			hid := priceline.NewUserID()
			if err := s.PutCloudEmail(ctx, email, hid); err != nil {
				t.Fatalf("%s: PutCloudEmail: %v", name, err)
			}
			if diff := cmp.Diff([]string{hid}, accounts(t, s, email)); diff != "" {
				t.Errorf("%s: accounts (-want, +got):\n%s", name, diff)
			}
		}
		if diff := cmp.Diff([]string{id}, accounts(t, s, "carol@example.org")); diff != "" {
			t.Errorf("hostile addresses reached carol's entry (-want, +got):\n%s", diff)
		}
	})

	t.Run("InvalidRefused", func(t *testing.T) {
		s := newStore(t)
		wantKind(t, s.PutCloudEmail(ctx, "", priceline.NewUserID()), priceline.KindInvalid, "")
		for _, id := range []string{"", "user", "../x", "ABCDEF0123456789ABCDEF0123456789"} {
			wantKind(t, s.PutCloudEmail(ctx, "x@example.org", id), priceline.KindInvalid, "")
		}
		if got := accounts(t, s, "x@example.org"); len(got) != 0 {
			t.Fatalf("refused entries were written: %v", got)
		}
	})

	t.Run("AtMostMaxAccounts", func(t *testing.T) {
		s := newStore(t)
		for range priceline.MaxCloudEmailAccounts + 2 {
			if err := s.PutCloudEmail(ctx, "many@example.org", priceline.NewUserID()); err != nil {
				t.Fatal(err)
			}
		}
		if got := accounts(t, s, "many@example.org"); len(got) != priceline.MaxCloudEmailAccounts {
			t.Fatalf("%d accounts, want %d", len(got), priceline.MaxCloudEmailAccounts)
		}
	})
}
