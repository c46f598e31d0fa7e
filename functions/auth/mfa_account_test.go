package auth

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/auth/passkeytest"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// mfaAcctEnv is an acctEnv (outbox, mailer, event log) with second factors
// and passkeys, whose notices go by the account mail path.
type mfaAcctEnv struct {
	*acctEnv
	mfa        *memstore.MFA
	passkeys   *memstore.Passkeys
	challenges *memstore.Challenges
}

func newMFAAcctEnv(t *testing.T) *mfaAcctEnv {
	t.Helper()
	e := &mfaAcctEnv{acctEnv: newAcctEnv(t), mfa: memstore.NewMFA(), passkeys: memstore.NewPasskeys()}
	e.challenges = &memstore.Challenges{Now: e.clock.Now}
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "m1", Secret: bytes.Repeat([]byte{9}, 32), Enabled: true, Created: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	wa, err := NewRelyingParty(testOrigin, "Priceline test")
	if err != nil {
		t.Fatal(err)
	}
	e.svc.MFA = &MFAConfig{
		TOTP: e.mfa, RecoveryCodes: e.mfa, Passkeys: e.passkeys, Challenges: e.challenges,
		Keys: keys, Issuer: "Priceline test", WebAuthn: wa, Notifier: e.svc.MailNotices(),
	}
	return e
}

// enrol sets up an authenticator app for u and returns its secret and the
// recovery codes.
func (e *mfaAcctEnv) enrol(t *testing.T, u *priceline.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	setup, err := e.svc.BeginTOTP(ctx, u, goodPassword, from)
	if err != nil {
		t.Fatalf("BeginTOTP: %v", err)
	}
	codes, err := e.svc.ConfirmTOTP(ctx, u, codeAt(t, setup.Secret, e.clock.Now()), from)
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	return setup.Secret, codes
}

func (e *mfaAcctEnv) addPasskey(t *testing.T, u *priceline.User, k *passkeytest.SoftKey) *priceline.Passkey {
	t.Helper()
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeyRegistration(ctx, u, goodPassword, from)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Laptop", k.Register(t, cer.Options, u.ID), from)
	if err != nil {
		t.Fatalf("FinishPasskeyRegistration: %v", err)
	}
	return p
}

func (e *mfaAcctEnv) pending(t *testing.T, email string) *PendingSignIn {
	t.Helper()
	r := e.login(t, email, goodPassword)
	if r.Pending == nil {
		t.Fatalf("login of an MFA account gave no pending sign-in: %+v", r)
	}
	return r.Pending
}

func (e *mfaAcctEnv) passkeySignIn(t *testing.T, k *passkeytest.SoftKey) (*Result, error) {
	t.Helper()
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeySignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return e.svc.FinishPasskeySignIn(ctx, cer.ID, k.Assert(t, cer.Options), from)
}

// ASVS 5.0 V6.3.7 (notify the user of changes to their authentication
// factors): every change to the second factors, and a sign-in with a
// recovery code, queue a notice in the outbox that reaches the mailer.
func TestASVS_V6_3_7_MFANoticesGoByMail(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	_, codes := e.enrol(t, u)
	if _, err := e.svc.RegenerateRecoveryCodes(ctx, u, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	codes, _ = e.svc.RegenerateRecoveryCodes(ctx, u, goodPassword, from)
	p := e.pending(t, "ada@example.org")
	if _, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{RecoveryCode: codes[0]}, from); err != nil {
		t.Fatal(err)
	}
	k := passkeytest.New(t, testOrigin, "priceline.test")
	pk := e.addPasskey(t, u, k)
	if err := e.svc.DeletePasskey(ctx, u, pk.ID, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DisableTOTP(ctx, u, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	e.svc.WaitMail()
	for _, kind := range []string{NoticeMFAEnabled, NoticeRecoveryCodesRenew, NoticeRecoveryCodeUsed, NoticePasskeyAdded, NoticePasskeyRemoved, NoticeMFADisabled} {
		msgs := e.mail.to("ada@example.org", kind)
		if len(msgs) == 0 {
			t.Errorf("no %s notice reached the mailer", kind)
			continue
		}
		m := msgs[0]
		if m.Subject == "" || !strings.Contains(m.Text, testSite+"/forgot-password") || strings.Contains(m.Text, codes[1]) {
			t.Errorf("%s notice: %q\n%s", kind, m.Subject, m.Text)
		}
	}
	if n := len(e.mail.to("ada@example.org", NoticeRecoveryCodesRenew)); n != 2 {
		t.Errorf("%d regeneration notices, want 2", n)
	}
	// Nothing is left waiting in the outbox: each was delivered at once.
	if due, _ := e.outbox.DueOutbox(ctx, e.clock.Now().Add(time.Hour), 100); len(due) != 0 {
		t.Errorf("%d messages still queued", len(due))
	}
}

// Without a mail path the notifier logs the kind and fails nothing.
func TestMailNoticesWithoutMailLogOnly(t *testing.T) {
	e := newMFAAcctEnv(t)
	e.svc.Mail = nil
	u := e.register(t, "ada@example.org")
	e.enrol(t, u)
	if !strings.Contains(e.logs.String(), `"kind":"mfa_enabled"`) {
		t.Errorf("no log line for the notice:\n%s", e.logs.String())
	}
	if err := e.svc.MailNotices().Notify(context.Background(), u, "made_up"); err == nil {
		t.Error("a notice of an unknown kind was accepted")
	}
}

// ASVS 5.0 V16.3.1/V16.3.2: the second-factor flows write security events.
func TestASVS_V16_3_1_MFAEventsLogged(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	_, codes := e.enrol(t, u)
	p := e.pending(t, "ada@example.org")
	r, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: "000000"}, from)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_code")
	if _, err := e.svc.FinishMFA(ctx, r.Pending.ID, MFAProof{RecoveryCode: codes[0]}, from); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RegenerateRecoveryCodes(ctx, u, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	k := passkeytest.New(t, testOrigin, "priceline.test")
	pk := e.addPasskey(t, u, k)
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatal(err)
	}
	k.Counter = 0
	_, err = e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	if err := e.svc.DeletePasskey(ctx, u, pk.ID, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DisableTOTP(ctx, u, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"totp_enabled/success/":                           false,
		"sign_in/failure/wrong_code":                      false,
		"sign_in/success/password+recovery":               false,
		"recovery_code_used/success/":                     false,
		"recovery_codes_regenerated/success/":             false,
		"passkey_added/success/":                          false,
		"sign_in/success/passkey":                         false,
		"sign_in/failure/cloned_authenticator":            false,
		"passkey_removed/success/":                        false,
		"totp_disabled/success/":                          false,
		"sign_in/success/password_second_factor_required": false,
	}
	acct := e.svc.Events.AccountKey(u.ID)
	for _, ev := range e.events(t) {
		reason, _ := ev["reason"].(string)
		key := ev["event"].(string) + "/" + ev["outcome"].(string) + "/" + reason
		if _, ok := want[key]; ok {
			want[key] = true
			if ev["account"] != acct || ev["client_address"] != from.IP {
				t.Errorf("%s: account %v, address %v", key, ev["account"], ev["client_address"])
			}
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no %s event", k)
		}
	}
}

// ASVS 5.0 V7.4.2: deleting the account removes
// its second factors, saved estimates and plan details too; nothing of the
// user is left in any store.
func TestASVS_V7_4_2_AccountDeletionRemovesSecondFactors(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	secret, _ := e.enrol(t, u)
	k := passkeytest.New(t, testOrigin, "priceline.test")
	pk := e.addPasskey(t, u, k)
	if err := e.saved.SaveEstimate(ctx, &priceline.SavedEstimate{ID: priceline.NewUserID(), UserID: u.ID, Code: "99213", CodeType: "CPT"}); err != nil {
		t.Fatal(err)
	}
	if err := e.saved.PutPlanBenefits(ctx, u.ID, priceline.PlanBenefits{DeductibleRemaining: "1000"}); err != nil {
		t.Fatal(err)
	}
	// Keep someone else's factors, to see they stay.
	other := e.register(t, "grace@example.org")
	e.enrol(t, other)

	p := e.pending(t, "ada@example.org")
	r, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, from)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteAccount(ctx, nil, u, r.Session, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mfa.TOTP(ctx, u.ID); !priceline.IsNotFound(err) {
		t.Errorf("authenticator app left: %v", err)
	}
	if n, _ := e.mfa.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Errorf("%d recovery codes left", n)
	}
	if list, _ := e.passkeys.UserPasskeys(ctx, u.ID); len(list) != 0 {
		t.Errorf("%d passkeys left", len(list))
	}
	if _, err := e.passkeys.PasskeyByID(ctx, pk.ID); !priceline.IsNotFound(err) {
		t.Errorf("passkey still signs in: %v", err)
	}
	if list, _ := e.saved.SavedEstimates(ctx, u.ID); len(list) != 0 {
		t.Errorf("%d saved estimates left", len(list))
	}
	if b, _ := e.saved.PlanBenefits(ctx, u.ID); b != (priceline.PlanBenefits{}) {
		t.Errorf("plan details left: %+v", b)
	}
	if list, _ := e.sessions.UserSessions(ctx, u.ID); len(list) != 0 {
		t.Errorf("%d sessions left", len(list))
	}
	if _, err := e.users.UserByID(ctx, u.ID); !priceline.IsNotFound(err) {
		t.Errorf("user left: %v", err)
	}
	if _, err := e.users.UserByEmail(ctx, "ada@example.org"); !priceline.IsNotFound(err) {
		t.Errorf("email index left: %v", err)
	}
	if n, _ := e.mfa.RecoveryCodesLeft(ctx, other.ID); n != 10 {
		t.Errorf("the other user's recovery codes: %d, want 10", n)
	}
	if _, err := e.mfa.TOTP(ctx, other.ID); err != nil {
		t.Errorf("the other user's authenticator app: %v", err)
	}
}

// A full sign-in with a second factor gets the device cookie a
// password-only sign-in gets, and the cookie is trusted on the next login.
func TestFinishMFAIssuesDeviceCookie(t *testing.T) {
	e := newMFAAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	secret, _ := e.enrol(t, u)
	p := e.pending(t, "ada@example.org")
	r, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, from)
	if err != nil {
		t.Fatal(err)
	}
	wantDeviceFor(t, e.svc, r, "ada@example.org", "a second-factor sign-in")
}
