package pricelinetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

func accountToken(userID, purpose string) (*priceline.AccountToken, string) {
	_, hash := priceline.NewAccountToken(userID, purpose)
	return &priceline.AccountToken{
		UserID: userID, Purpose: purpose, Hash: hash, Email: "ada@example.org",
		CreatedAt: ms(0), ExpiresAt: ms(30 * time.Minute),
	}, hash
}

// TestAccountTokenStore runs the AccountTokenStore contract against stores
// made by newStore.
func TestAccountTokenStore(t *testing.T, newStore func(t *testing.T) priceline.AccountTokenStore) {
	ctx := context.Background()

	t.Run("PutThenTakeOnce", func(t *testing.T) {
		s := newStore(t)
		tok, hash := accountToken(priceline.NewUserID(), priceline.TokenResetPassword)
		want := *tok
		if err := s.PutAccountToken(ctx, tok); err != nil {
			t.Fatalf("PutAccountToken: %v", err)
		}
		got, err := s.TakeAccountToken(ctx, tok.UserID, tok.Purpose, hash)
		if err != nil {
			t.Fatalf("TakeAccountToken: %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("token mismatch (-want, +got):\n%s", diff)
		}
		_, err = s.TakeAccountToken(ctx, tok.UserID, tok.Purpose, hash)
		wantKind(t, err, priceline.KindNotFound, "")
	})

	t.Run("NewTokenReplacesOld", func(t *testing.T) {
		s := newStore(t)
		id := priceline.NewUserID()
		old, oldHash := accountToken(id, priceline.TokenResetPassword)
		if err := s.PutAccountToken(ctx, old); err != nil {
			t.Fatal(err)
		}
		fresh, freshHash := accountToken(id, priceline.TokenResetPassword)
		if err := s.PutAccountToken(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		_, err := s.TakeAccountToken(ctx, id, priceline.TokenResetPassword, oldHash)
		wantKind(t, err, priceline.KindNotFound, "")
		if _, err := s.TakeAccountToken(ctx, id, priceline.TokenResetPassword, freshHash); err != nil {
			t.Fatalf("fresh token after a wrong one: %v", err)
		}
	})

	t.Run("PurposesAndUsersAreSeparate", func(t *testing.T) {
		s := newStore(t)
		id := priceline.NewUserID()
		reset, resetHash := accountToken(id, priceline.TokenResetPassword)
		verify, verifyHash := accountToken(id, priceline.TokenVerifyEmail)
		for _, tok := range []*priceline.AccountToken{reset, verify} {
			if err := s.PutAccountToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		_, err := s.TakeAccountToken(ctx, id, priceline.TokenVerifyEmail, resetHash)
		wantKind(t, err, priceline.KindNotFound, "")
		_, err = s.TakeAccountToken(ctx, priceline.NewUserID(), priceline.TokenResetPassword, resetHash)
		wantKind(t, err, priceline.KindNotFound, "")
		if _, err := s.TakeAccountToken(ctx, id, priceline.TokenVerifyEmail, verifyHash); err != nil {
			t.Fatalf("verify token: %v", err)
		}
		if _, err := s.TakeAccountToken(ctx, id, priceline.TokenResetPassword, resetHash); err != nil {
			t.Fatalf("reset token: %v", err)
		}
	})

	t.Run("TakenOnceUnderRace", func(t *testing.T) {
		s := newStore(t)
		tok, hash := accountToken(priceline.NewUserID(), priceline.TokenChangeEmail)
		if err := s.PutAccountToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.TakeAccountToken(ctx, tok.UserID, tok.Purpose, hash); err == nil {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d takes succeeded, want 1", wins.Load())
		}
	})

	t.Run("DeleteAccountTokens", func(t *testing.T) {
		s := newStore(t)
		id, other := priceline.NewUserID(), priceline.NewUserID()
		a, aHash := accountToken(id, priceline.TokenVerifyEmail)
		b, bHash := accountToken(other, priceline.TokenVerifyEmail)
		for _, tok := range []*priceline.AccountToken{a, b} {
			if err := s.PutAccountToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteAccountTokens(ctx, id); err != nil {
			t.Fatalf("DeleteAccountTokens: %v", err)
		}
		_, err := s.TakeAccountToken(ctx, id, priceline.TokenVerifyEmail, aHash)
		wantKind(t, err, priceline.KindNotFound, "")
		if _, err := s.TakeAccountToken(ctx, other, priceline.TokenVerifyEmail, bHash); err != nil {
			t.Fatalf("another user's token went too: %v", err)
		}
		if err := s.DeleteAccountTokens(ctx, priceline.NewUserID()); err != nil {
			t.Fatalf("DeleteAccountTokens of nobody: %v", err)
		}
	})

	// Unused links do not stay stored: the clean-up timer sweeps the
	// expired ones, of every user and purpose, and only those.
	t.Run("DeleteExpiredAccountTokens", func(t *testing.T) {
		s := newStore(t)
		id, other := priceline.NewUserID(), priceline.NewUserID()
		expired, expiredHash := accountToken(id, priceline.TokenResetPassword)
		expired.ExpiresAt = ms(-time.Minute)
		atNow, atNowHash := accountToken(other, priceline.TokenChangeEmail)
		atNow.ExpiresAt = ms(0)
		live, liveHash := accountToken(id, priceline.TokenVerifyEmail)
		grant := &priceline.AccountToken{UserID: other, Purpose: priceline.TokenReauth,
			Hash: priceline.ReauthGrantHash("delete", priceline.SessionKey("s")), CreatedAt: ms(-time.Minute), ExpiresAt: ms(4 * time.Minute)}
		for _, tok := range []*priceline.AccountToken{expired, atNow, live, grant} {
			if err := s.PutAccountToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DeleteExpiredAccountTokens(ctx, ms(0))
		if err != nil {
			t.Fatalf("DeleteExpiredAccountTokens: %v", err)
		}
		if n < 2 {
			t.Errorf("deleted %d, want at least the 2 expired tokens", n)
		}
		_, err = s.TakeAccountToken(ctx, id, priceline.TokenResetPassword, expiredHash)
		wantKind(t, err, priceline.KindNotFound, "")
		_, err = s.TakeAccountToken(ctx, other, priceline.TokenChangeEmail, atNowHash)
		wantKind(t, err, priceline.KindNotFound, "")
		if _, err := s.TakeAccountToken(ctx, id, priceline.TokenVerifyEmail, liveHash); err != nil {
			t.Errorf("live token swept: %v", err)
		}
		if _, err := s.TakeAccountToken(ctx, other, priceline.TokenReauth, grant.Hash); err != nil {
			t.Errorf("live re-authentication grant swept: %v", err)
		}
	})

	t.Run("MalformedRefusedAndNothingWritten", func(t *testing.T) {
		s := newStore(t)
		for name, tok := range map[string]*priceline.AccountToken{
			"bad user":    {UserID: "x'or'1", Purpose: priceline.TokenVerifyEmail, Hash: priceline.TokenHash("a")},
			"bad purpose": {UserID: priceline.NewUserID(), Purpose: "z", Hash: priceline.TokenHash("a")},
			"bad hash":    {UserID: priceline.NewUserID(), Purpose: priceline.TokenVerifyEmail, Hash: "nothex"},
		} {
			wantKind(t, s.PutAccountToken(ctx, tok), priceline.KindInvalid, "")
			_, err := s.TakeAccountToken(ctx, tok.UserID, tok.Purpose, tok.Hash)
			if !priceline.IsNotFound(err) && priceline.ErrorKind(err) != priceline.KindInvalid {
				t.Errorf("%s: take after refused put: %v", name, err)
			}
		}
	})
}
