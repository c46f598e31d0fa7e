package auth

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth/passkeytest"
	"hospitalpriceline/functions/priceline"
)

// allowedIDs reads publicKey.allowCredentials[].id from options.
func allowedIDs(t *testing.T, options any) []string {
	t.Helper()
	b, _ := json.Marshal(options)
	var o struct {
		PublicKey struct {
			AllowCredentials []struct {
				ID string `json:"id"`
			} `json:"allowCredentials"`
			UserVerification string `json:"userVerification"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	if o.PublicKey.UserVerification != "required" {
		t.Errorf("userVerification = %q, want required", o.PublicKey.UserVerification)
	}
	var ids []string
	for _, c := range o.PublicKey.AllowCredentials {
		ids = append(ids, c.ID)
	}
	return ids
}

// ASVS 5.0 V6.3.3: a passkey of the account finishes a pending sign-in as
// its second step; the options name only that account's passkeys.
func TestASVS_V6_3_3_PasskeyAsSecondStep(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	ada := e.register(t, "ada@example.org")
	k := passkeytest.New(t, testOrigin, "priceline.test")
	e.addPasskey(t, ada, k)
	grace := e.register(t, "grace@example.org")
	e.addPasskey(t, grace, passkeytest.New(t, testOrigin, "priceline.test"))

	p := e.pending(t, "ada@example.org")
	if !strings.Contains(strings.Join(p.Methods, ","), FactorPasskey) {
		t.Fatalf("methods = %v", p.Methods)
	}
	cer, err := e.svc.BeginMFAPasskey(ctx, p.ID)
	if err != nil {
		t.Fatalf("BeginMFAPasskey: %v", err)
	}
	if ids := allowedIDs(t, cer.Options); len(ids) != 1 || ids[0] != k.CredentialID() {
		t.Errorf("allowed credentials = %v, want only ada's %s", ids, k.CredentialID())
	}
	if !cer.ExpiresAt.Equal(p.ExpiresAt) || cer.ID == p.ID {
		t.Errorf("ceremony %+v does not renew pending %+v", cer, p)
	}
	// The options step used the old pending sign-in up.
	_, err = e.svc.FinishMFA(ctx, p.ID, MFAProof{Passkey: k.Assert(t, cer.Options)}, from)
	wantCode(t, err, priceline.KindUnauthorized, "mfa_sign_in_expired")

	cer, err = e.svc.BeginMFAPasskey(ctx, mustPending(t, e, "ada@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.FinishMFA(ctx, cer.ID, MFAProof{Passkey: k.Assert(t, cer.Options)}, from)
	if err != nil {
		t.Fatalf("FinishMFA with a passkey: %v", err)
	}
	if r.User.ID != ada.ID || r.Session.Method != priceline.MethodPasswordPasskey || r.Device == "" {
		t.Errorf("result: user %s, method %s, device cookie %t", r.User.ID, r.Session.Method, r.Device != "")
	}
	e.hasEvent(t, EventSignIn, OutcomeSuccess)
}

func mustPending(t *testing.T, e *mfaAcctEnv, email string) string {
	t.Helper()
	return e.pending(t, email).ID
}

// A valid assertion by another account's passkey does not finish this
// account's pending sign-in, and a code still can afterwards.
func TestMFAPasskeyOfAnotherUserRefused(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	ada := e.register(t, "ada@example.org")
	secret, _ := e.enrol(t, ada)
	e.addPasskey(t, ada, passkeytest.New(t, testOrigin, "priceline.test"))
	mallory := e.register(t, "mallory@example.org")
	km := passkeytest.New(t, testOrigin, "priceline.test")
	e.addPasskey(t, mallory, km)

	cer, err := e.svc.BeginMFAPasskey(ctx, mustPending(t, e, "ada@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.FinishMFA(ctx, cer.ID, MFAProof{Passkey: km.Assert(t, cer.Options)}, from)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	if r == nil || r.Pending == nil || r.Session != nil {
		t.Fatalf("refusal result = %+v, want only a renewed pending sign-in", r)
	}
	// Claiming to be ada (her user handle) with mallory's key fails too.
	cer, err = e.svc.BeginMFAPasskey(ctx, r.Pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	km.User = []byte(ada.ID)
	r, err = e.svc.FinishMFA(ctx, cer.ID, MFAProof{Passkey: km.Assert(t, cer.Options)}, from)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	r, err = e.svc.FinishMFA(ctx, r.Pending.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, from)
	if err != nil || r.Session.Method != priceline.MethodPasswordTOTP {
		t.Fatalf("code after refused passkeys: %+v, %v", r, err)
	}
}

// An assertion without the options step, or for another origin, is
// refused; an account without passkeys gets no options but keeps its
// pending sign-in.
func TestMFAPasskeyStepRefusals(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	ada := e.register(t, "ada@example.org")
	secret, _ := e.enrol(t, ada)

	cer, err := e.svc.BeginMFAPasskey(ctx, mustPending(t, e, "ada@example.org"))
	wantCode(t, err, priceline.KindNotFound, "no_passkeys")
	if cer == nil || cer.Options != nil {
		t.Fatalf("no-passkey answer = %+v, want a renewed pending sign-in only", cer)
	}
	if _, err := e.svc.FinishMFA(ctx, cer.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, from); err != nil {
		t.Fatalf("code after no_passkeys: %v", err)
	}
	e.clock.Advance(30 * time.Second)

	k := passkeytest.New(t, testOrigin, "priceline.test")
	e.addPasskey(t, ada, k)
	r, err := e.svc.FinishMFA(ctx, mustPending(t, e, "ada@example.org"), MFAProof{Passkey: []byte(`{}`)}, from)
	wantCode(t, err, priceline.KindInvalid, "passkey_not_started")
	cer, err = e.svc.BeginMFAPasskey(ctx, r.Pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	k.Origin = "https://evil.test"
	_, err = e.svc.FinishMFA(ctx, cer.ID, MFAProof{Passkey: k.Assert(t, cer.Options)}, from)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	_, err = e.svc.FinishMFA(ctx, cer.ID, MFAProof{Code: "123456", RecoveryCode: "x"}, from)
	wantCode(t, err, priceline.KindInvalid, "invalid_input")
}

// ASVS 5.0 V6.3.1 / NIST SP 800-63B 5.2.2: refused passkey sign-ins are
// throttled per account (when the credential is known) with Retry-After,
// counted before the check; the owner's good passkey then waits too, but
// only for the account's delay, and a success clears the counter.
func TestNIST_800_63B_PasskeySignInThrottledPerAccount(t *testing.T) {
	e := newMFAAcctEnv(t)
	ada := e.register(t, "ada@example.org")
	k := passkeytest.New(t, testOrigin, "priceline.test")
	e.addPasskey(t, ada, k)
	free := e.svc.config().Throttle.Account.FreeFailures
	k.Origin = "https://evil.test"
	for range free {
		_, err := e.passkeySignIn(t, k)
		wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	}
	_, err := e.passkeySignIn(t, k)
	pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v", pe.RetryAfter)
	}
	e.hasEvent(t, EventThrottled, OutcomeFailure)
	e.clock.Advance(pe.RetryAfter)
	k.Origin = testOrigin
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatalf("owner's passkey after the wait: %v", err)
	}
	if a, err := e.svc.Attempts.Attempts(context.Background(), passkeyCounterKey(ada.ID)); err == nil && a.Failures != 0 {
		t.Errorf("failures after a success = %d, want 0", a.Failures)
	}
}

// Refused passkey sign-ins from one address are throttled even when the
// credential names no account (made-up credential IDs).
func TestNIST_800_63B_PasskeySignInThrottledPerAddress(t *testing.T) {
	e := newMFAAcctEnv(t)
	e.svc.Config.Throttle.IP = Limit{FreeFailures: 3, BaseDelay: time.Second, MaxDelay: time.Minute, ForgetAfter: time.Hour}
	var err error
	for range 4 {
		_, err = e.passkeySignIn(t, passkeytest.New(t, testOrigin, "priceline.test")) // registered nowhere
	}
	pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v", pe.RetryAfter)
	}
	// Another address is not held up.
	cer, _ := e.svc.BeginPasskeySignIn(context.Background())
	other := from
	other.IP = "198.51.100.9"
	_, err = e.svc.FinishPasskeySignIn(context.Background(), cer.ID, passkeytest.New(t, testOrigin, "priceline.test").Assert(t, cer.Options), other)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
}
