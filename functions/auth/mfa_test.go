package auth

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// mfaEnv is a testEnv with second factors turned on.
type mfaEnv struct {
	*testEnv
	mfa        *memstore.MFA
	challenges *memstore.Challenges
	notices    *recordingNotifier
}

type recordingNotifier struct{ kinds []string }

func (n *recordingNotifier) Notify(_ context.Context, _ *priceline.User, kind string) error {
	n.kinds = append(n.kinds, kind)
	return nil
}

func newMFAEnv(t *testing.T) *mfaEnv {
	t.Helper()
	e := &mfaEnv{testEnv: newTestEnv(t), mfa: memstore.NewMFA(), notices: &recordingNotifier{}}
	e.challenges = &memstore.Challenges{Now: e.clock.Now}
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "m1", Secret: bytes.Repeat([]byte{9}, 32), Enabled: true, Created: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	e.svc.MFA = &MFAConfig{
		TOTP: e.mfa, RecoveryCodes: e.mfa, Passkeys: memstore.NewPasskeys(), Challenges: e.challenges,
		Keys: keys, Issuer: "Priceline test", Notifier: e.notices,
	}
	return e
}

// codeAt is what the user's app shows at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol registers email and sets up an authenticator app; it returns the
// user, the secret and the recovery codes.
func (e *mfaEnv) enrol(t *testing.T, email string) (*priceline.User, string, []string) {
	t.Helper()
	ctx := context.Background()
	u := e.register(t, email)
	setup, err := e.svc.BeginTOTP(ctx, u, goodPassword, client)
	if err != nil {
		t.Fatalf("BeginTOTP: %v", err)
	}
	codes, err := e.svc.ConfirmTOTP(ctx, u, codeAt(t, setup.Secret, e.clock.Now()), client)
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	e.clock.Advance(30 * time.Second) // the next code is a new step
	return u, setup.Secret, codes
}

func (e *mfaEnv) pending(t *testing.T, email string, c Client) *PendingSignIn {
	t.Helper()
	r, err := e.svc.Login(context.Background(), email, goodPassword, c)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if r.Pending == nil || r.Session != nil || r.Cookie != "" {
		t.Fatalf("Login of an MFA account = %+v, want only a pending sign-in", r)
	}
	return r.Pending
}

func TestTOTPSetupShowsSecretURIAndQRCode(t *testing.T) {
	e := newMFAEnv(t)
	u := e.register(t, "ada@example.org")
	setup, err := e.svc.BeginTOTP(context.Background(), u, goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	if len(setup.Secret) < 32 || !strings.HasPrefix(setup.OTPAuthURI, "otpauth://totp/") ||
		!strings.HasPrefix(setup.QRCode, "data:image/png;base64,") {
		t.Errorf("setup = %+v", setup)
	}
	stored, err := e.mfa.TOTP(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored.SealedSecret, []byte(setup.Secret)) || stored.Confirmed {
		t.Errorf("stored enrolment holds the secret in plain text or is confirmed: %+v", stored)
	}
}

func TestTOTPSetupNeedsCurrentPassword(t *testing.T) {
	e := newMFAEnv(t)
	u := e.register(t, "ada@example.org")
	_, err := e.svc.BeginTOTP(context.Background(), u, "not the password", client)
	wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	if e.failures(t, "acct:ada@example.org") != 1 {
		t.Error("a wrong current password did not count against the account")
	}
}

// ASVS 5.0 V6.3.3: with a second factor set up, the password alone opens
// no session; the code finishes the sign-in and the session says how.
func TestASVS_V6_3_3_PasswordAloneIsNotEnoughWithMFA(t *testing.T) {
	e := newMFAEnv(t)
	u, secret, _ := e.enrol(t, "ada@example.org")
	p := e.pending(t, "ada@example.org", client)
	if strings.Join(p.Methods, ",") != "totp,recovery" {
		t.Errorf("methods = %v", p.Methods)
	}
	if n := e.sessionCount(t, u.ID); n != 0 {
		t.Fatalf("%d sessions after the password, want 0", n)
	}
	r, err := e.svc.FinishMFA(context.Background(), p.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, client)
	if err != nil {
		t.Fatalf("FinishMFA: %v", err)
	}
	if r.Session == nil || r.Session.Method != priceline.MethodPasswordTOTP || r.Cookie == "" {
		t.Errorf("result = %+v, want a password+totp session", r)
	}
	if got := strings.Join(e.notices.kinds, ","); got != NoticeMFAEnabled {
		t.Errorf("notices = %q", got)
	}
}

// ASVS 5.0 V6.5.1, RFC 6238 §5.2: a code is accepted once.
func TestASVS_V6_5_1_TOTPCodeReplayRefused(t *testing.T) {
	e := newMFAEnv(t)
	_, secret, _ := e.enrol(t, "ada@example.org")
	code := codeAt(t, secret, e.clock.Now())
	p := e.pending(t, "ada@example.org", client)
	if _, err := e.svc.FinishMFA(context.Background(), p.ID, MFAProof{Code: code}, client); err != nil {
		t.Fatal(err)
	}
	p = e.pending(t, "ada@example.org", client)
	r, err := e.svc.FinishMFA(context.Background(), p.ID, MFAProof{Code: code}, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_code")
	if r == nil || r.Pending == nil || r.Session != nil {
		t.Errorf("replay result = %+v, want a renewed pending sign-in only", r)
	}
	// An earlier step's code is refused too once a later one was used.
	_, err = e.svc.FinishMFA(context.Background(), r.Pending.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now().Add(-30*time.Second))}, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_code")
}

// ASVS 5.0 V6.5.5 and V6.5.8: codes are checked against the server's clock,
// one step either side, no more.
func TestASVS_V6_5_5_TOTPAcceptedWithinOneStep(t *testing.T) {
	e := newMFAEnv(t)
	_, secret, _ := e.enrol(t, "ada@example.org")
	ctx := context.Background()
	for _, tc := range []struct {
		offset time.Duration
		ok     bool
	}{{-90 * time.Second, false}, {90 * time.Second, false}, {30 * time.Second, true}} {
		e.clock.Advance(5 * time.Minute) // a fresh step each round
		p := e.pending(t, "ada@example.org", client)
		_, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now().Add(tc.offset))}, client)
		if (err == nil) != tc.ok {
			t.Errorf("code from %v away: err = %v, want ok=%v", tc.offset, err, tc.ok)
		}
	}
}

func TestMFACodeForAnotherAccountsPendingSignInRefused(t *testing.T) {
	e := newMFAEnv(t)
	_, victimSecret, _ := e.enrol(t, "victim@example.org")
	e.enrol(t, "mallory@example.org")
	p := e.pending(t, "mallory@example.org", client)
	_, err := e.svc.FinishMFA(context.Background(), p.ID, MFAProof{Code: codeAt(t, victimSecret, e.clock.Now())}, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_code")
}

func TestMFAPendingSignInSingleUseAndFiveMinutes(t *testing.T) {
	e := newMFAEnv(t)
	_, secret, _ := e.enrol(t, "ada@example.org")
	ctx := context.Background()
	p := e.pending(t, "ada@example.org", client)
	r, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: "000000"}, client)
	if err == nil || r == nil || r.Pending == nil {
		t.Fatalf("wrong code: %v, %+v", err, r)
	}
	// The first cookie was used by the failed attempt: reusing it fails
	// even with the right code.
	_, err = e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, client)
	wantCode(t, err, priceline.KindUnauthorized, "mfa_sign_in_expired")
	if !r.Pending.ExpiresAt.Equal(p.ExpiresAt) {
		t.Errorf("renewed pending expires %v, want the original %v", r.Pending.ExpiresAt, p.ExpiresAt)
	}
	// Older than five minutes.
	e.clock.Advance(priceline.ChallengeLifetime)
	_, err = e.svc.FinishMFA(ctx, r.Pending.ID, MFAProof{Code: codeAt(t, secret, e.clock.Now())}, client)
	wantCode(t, err, priceline.KindUnauthorized, "mfa_sign_in_expired")
}

// ASVS 5.0 V6.5.1/V6.5.2: recovery codes work once and are kept hashed.
func TestASVS_V6_5_1_RecoveryCodeSingleUse(t *testing.T) {
	e := newMFAEnv(t)
	u, _, codes := e.enrol(t, "ada@example.org")
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(codes))
	}
	ctx := context.Background()
	p := e.pending(t, "ada@example.org", client)
	r, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{RecoveryCode: strings.ToUpper(codes[3])}, client)
	if err != nil || r.Session.Method != priceline.MethodPasswordRecovery {
		t.Fatalf("FinishMFA(recovery) = %+v, %v", r, err)
	}
	p = e.pending(t, "ada@example.org", client)
	_, err = e.svc.FinishMFA(ctx, p.ID, MFAProof{RecoveryCode: codes[3]}, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_code")
	if n, _ := e.mfa.RecoveryCodesLeft(ctx, u.ID); n != 9 {
		t.Errorf("%d codes left, want 9", n)
	}
}

func TestASVS_V6_5_2_RecoveryCodesStoredHashedWith112Bits(t *testing.T) {
	e := newMFAEnv(t)
	u, _, codes := e.enrol(t, "ada@example.org")
	for _, c := range codes {
		if n := len(normaliseRecoveryCode(c)); n*5 < 112 {
			t.Errorf("code %q has %d bits, want at least 112", c, n*5)
		}
		// The store has the hash: using the plain code as a hash finds nothing.
		if err := e.mfa.UseRecoveryCode(context.Background(), u.ID, c); !priceline.IsNotFound(err) {
			t.Errorf("store accepted a plain code: %v", err)
		}
	}
}

// NIST SP 800-63B 5.2.2 and the attack of the issue: 100 wrong codes in a
// row are throttled with a Retry-After, and the owner can still finish
// with a recovery code from another address.
func TestNIST_800_63B_100WrongCodesThrottledOwnerStillSignsIn(t *testing.T) {
	e := newMFAEnv(t)
	_, _, codes := e.enrol(t, "ada@example.org")
	ctx := context.Background()
	attacker := Client{IP: "198.51.100.9", UserAgent: "bot"}
	p := e.pending(t, "ada@example.org", attacker).ID
	throttled := 0
	for i := range 100 {
		r, err := e.svc.FinishMFA(ctx, p, MFAProof{Code: "12345" + string(rune('0'+i%10))}, attacker)
		if err == nil {
			t.Fatalf("attempt %d succeeded", i)
		}
		if priceline.ErrorKind(err) == priceline.KindTooManyRequests {
			throttled++
			perr := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
			if perr.RetryAfter <= 0 {
				t.Fatalf("throttled without Retry-After")
			}
			e.clock.Advance(perr.RetryAfter)
		}
		if r == nil || r.Pending == nil {
			t.Fatalf("attempt %d: no renewed pending sign-in", i)
		}
		p = r.Pending.ID
		if !r.Pending.ExpiresAt.After(e.clock.Now()) {
			// The waits outlasted the pending sign-in: the attacker has
			// the password and simply signs in again.
			p = e.pending(t, "ada@example.org", attacker).ID
		}
	}
	if throttled == 0 {
		t.Fatal("100 wrong codes were never throttled")
	}
	owner := Client{IP: "203.0.113.50", UserAgent: "owner"}
	op := e.pending(t, "ada@example.org", owner)
	r, err := e.svc.FinishMFA(ctx, op.ID, MFAProof{RecoveryCode: codes[0]}, owner)
	if err != nil || r.Session == nil {
		t.Fatalf("owner with a recovery code: %+v, %v", r, err)
	}
}

func TestMFADisableAndRegenerateNeedPasswordAndNotify(t *testing.T) {
	e := newMFAEnv(t)
	u, _, old := e.enrol(t, "ada@example.org")
	ctx := context.Background()
	_, err := e.svc.RegenerateRecoveryCodes(ctx, u, "wrong", client)
	wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	fresh, err := e.svc.RegenerateRecoveryCodes(ctx, u, goodPassword, client)
	if err != nil || len(fresh) != 10 || fresh[0] == old[0] {
		t.Fatalf("RegenerateRecoveryCodes = %v, %v", fresh, err)
	}
	wantCode(t, e.svc.DisableTOTP(ctx, u, "wrong", client), priceline.KindInvalid, "current_password_incorrect")
	if err := e.svc.DisableTOTP(ctx, u, goodPassword, client); err != nil {
		t.Fatal(err)
	}
	st, _ := e.svc.MFAStatusOf(ctx, u)
	if st.Enabled() || st.RecoveryCodesLeft != 0 {
		t.Errorf("after disable: %+v", st)
	}
	if got := strings.Join(e.notices.kinds, ","); got != "mfa_enabled,recovery_codes_regenerated,mfa_disabled" {
		t.Errorf("notices = %q", got)
	}
	// Back to password only.
	r := e.login(t, "ada@example.org")
	if r.Session == nil || r.Session.Method != priceline.MethodPassword {
		t.Errorf("login after disable = %+v", r)
	}
}

func TestMFASealedSecretBoundToUserAndKey(t *testing.T) {
	e := newMFAEnv(t)
	m := e.svc.MFA
	sealed, err := m.seal("u1", []byte("JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.open("u1", sealed); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := m.open("u2", sealed); err == nil {
		t.Error("a secret sealed for one user opened for another")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := m.open("u1", sealed); err == nil {
		t.Error("a tampered secret opened")
	}
}

// ASVS 5.0 V6.5.3 and V6.5.4: TOTP seeds and recovery codes come from
// crypto/rand with room to spare: 160-bit seeds (32 base32 characters),
// 125-bit recovery codes, none repeated over many draws.
func TestASVS_V6_5_3_SecretsAreRandomAndLongEnough(t *testing.T) {
	e := newMFAEnv(t)
	u := e.register(t, "ada@example.org")
	seen := map[string]bool{}
	for range 20 {
		setup, err := e.svc.BeginTOTP(context.Background(), u, goodPassword, client)
		if err != nil {
			t.Fatal(err)
		}
		if len(setup.Secret) < 32 || seen[setup.Secret] {
			t.Fatalf("seed %q is short or repeated", setup.Secret)
		}
		seen[setup.Secret] = true
	}
	for range 1000 {
		c := newRecoveryCode()
		if n := len(normaliseRecoveryCode(c)); n != 25 || seen[c] {
			t.Fatalf("recovery code %q: %d characters or repeated", c, n)
		}
		seen[c] = true
	}
}

// ASVS 5.0 V6.3.1: the code that confirms a new authenticator app is
// throttled like a sign-in's code: wrong ones count, and past the free
// failures even the right code waits.
func TestASVS_V6_3_1_TOTPConfirmCodeThrottled(t *testing.T) {
	e := newMFAEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	setup, err := e.svc.BeginTOTP(ctx, u, goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	right := codeAt(t, setup.Secret, e.clock.Now())
	wrong := "000000"
	if wrong == right {
		wrong = "111111"
	}
	for i := 0; i < 5; i++ {
		_, err := e.svc.ConfirmTOTP(ctx, u, wrong, client)
		wantCode(t, err, priceline.KindUnauthorized, "invalid_code")
	}
	if n := e.failures(t, "mfa:"+u.ID); n != 5 {
		t.Fatalf("failures on the second-factor counter = %d, want 5", n)
	}
	_, err = e.svc.ConfirmTOTP(ctx, u, right, client)
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
}
