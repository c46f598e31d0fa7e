package pricelinetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"hospitalpriceline/functions/priceline"
)

// TestTOTPStore runs the TOTPStore contract against stores made by newStore.
func TestTOTPStore(t *testing.T, newStore func(t *testing.T) priceline.TOTPStore) {
	ctx := context.Background()
	newEnrolment := func() *priceline.TOTPEnrolment {
		return &priceline.TOTPEnrolment{UserID: priceline.NewUserID(), SealedSecret: []byte{0, 1, 2, 0xff, 'x'}, CreatedAt: ms(0)}
	}

	t.Run("PutReadReplaceDelete", func(t *testing.T) {
		s := newStore(t)
		e := newEnrolment()
		if err := s.PutTOTP(ctx, e); err != nil {
			t.Fatalf("PutTOTP: %v", err)
		}
		got, err := s.TOTP(ctx, e.UserID)
		if err != nil {
			t.Fatalf("TOTP: %v", err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("TOTP mismatch (-want, +got):\n%s", diff)
		}
		e2 := newEnrolment()
		e2.UserID, e2.SealedSecret = e.UserID, []byte("other")
		if err := s.PutTOTP(ctx, e2); err != nil {
			t.Fatalf("second PutTOTP: %v", err)
		}
		if got, _ := s.TOTP(ctx, e.UserID); got == nil || string(got.SealedSecret) != "other" || got.Confirmed {
			t.Errorf("after replace: %+v, want the new unconfirmed enrolment", got)
		}
		if err := s.DeleteTOTP(ctx, e.UserID); err != nil {
			t.Fatalf("DeleteTOTP: %v", err)
		}
		_, err = s.TOTP(ctx, e.UserID)
		wantKind(t, err, priceline.KindNotFound, "totp_not_found")
		if err := s.DeleteTOTP(ctx, e.UserID); err != nil {
			t.Errorf("DeleteTOTP of a missing enrolment: %v", err)
		}
	})

	// RFC 6238 §5.2 / NIST SP 800-63B 5.1.4.2: of two uses of one code only
	// one may succeed, which the service gets from this conditional update.
	t.Run("NIST_800_63B_OTPUsedOnce_UpdateIsConditional", func(t *testing.T) {
		s := newStore(t)
		e := newEnrolment()
		if err := s.PutTOTP(ctx, e); err != nil {
			t.Fatalf("PutTOTP: %v", err)
		}
		a, _ := s.TOTP(ctx, e.UserID)
		b, _ := s.TOTP(ctx, e.UserID)
		a.Confirmed, a.LastStep = true, 59_000_001
		if err := s.UpdateTOTP(ctx, a); err != nil {
			t.Fatalf("UpdateTOTP: %v", err)
		}
		b.LastStep = 59_000_001
		wantKind(t, s.UpdateTOTP(ctx, b), priceline.KindConflict, "")
		got, _ := s.TOTP(ctx, e.UserID)
		if !got.Confirmed || got.LastStep != 59_000_001 || got.Version != a.Version {
			t.Errorf("after update: %+v, want confirmed at step 59000001 with version %q", got, a.Version)
		}
		if err := s.DeleteTOTP(ctx, e.UserID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.UpdateTOTP(ctx, a), priceline.KindNotFound, "")
	})

	t.Run("RefusesBadInput", func(t *testing.T) {
		s := newStore(t)
		wantKind(t, s.PutTOTP(ctx, &priceline.TOTPEnrolment{UserID: "x'or", SealedSecret: []byte("s")}), priceline.KindInvalid, "")
		wantKind(t, s.PutTOTP(ctx, &priceline.TOTPEnrolment{UserID: priceline.NewUserID()}), priceline.KindInvalid, "")
		_, err := s.TOTP(ctx, "x' or true or ''='")
		wantKind(t, err, priceline.KindNotFound, "")
		wantKind(t, s.UpdateTOTP(ctx, nil), priceline.KindNotFound, "totp_not_found")
	})
}

// RecoveryHash is how tests make a stored recovery-code hash.
func RecoveryHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// TestRecoveryCodeStore runs the RecoveryCodeStore contract.
func TestRecoveryCodeStore(t *testing.T, newStore func(t *testing.T) priceline.RecoveryCodeStore) {
	ctx := context.Background()

	// NIST SP 800-63B 5.1.2.2: a look-up secret is used once.
	t.Run("NIST_800_63B_LookupSecretUsedOnce", func(t *testing.T) {
		s := newStore(t)
		user, other := priceline.NewUserID(), priceline.NewUserID()
		hashes := []string{RecoveryHash("a"), RecoveryHash("b"), RecoveryHash("c")}
		if err := s.ReplaceRecoveryCodes(ctx, user, hashes, ms(0)); err != nil {
			t.Fatalf("ReplaceRecoveryCodes: %v", err)
		}
		if n, err := s.RecoveryCodesLeft(ctx, user); err != nil || n != 3 {
			t.Fatalf("RecoveryCodesLeft = %d, %v; want 3", n, err)
		}
		wantKind(t, s.UseRecoveryCode(ctx, other, hashes[0]), priceline.KindNotFound, "recovery_code_not_found")
		if err := s.UseRecoveryCode(ctx, user, hashes[0]); err != nil {
			t.Fatalf("UseRecoveryCode: %v", err)
		}
		wantKind(t, s.UseRecoveryCode(ctx, user, hashes[0]), priceline.KindNotFound, "recovery_code_not_found")
		if n, _ := s.RecoveryCodesLeft(ctx, user); n != 2 {
			t.Errorf("RecoveryCodesLeft = %d, want 2", n)
		}
	})

	t.Run("ConcurrentUsesOneWins", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		h := RecoveryHash("z")
		if err := s.ReplaceRecoveryCodes(ctx, user, []string{h}, ms(0)); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = s.UseRecoveryCode(ctx, user, h) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if priceline.ErrorKind(err) != priceline.KindNotFound {
				t.Errorf("UseRecoveryCode: %v", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d concurrent uses succeeded, want 1", wins)
		}
	})

	t.Run("ReplaceDropsOldCodes", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		if err := s.ReplaceRecoveryCodes(ctx, user, []string{RecoveryHash("old1"), RecoveryHash("old2")}, ms(0)); err != nil {
			t.Fatal(err)
		}
		if err := s.ReplaceRecoveryCodes(ctx, user, []string{RecoveryHash("new")}, ms(time.Minute)); err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.UseRecoveryCode(ctx, user, RecoveryHash("old1")), priceline.KindNotFound, "recovery_code_not_found")
		if n, _ := s.RecoveryCodesLeft(ctx, user); n != 1 {
			t.Errorf("RecoveryCodesLeft = %d, want 1", n)
		}
		if err := s.DeleteRecoveryCodes(ctx, user); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, user); n != 0 {
			t.Errorf("after delete RecoveryCodesLeft = %d, want 0", n)
		}
	})

	t.Run("RefusesBadInput", func(t *testing.T) {
		s := newStore(t)
		wantKind(t, s.ReplaceRecoveryCodes(ctx, "x'or", nil, ms(0)), priceline.KindInvalid, "")
		wantKind(t, s.ReplaceRecoveryCodes(ctx, priceline.NewUserID(), []string{"plain code"}, ms(0)), priceline.KindInvalid, "")
		wantKind(t, s.UseRecoveryCode(ctx, priceline.NewUserID(), "x' or true or ''='"), priceline.KindNotFound, "")
	})
}

// NewPasskey returns a valid passkey of userID for tests.
func NewPasskey(userID string, created time.Time) *priceline.Passkey {
	return &priceline.Passkey{
		ID: "cred-" + priceline.NewToken(16), UserID: userID, Name: "Laptop ‘Touch ID’",
		PublicKey: []byte{0xa5, 1, 2, 3, 0x26}, AttestationType: "none", AAGUID: make([]byte, 16),
		Transports: []string{"internal", "hybrid"}, SignCount: 3, BackupEligible: true, BackupState: true,
		CreatedAt: created,
	}
}

// TestPasskeyStore runs the PasskeyStore contract.
func TestPasskeyStore(t *testing.T, newStore func(t *testing.T) priceline.PasskeyStore) {
	ctx := context.Background()
	ignoreVersion := cmpopts.IgnoreFields(priceline.Passkey{}, "Version")

	t.Run("AddFindListUpdateDelete", func(t *testing.T) {
		s := newStore(t)
		user := priceline.NewUserID()
		p1, p2 := NewPasskey(user, ms(0)), NewPasskey(user, ms(time.Minute))
		for _, p := range []*priceline.Passkey{p2, p1} {
			if err := s.AddPasskey(ctx, p); err != nil {
				t.Fatalf("AddPasskey: %v", err)
			}
		}
		got, err := s.PasskeyByID(ctx, p1.ID)
		if err != nil {
			t.Fatalf("PasskeyByID: %v", err)
		}
		if diff := cmp.Diff(p1, got, ignoreVersion); diff != "" {
			t.Errorf("PasskeyByID mismatch (-want, +got):\n%s", diff)
		}
		list, err := s.UserPasskeys(ctx, user)
		if err != nil {
			t.Fatalf("UserPasskeys: %v", err)
		}
		if diff := cmp.Diff([]*priceline.Passkey{p1, p2}, list, ignoreVersion); diff != "" {
			t.Errorf("UserPasskeys mismatch (-want, +got):\n%s", diff)
		}
		if other, _ := s.UserPasskeys(ctx, priceline.NewUserID()); len(other) != 0 {
			t.Errorf("another user lists %d passkeys, want 0", len(other))
		}
		got.SignCount, got.BackupState, got.LastUsedAt = 9, false, ms(2*time.Minute)
		if err := s.UpdatePasskeyUse(ctx, got); err != nil {
			t.Fatalf("UpdatePasskeyUse: %v", err)
		}
		stale := *got
		stale.Version = "W/\"stale\""
		wantKind(t, s.UpdatePasskeyUse(ctx, &stale), priceline.KindConflict, "")
		again, _ := s.PasskeyByID(ctx, p1.ID)
		if again.SignCount != 9 || again.BackupState || !again.LastUsedAt.Equal(ms(2*time.Minute)) {
			t.Errorf("after use: %+v", again)
		}
		wantKind(t, s.DeletePasskey(ctx, priceline.NewUserID(), p1.ID), priceline.KindNotFound, "passkey_not_found")
		if err := s.DeletePasskey(ctx, user, p1.ID); err != nil {
			t.Fatalf("DeletePasskey: %v", err)
		}
		_, err = s.PasskeyByID(ctx, p1.ID)
		wantKind(t, err, priceline.KindNotFound, "passkey_not_found")
		wantKind(t, s.DeletePasskey(ctx, user, p1.ID), priceline.KindNotFound, "passkey_not_found")
	})

	// A credential ID belongs to one user: registering it again, for anyone,
	// must not move it (the attack: claim a victim's credential ID).
	t.Run("CredentialOfAnotherUserRefused", func(t *testing.T) {
		s := newStore(t)
		p := NewPasskey(priceline.NewUserID(), ms(0))
		if err := s.AddPasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
		thief := NewPasskey(priceline.NewUserID(), ms(time.Minute))
		thief.ID = p.ID
		wantKind(t, s.AddPasskey(ctx, thief), priceline.KindConflict, "passkey_exists")
		got, _ := s.PasskeyByID(ctx, p.ID)
		if got == nil || got.UserID != p.UserID {
			t.Errorf("credential now belongs to %+v, want the first user", got)
		}
	})

	// The use of a sign-in is written only to the signer's own credential:
	// another user's is not found and keeps its counter.
	t.Run("UseOfAnotherUsersPasskeyRefused", func(t *testing.T) {
		s := newStore(t)
		p := NewPasskey(priceline.NewUserID(), ms(0))
		if err := s.AddPasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
		forged := *p
		forged.UserID, forged.SignCount = priceline.NewUserID(), 99
		wantKind(t, s.UpdatePasskeyUse(ctx, &forged), priceline.KindNotFound, "passkey_not_found")
		wantKind(t, s.UpdatePasskeyUse(ctx, nil), priceline.KindNotFound, "passkey_not_found")
		if got, _ := s.PasskeyByID(ctx, p.ID); got == nil || got.SignCount != p.SignCount {
			t.Errorf("after a use by another user: %+v, want sign count %d", got, p.SignCount)
		}
	})

	t.Run("DeleteUserPasskeysRemovesThatUsersOnly", func(t *testing.T) {
		s := newStore(t)
		user, other := priceline.NewUserID(), priceline.NewUserID()
		mine1, mine2, theirs := NewPasskey(user, ms(0)), NewPasskey(user, ms(time.Minute)), NewPasskey(other, ms(0))
		for _, p := range []*priceline.Passkey{mine1, mine2, theirs} {
			if err := s.AddPasskey(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteUserPasskeys(ctx, user); err != nil {
			t.Fatalf("DeleteUserPasskeys: %v", err)
		}
		if list, err := s.UserPasskeys(ctx, user); err != nil || len(list) != 0 {
			t.Errorf("after DeleteUserPasskeys: %d passkeys, %v", len(list), err)
		}
		for _, p := range []*priceline.Passkey{mine1, mine2} {
			_, err := s.PasskeyByID(ctx, p.ID)
			wantKind(t, err, priceline.KindNotFound, "passkey_not_found")
		}
		if got, err := s.PasskeyByID(ctx, theirs.ID); err != nil || got.UserID != other {
			t.Errorf("another user's passkey: %+v, %v", got, err)
		}
		// The credential ID is free again.
		again := NewPasskey(other, ms(2*time.Minute))
		again.ID = mine1.ID
		if err := s.AddPasskey(ctx, again); err != nil {
			t.Errorf("re-adding a deleted credential ID: %v", err)
		}
		if err := s.DeleteUserPasskeys(ctx, priceline.NewUserID()); err != nil {
			t.Errorf("DeleteUserPasskeys of a user with none: %v", err)
		}
	})

	t.Run("RefusesBadInput", func(t *testing.T) {
		s := newStore(t)
		bad := NewPasskey(priceline.NewUserID(), ms(0))
		bad.ID = "a/b'c"
		wantKind(t, s.AddPasskey(ctx, bad), priceline.KindInvalid, "invalid_passkey")
		bad = NewPasskey("nope", ms(0))
		wantKind(t, s.AddPasskey(ctx, bad), priceline.KindInvalid, "invalid_passkey")
		_, err := s.PasskeyByID(ctx, "x' or true or ''='")
		wantKind(t, err, priceline.KindNotFound, "")
	})
}

func newChallenge(kind string, now time.Time) *priceline.Challenge {
	return &priceline.Challenge{
		ID: priceline.NewToken(32), Kind: kind, UserID: priceline.NewUserID(),
		Data: []byte(`{"challenge":"abc"}`), ReturnTo: "/saved?x=1",
		CreatedAt: now, ExpiresAt: now.Add(priceline.ChallengeLifetime),
	}
}

// TestChallengeStore runs the ChallengeStore contract against stores whose
// clock is the wall clock.
func TestChallengeStore(t *testing.T, newStore func(t *testing.T) priceline.ChallengeStore) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	t.Run("PutAndTakeOnce", func(t *testing.T) {
		s := newStore(t)
		for _, kind := range priceline.ChallengeKinds {
			c := newChallenge(kind, now)
			want := *c
			if err := s.PutChallenge(ctx, c); err != nil {
				t.Fatalf("PutChallenge: %v", err)
			}
			wantKind(t, s.PutChallenge(ctx, c), priceline.KindConflict, "")
			got, err := s.TakeChallenge(ctx, c.ID)
			if err != nil {
				t.Fatalf("TakeChallenge: %v", err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("TakeChallenge mismatch (-want, +got):\n%s", diff)
			}
			_, err = s.TakeChallenge(ctx, c.ID)
			wantKind(t, err, priceline.KindNotFound, "challenge_not_found")
		}
	})

	t.Run("ConcurrentTakesOneWins", func(t *testing.T) {
		s := newStore(t)
		c := newChallenge(priceline.ChallengeMFASignIn, now)
		if err := s.PutChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = s.TakeChallenge(ctx, c.ID) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if priceline.ErrorKind(err) != priceline.KindNotFound {
				t.Errorf("TakeChallenge: %v", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d concurrent takes succeeded, want 1", wins)
		}
	})

	t.Run("ExpiredRefusedAndSwept", func(t *testing.T) {
		s := newStore(t)
		old := newChallenge(priceline.ChallengePasskeySignIn, now.Add(-time.Hour))
		old.UserID = ""
		live := newChallenge(priceline.ChallengePasskeyRegister, now)
		for _, c := range []*priceline.Challenge{old, live} {
			if err := s.PutChallenge(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		old2 := newChallenge(priceline.ChallengeMFASignIn, now.Add(-time.Hour))
		if err := s.PutChallenge(ctx, old2); err != nil {
			t.Fatal(err)
		}
		_, err := s.TakeChallenge(ctx, old.ID)
		wantKind(t, err, priceline.KindNotFound, "challenge_expired")
		n, err := s.DeleteExpiredChallenges(ctx, now)
		if err != nil || n != 1 {
			t.Errorf("DeleteExpiredChallenges = %d, %v; want 1", n, err)
		}
		if _, err := s.TakeChallenge(ctx, live.ID); err != nil {
			t.Errorf("live challenge: %v", err)
		}
	})

	t.Run("RefusesBadInput", func(t *testing.T) {
		s := newStore(t)
		for name, mut := range map[string]func(c *priceline.Challenge){
			"id":     func(c *priceline.Challenge) { c.ID = "x' or true" },
			"kind":   func(c *priceline.Challenge) { c.Kind = "other" },
			"user":   func(c *priceline.Challenge) { c.UserID = "../u" },
			"expiry": func(c *priceline.Challenge) { c.ExpiresAt = c.CreatedAt },
		} {
			c := newChallenge(priceline.ChallengeMFASignIn, now)
			mut(c)
			if err := s.PutChallenge(ctx, c); priceline.ErrorKind(err) != priceline.KindInvalid {
				t.Errorf("%s: PutChallenge = %v, want invalid", name, err)
			}
		}
		_, err := s.TakeChallenge(ctx, "x' or true or ''='")
		wantKind(t, err, priceline.KindNotFound, "challenge_not_found")
	})
}
