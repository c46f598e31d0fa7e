package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth/passkeytest"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

const testOrigin = "https://priceline.test"

// newSoftKey is a passkey for the test site.
func newSoftKey(t *testing.T) *passkeytest.SoftKey {
	t.Helper()
	return passkeytest.New(t, testOrigin, "priceline.test")
}

func newPasskeyEnv(t *testing.T) *mfaEnv {
	t.Helper()
	e := newMFAEnv(t)
	wa, err := NewRelyingParty(testOrigin, "Priceline test")
	if err != nil {
		t.Fatal(err)
	}
	e.svc.MFA.WebAuthn = wa
	e.svc.MFA.Passkeys = memstore.NewPasskeys()
	return e
}

// addPasskey registers email and gives it the passkey k.
func (e *mfaEnv) addPasskey(t *testing.T, u *priceline.User, k *passkeytest.SoftKey) *priceline.Passkey {
	t.Helper()
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeyRegistration(ctx, u, goodPassword, client)
	if err != nil {
		t.Fatalf("BeginPasskeyRegistration: %v", err)
	}
	p, codes, err := e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Laptop", k.Register(t, cer.Options, u.ID), client)
	if err != nil {
		t.Fatalf("FinishPasskeyRegistration: %v", err)
	}
	if left, _ := e.mfa.RecoveryCodesLeft(ctx, u.ID); left != 10 || (codes != nil && len(codes) != 10) {
		t.Fatalf("after adding a passkey: %d recovery codes stored, %d shown; want 10", left, len(codes))
	}
	return p
}

func (e *mfaEnv) passkeySignIn(t *testing.T, k *passkeytest.SoftKey) (*Result, error) {
	t.Helper()
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeySignIn(ctx)
	if err != nil {
		t.Fatalf("BeginPasskeySignIn: %v", err)
	}
	return e.svc.FinishPasskeySignIn(ctx, cer.ID, k.Assert(t, cer.Options), client)
}

// NIST SP 800-63B-4 AAL2 / ASVS 5.0 V6.3.3: a passkey with user
// verification is multi-factor on its own and signs in with no email and
// no password; the password then asks for a second factor.
func TestASVS_V6_3_3_PasskeySignInWithoutPassword(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	p := e.addPasskey(t, u, k)
	if p.UserID != u.ID || p.Name != "Laptop" || p.SignCount != 1 {
		t.Errorf("stored passkey = %+v", p)
	}
	r, err := e.passkeySignIn(t, k)
	if err != nil {
		t.Fatalf("FinishPasskeySignIn: %v", err)
	}
	if r.User.ID != u.ID || r.Session.Method != priceline.MethodPasskey {
		t.Errorf("result = %+v", r)
	}
	got, _ := e.svc.MFA.Passkeys.PasskeyByID(context.Background(), p.ID)
	if got.SignCount != 2 || got.LastUsedAt.IsZero() {
		t.Errorf("after use: %+v", got)
	}
	pend := e.pending(t, "ada@example.org", client)
	if strings.Join(pend.Methods, ",") != "passkey,recovery" {
		t.Errorf("methods = %v, want passkey,recovery", pend.Methods)
	}
}

// A passkey-only sign-in reads the credential once in auth (for the
// throttle's owner and the check alike); the store's own owner read in
// UpdatePasskeyUse is its business and stays.
func TestPasskeySignInReadsTheCredentialOnce(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	store := e.svc.MFA.Passkeys.(*memstore.Passkeys)
	reads, lists, updates := store.Calls("PasskeyByID"), store.Calls("UserPasskeys"), store.Calls("UpdatePasskeyUse")
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatalf("FinishPasskeySignIn: %v", err)
	}
	if got := [3]int{store.Calls("PasskeyByID") - reads, store.Calls("UserPasskeys") - lists, store.Calls("UpdatePasskeyUse") - updates}; got != [3]int{1, 1, 1} {
		t.Errorf("store calls PasskeyByID, UserPasskeys, UpdatePasskeyUse = %v; want [1 1 1]", got)
	}
}

func TestPasskeyAssertionForAnotherOriginOrRPIDRefused(t *testing.T) {
	for _, tc := range []struct{ name, origin, rpID string }{
		{"origin", "https://evil.test", "priceline.test"},
		{"rpid", testOrigin, "evil.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPasskeyEnv(t)
			u := e.register(t, "ada@example.org")
			k := newSoftKey(t)
			e.addPasskey(t, u, k)
			k.Origin, k.RPID = tc.origin, tc.rpID
			_, err := e.passkeySignIn(t, k)
			wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
		})
	}
}

func TestPasskeyChallengeUsedTwiceRefused(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeySignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FinishPasskeySignIn(ctx, cer.ID, k.Assert(t, cer.Options), client); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishPasskeySignIn(ctx, cer.ID, k.Assert(t, cer.Options), client)
	wantCode(t, err, priceline.KindUnauthorized, "mfa_sign_in_expired")
}

// ASVS 5.0 V7.5.1: adding a passkey, which then signs in with no password,
// needs the current password like every other change to the sign-in
// factors. A stolen session alone cannot add the attacker's passkey; a
// wrong password issues no ceremony and counts as a failed login, and a
// throttled account is refused with 429 before the password is checked.
func TestASVS_V7_5_1_AddingAPasskeyNeedsThePassword(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	ctx := context.Background()
	for _, pw := range []string{"", "not the password"} {
		cer, err := e.svc.BeginPasskeyRegistration(ctx, u, pw, client)
		wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
		if cer != nil {
			t.Errorf("password %q: a ceremony was issued: %+v", pw, cer)
		}
	}
	if n := e.challenges.Calls("PutChallenge"); n != 0 {
		t.Errorf("%d ceremonies stored after wrong passwords, want 0", n)
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 2 {
		t.Errorf("account failures after two wrong passwords = %d, want 2", got)
	}
	if e.notices.kinds != nil {
		t.Errorf("notices after refusals = %v", e.notices.kinds)
	}

	// Throttled: refused before the check, the right password included.
	e.svc.Config.Throttle.Account = Limit{LockAt: 3}
	_, err := e.svc.BeginPasskeyRegistration(ctx, u, "still not it", client)
	wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	before := e.hasher.verifications()
	_, err = e.svc.BeginPasskeyRegistration(ctx, u, goodPassword, client)
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if e.hasher.verifications() != before {
		t.Error("a throttled account reached the password check")
	}

	// With the password, on an account that is not locked, it works.
	e = newPasskeyEnv(t)
	u = e.register(t, "ada@example.org")
	if p := e.addPasskey(t, u, newSoftKey(t)); p.UserID != u.ID {
		t.Errorf("stored passkey = %+v", p)
	}
	if got := strings.Join(e.notices.kinds, ","); got != NoticePasskeyAdded {
		t.Errorf("notices = %q", got)
	}
}

func TestPasskeyCredentialOfAnotherUserRefused(t *testing.T) {
	e := newPasskeyEnv(t)
	ada, mallory := e.register(t, "ada@example.org"), e.register(t, "mallory@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, ada, k)
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeyRegistration(ctx, mallory, goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.FinishPasskeyRegistration(ctx, mallory, cer.ID, "Stolen", k.Register(t, cer.Options, mallory.ID), client)
	wantCode(t, err, priceline.KindConflict, "passkey_exists")
	// The user handle the credential answers with must name its owner.
	k.User = []byte(mallory.ID)
	_, err = e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
}

func TestPasskeyUnsupportedAttestationFormatRefusedCleanly(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	ctx := context.Background()
	for _, format := range []string{"tpm", "android-key", "made-up"} {
		k := newSoftKey(t)
		k.Format = format
		cer, err := e.svc.BeginPasskeyRegistration(ctx, u, goodPassword, client)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Key", k.Register(t, cer.Options, u.ID), client)
		wantCode(t, err, priceline.KindInvalid, "unsupported_attestation")
	}
	cer, _ := e.svc.BeginPasskeyRegistration(ctx, u, goodPassword, client)
	_, _, err := e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Key", []byte(`{"id":"x","type":"public-key","response":{}}`), client)
	wantCode(t, err, priceline.KindInvalid, "passkey_invalid")
}

func TestPasskeyClonedAuthenticatorRefusedAndLogged(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatal(err)
	}
	k.Counter = 0 // a copy of the key whose counter is behind
	_, err := e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	if !strings.Contains(e.logs.String(), "cloned authenticator") {
		t.Errorf("no log line for the cloned authenticator:\n%s", e.logs.String())
	}
}

// ASVS 5.0 V6.5.6 (a lost factor can be revoked) with re-authentication.
func TestASVS_V6_5_6_PasskeyRemovedWithPasswordAndNotice(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	p := e.addPasskey(t, u, k)
	ctx := context.Background()
	wantCode(t, e.svc.DeletePasskey(ctx, u, p.ID, "wrong", client), priceline.KindInvalid, "current_password_incorrect")
	other := e.register(t, "grace@example.org")
	wantCode(t, e.svc.DeletePasskey(ctx, other, p.ID, goodPassword, client), priceline.KindNotFound, "passkey_not_found")
	if err := e.svc.DeletePasskey(ctx, u, p.ID, goodPassword, client); err != nil {
		t.Fatal(err)
	}
	_, err := e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	if got := strings.Join(e.notices.kinds, ","); got != "passkey_added,passkey_removed" {
		t.Errorf("notices = %q", got)
	}
}

// The owner can sign in with a passkey while wrong codes hold the account's
// code counter locked.
func TestNIST_800_63B_PasskeyWorksWhileCodesThrottled(t *testing.T) {
	e := newPasskeyEnv(t)
	u, _, _ := e.enrol(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	ctx := context.Background()
	for range 100 {
		count := func(priceline.Attempts) error { return nil }
		if _, err := e.svc.Attempts.Reserve(ctx, "mfa:"+u.ID, e.clock.Now(), time.Hour, count); err != nil {
			t.Fatal(err)
		}
	}
	p := e.pending(t, "ada@example.org", client)
	_, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: "123456"}, client)
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatalf("passkey sign-in while codes are throttled: %v", err)
	}
}

// ASVS 5.0 V6.1.1 (targeted lockout, OWASP device cookies) for passkeys: a
// passkey sign-in proves the owner at least as well as a password, so it
// leaves the browser the same device cookie, bound to this account only,
// and that browser's password then gets past a lock an attacker keeps.
func TestASVS_V6_1_1_PasskeySignInIssuesDeviceCookie(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	r, err := e.passkeySignIn(t, k)
	if err != nil {
		t.Fatalf("FinishPasskeySignIn: %v", err)
	}
	wantDeviceFor(t, e.svc, r, "ada@example.org", "a passkey sign-in")
	e.lockOut(t, "ada@example.org")
	res, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "203.0.113.7", Device: r.Device})
	if err != nil || res.Pending == nil {
		t.Fatalf("password with the passkey sign-in's device cookie during the lockout: %+v, %v; want the second step", res, err)
	}
}
