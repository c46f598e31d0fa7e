package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/outbox"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// captureMailer keeps what it is asked to send.
type captureMailer struct {
	mu   sync.Mutex
	sent []priceline.Message
	fail error
}

func (m *captureMailer) Send(_ context.Context, msg priceline.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, msg)
	return nil
}

// to returns the messages sent to addr, of kind when kind is not "".
func (m *captureMailer) to(addr, kind string) []priceline.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []priceline.Message
	for _, x := range m.sent {
		if x.To == addr && (kind == "" || x.Kind == kind) {
			out = append(out, x)
		}
	}
	return out
}

// acctEnv runs the account flows against package memstore, the real outbox
// sender and a capturing mailer.
type acctEnv struct {
	svc      *Service
	clock    *testClock
	users    *memstore.Users
	sessions *memstore.Sessions
	tokens   *memstore.AccountTokens
	saved    *memstore.Saved
	cloud    *memstore.CloudEmails
	outbox   *memstore.Outbox
	mail     *captureMailer
	logs     *syncBuffer
	hasher   *countingHasher
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

const testSite = "https://priceline.example.org"

func newAcctEnv(t *testing.T) *acctEnv {
	t.Helper()
	clock := newTestClock()
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "k1", Secret: bytes.Repeat([]byte{7}, 32), Enabled: true, Created: clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	e := &acctEnv{
		clock: clock, users: memstore.NewUsers(), sessions: memstore.NewSessions(), tokens: memstore.NewAccountTokens(),
		saved: memstore.NewSaved(), cloud: memstore.NewCloudEmails(), outbox: memstore.NewOutbox(), mail: &captureMailer{}, logs: &syncBuffer{},
		hasher: &countingHasher{inner: password.NewHasher(cheapParams, 4, 5*time.Second)},
	}
	sender := outbox.New(e.outbox, e.mail)
	sender.Now = clock.Now
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	sender.Logger = logger
	e.svc = &Service{
		Users: e.users, Sessions: e.sessions, Attempts: memstore.NewAttempts(),
		Hasher: e.hasher.inner, Policy: password.DefaultPolicy(),
		Tokens:        &token.Codec{Keys: keys, Issuer: testSite, Audience: testSite, Now: clock.Now},
		Now:           clock.Now,
		Logger:        logger,
		AccountTokens: e.tokens,
		Saved:         e.saved,
		CloudEmails:   e.cloud,
		Mail:          &Mail{Outbox: sender, PublicURL: testSite},
		Events:        &EventLog{Logger: logger, Key: bytes.Repeat([]byte{9}, 32)},
	}
	e.svc.hashOverride = e.hasher
	t.Cleanup(e.svc.WaitMail)
	return e
}

var from = Client{IP: "203.0.113.7", UserAgent: "test", RequestID: "req-1"}

// register registers email with goodPassword and returns the user.
func (e *acctEnv) register(t *testing.T, email string) *priceline.User {
	t.Helper()
	u, err := e.svc.RegisterFrom(context.Background(), email, goodPassword, "Ada Lovelace", from)
	if err != nil || u == nil {
		t.Fatalf("Register(%q) = %v, %v", email, u, err)
	}
	return u
}

func (e *acctEnv) login(t *testing.T, email, pw string) *Result {
	t.Helper()
	r, err := e.svc.Login(context.Background(), email, pw, from)
	if err != nil {
		t.Fatalf("Login(%q): %v", email, err)
	}
	return r
}

var tokenInLink = regexp.MustCompile(`\?token=([0-9a-z]+)`)

// link returns the token of the last message of kind sent to addr.
func (e *acctEnv) link(t *testing.T, addr, kind string) string {
	t.Helper()
	e.svc.WaitMail()
	msgs := e.mail.to(addr, kind)
	if len(msgs) == 0 {
		t.Fatalf("no %s message to %s", kind, addr)
	}
	m := tokenInLink.FindStringSubmatch(msgs[len(msgs)-1].Text)
	if m == nil {
		t.Fatalf("no link in the %s message", kind)
	}
	return m[1]
}

// events returns the security events logged so far.
func (e *acctEnv) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["log"] == "security" {
			out = append(out, m)
		}
	}
	return out
}

func (e *acctEnv) hasEvent(t *testing.T, name, outcome string) map[string]any {
	t.Helper()
	for _, ev := range e.events(t) {
		if ev["event"] == name && ev["outcome"] == outcome {
			return ev
		}
	}
	t.Fatalf("no %s/%s event in %v", name, outcome, e.events(t))
	return nil
}

func TestRegistrationSendsAVerificationLinkThatWorksOnce(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	if u.EmailVerified {
		t.Fatal("a new account starts verified")
	}
	tok := e.link(t, "ada@example.org", priceline.MailVerifyEmail)
	if !strings.HasPrefix(e.mail.to("ada@example.org", "")[0].Text, "Hello Ada Lovelace") {
		t.Error("the message does not greet by name")
	}
	v, err := e.svc.VerifyEmail(ctx, tok, from)
	if err != nil || v.EmailChanged || !v.User.EmailVerified {
		t.Fatalf("VerifyEmail = %+v, %v", v, err)
	}
	if got, _ := e.users.UserByID(ctx, u.ID); !got.EmailVerified {
		t.Fatal("not stored as verified")
	}
	_, err = e.svc.VerifyEmail(ctx, tok, from)
	wantCode(t, err, priceline.KindInvalid, "invalid_token")
	e.hasEvent(t, EventEmailVerified, OutcomeSuccess)
	e.hasEvent(t, EventTokenRefused, OutcomeFailure)
}

func TestASVS_V6_3_8_RegistrationOfATakenAddressTellsTheOwnerOnly(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	first := e.register(t, "ada@example.org")
	e.svc.WaitMail()
	u, err := e.svc.RegisterFrom(ctx, "ada@example.org", otherPassword, "Mallory", from)
	if err != nil || u != nil {
		t.Fatalf("second registration = %v, %v; want nil, nil", u, err)
	}
	e.svc.WaitMail()
	if n := len(e.mail.to("ada@example.org", priceline.MailRegistrationAttempt)); n != 1 {
		t.Fatalf("%d registration-attempt messages, want 1", n)
	}
	if n := len(e.mail.to("ada@example.org", priceline.MailVerifyEmail)); n != 1 {
		t.Fatalf("%d verification messages, want only the first registration's", n)
	}
	got, _ := e.users.UserByEmail(ctx, "ada@example.org")
	if got.ID != first.ID || got.Name != "Ada Lovelace" {
		t.Fatalf("the account changed: %+v", got)
	}
	// The first account's link still works: the attempt did not replace it.
	if _, err := e.svc.VerifyEmail(ctx, e.link(t, "ada@example.org", priceline.MailVerifyEmail), from); err != nil {
		t.Fatalf("the owner's link stopped working: %v", err)
	}
}

func TestVerificationLinkRefusedWhenForgedExpiredOrReplaced(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	first := e.link(t, "ada@example.org", priceline.MailVerifyEmail)
	if err := e.svc.ResendVerification(ctx, u, from); err != nil {
		t.Fatal(err)
	}
	second := e.link(t, "ada@example.org", priceline.MailVerifyEmail)
	if first == second {
		t.Fatal("resend sent the same link")
	}
	forged := second[:len(second)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", second[len(second)-1])+1)%16])
	for name, tok := range map[string]string{
		"replaced": first, "forged": forged, "empty": "", "garbage": "v' or 1=1", "reset purpose": "r" + second[1:],
	} {
		_, err := e.svc.VerifyEmail(ctx, tok, from)
		wantCode(t, err, priceline.KindInvalid, "invalid_token")
		_ = name
	}
	e.clock.Advance(priceline.VerifyTokenLifetime + time.Second)
	_, err := e.svc.VerifyEmail(ctx, second, from)
	wantCode(t, err, priceline.KindInvalid, "invalid_token")
	if got, _ := e.users.UserByID(ctx, u.ID); got.EmailVerified {
		t.Fatal("a refused link verified the address")
	}
}

func TestResendVerificationErrors(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	for i := 0; i < 5; i++ {
		if err := e.svc.ResendVerification(ctx, u, from); err != nil {
			t.Fatalf("resend %d: %v", i, err)
		}
		// Mail is delivered in the background, several at once; waiting
		// keeps the delivery order the order of the links.
		e.svc.WaitMail()
	}
	err := e.svc.ResendVerification(ctx, u, from)
	pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_emails")
	if pe.RetryAfter <= 0 || pe.RetryAfter > time.Hour {
		t.Fatalf("RetryAfter = %v", pe.RetryAfter)
	}
	e.hasEvent(t, EventThrottled, OutcomeFailure)
	e.clock.Advance(time.Hour + time.Second)
	if _, err := e.svc.VerifyEmail(ctx, e.link(t, "ada@example.org", priceline.MailVerifyEmail), from); err != nil {
		t.Fatalf("the newest link: %v", err)
	}
	wantCode(t, e.svc.ResendVerification(ctx, u, from), priceline.KindConflict, "already_verified")
	if n := len(e.mail.to("ada@example.org", priceline.MailVerifyEmail)); n != 6 {
		t.Fatalf("%d verification messages, want 6 (registration and 5 resends)", n)
	}
}

// ASVS 5.0 V6.4.1, V6.4.3: a reset link is 256 random bits stored only as a
// hash, works once, for 30 minutes, and is replaced by a newer request; the
// reset ends every session, signs nobody in, verifies the address and
// sends a notice.
func TestASVS_V6_4_1_ResetLinkIsRandomHashedSingleUseAndShortLived(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	a := e.login(t, "ada@example.org", goodPassword)
	b := e.login(t, "ada@example.org", goodPassword)

	if err := e.svc.ForgotPassword(ctx, "ADA@example.org ", from); err != nil {
		t.Fatal(err)
	}
	tok := e.link(t, "ada@example.org", priceline.MailPasswordReset)
	if len(tok) != 97 || tok[:1] != priceline.TokenResetPassword {
		t.Fatalf("token %d characters", len(tok))
	}
	// Stored as a hash only: the stored token is not the secret.
	userID, hash, _ := priceline.ParseAccountToken(tok, priceline.TokenResetPassword)
	stored, err := e.tokens.TakeAccountToken(ctx, userID, priceline.TokenResetPassword, hash)
	if err != nil || stored.Hash == tok[33:] || strings.Contains(stored.Hash, tok[33:]) {
		t.Fatalf("stored token %+v, %v", stored, err)
	}
	if err := e.tokens.PutAccountToken(ctx, stored); err != nil {
		t.Fatal(err)
	}

	// A weak password is refused and does not use the link up.
	wantCode(t, e.svc.ResetPassword(ctx, tok, "short", from), priceline.KindInvalid, "password_too_short")
	wantCode(t, e.svc.ResetPassword(ctx, tok, "ada lovelace rides 1815", from), priceline.KindInvalid, "password_contextual")
	if err := e.svc.ResetPassword(ctx, tok, otherPassword, from); err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	for _, r := range []*Result{a, b} {
		_, _, err := e.svc.Authenticate(ctx, r.Cookie)
		wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
	}
	if got, _ := e.users.UserByID(ctx, u.ID); !got.EmailVerified {
		t.Fatal("a reset did not verify the address")
	}
	e.login(t, "ada@example.org", otherPassword)
	if _, err := e.svc.Login(ctx, "ada@example.org", goodPassword, from); err == nil {
		t.Fatal("the old password still works")
	}
	if len(e.link(t, "ada@example.org", priceline.MailPasswordReset)) == 0 || len(e.mail.to("ada@example.org", priceline.MailPasswordChanged)) != 1 {
		t.Fatal("no password-changed notice")
	}
	wantCode(t, e.svc.ResetPassword(ctx, tok, "another fine password 99", from), priceline.KindInvalid, "invalid_token")
	e.hasEvent(t, EventResetRequested, OutcomeSuccess)
	e.hasEvent(t, EventResetCompleted, OutcomeSuccess)
}

func TestResetLinkExpiredOrReplacedIsInvalidToken(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	e.register(t, "ada@example.org")
	if err := e.svc.ForgotPassword(ctx, "ada@example.org", from); err != nil {
		t.Fatal(err)
	}
	old := e.link(t, "ada@example.org", priceline.MailPasswordReset)
	if err := e.svc.ForgotPassword(ctx, "ada@example.org", from); err != nil {
		t.Fatal(err)
	}
	fresh := e.link(t, "ada@example.org", priceline.MailPasswordReset)
	wantCode(t, e.svc.ResetPassword(ctx, old, otherPassword, from), priceline.KindInvalid, "invalid_token")
	wantCode(t, e.svc.ResetPassword(ctx, "v"+fresh[1:], otherPassword, from), priceline.KindInvalid, "invalid_token")
	e.clock.Advance(priceline.AccountTokenLifetime)
	wantCode(t, e.svc.ResetPassword(ctx, fresh, otherPassword, from), priceline.KindInvalid, "invalid_token")
	e.login(t, "ada@example.org", goodPassword) // unchanged
}

// ASVS 5.0 V6.3.8: "forgot password" answers alike, in alike time, for an
// address with an account and one without, and mails only the former.
func TestASVS_V6_3_8_ForgotPasswordAnswersAlikeForUnknownAddresses(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	e.register(t, "ada@example.org")
	known, errKnown := forgotTook(e, "ada@example.org")
	unknown, errUnknown := forgotTook(e, "nobody@example.org")
	if errKnown != nil || errUnknown != nil {
		t.Fatalf("errors %v, %v", errKnown, errUnknown)
	}
	if known < forgotMinDuration || unknown < forgotMinDuration || unknown-known > 100*time.Millisecond || known-unknown > 100*time.Millisecond {
		t.Fatalf("known took %v, unknown %v", known, unknown)
	}
	e.svc.WaitMail()
	if len(e.mail.to("nobody@example.org", "")) != 0 {
		t.Fatal("mail to an address without an account")
	}
	wantCode(t, e.svc.ForgotPassword(ctx, "not an address", from), priceline.KindInvalid, "invalid_email")
}

// forgotTook is the shortest of three ForgotPassword calls for addr, and
// the first error. On a loaded machine one call's wall time can stretch by
// hundreds of milliseconds while the padding never shrinks it, so the
// shortest is the time the code itself decides.
func forgotTook(e *acctEnv, addr string) (time.Duration, error) {
	var least time.Duration
	for i := range 3 {
		start := time.Now()
		if err := e.svc.ForgotPassword(context.Background(), addr, from); err != nil {
			return 0, err
		}
		if took := time.Since(start); i == 0 || took < least {
			least = took
		}
	}
	return least, nil
}

// Throttled per address (even without an account) and per account: at most
// 5 emails an hour, with Retry-After.
func TestForgotPasswordThrottledPerAddressAndAccount(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	for _, addr := range []string{"ada@example.org", "nobody@example.org"} {
		for i := 0; i < 5; i++ {
			if err := e.svc.ForgotPassword(ctx, addr, from); err != nil {
				t.Fatalf("%s request %d: %v", addr, i, err)
			}
		}
		pe := wantCode(t, e.svc.ForgotPassword(ctx, addr, from), priceline.KindTooManyRequests, "too_many_emails")
		if pe.RetryAfter <= 0 {
			t.Fatal("no RetryAfter")
		}
	}
	e.svc.WaitMail()
	if n := len(e.mail.to("ada@example.org", priceline.MailPasswordReset)); n != 5 {
		t.Fatalf("%d reset messages, want 5", n)
	}
	// The account's own limit also holds other mail back, silently here.
	e.clock.Advance(time.Hour + time.Second)
	if err := e.svc.ResendVerification(ctx, u, from); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
}

// ASVS 5.0 V7.5.1: an email change needs the current password; the new
// address gets the link, nothing changes until it is used, the old address
// is told, and the email index moves.
func TestASVS_V7_5_1_EmailChangeNeedsPasswordAndTheNewAddress(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org", goodPassword)
	wantCode(t, e.svc.RequestEmailChange(ctx, u, r.Session, "new@example.org", wrongPassword, from), priceline.KindInvalid, "current_password_incorrect")
	e.hasEvent(t, EventReauthFailed, OutcomeFailure)
	wantCode(t, e.svc.RequestEmailChange(ctx, u, r.Session, "bad address", goodPassword, from), priceline.KindInvalid, "invalid_email")
	wantCode(t, e.svc.RequestEmailChange(ctx, u, r.Session, "ADA@example.org", goodPassword, from), priceline.KindInvalid, "email_unchanged")
	e.svc.WaitMail()
	if len(e.mail.to("new@example.org", "")) != 0 {
		t.Fatal("a refused change sent mail")
	}
	if err := e.svc.RequestEmailChange(ctx, u, r.Session, "New@Example.org", goodPassword, from); err != nil {
		t.Fatal(err)
	}
	tok := e.link(t, "new@example.org", priceline.MailEmailChangeVerify)
	if got, _ := e.users.UserByID(ctx, u.ID); got.Email != "ada@example.org" {
		t.Fatal("the address changed before the link was used")
	}
	v, err := e.svc.VerifyEmail(ctx, tok, from)
	if err != nil || !v.EmailChanged || v.User.Email != "new@example.org" {
		t.Fatalf("VerifyEmail = %+v, %v", v, err)
	}
	e.svc.WaitMail()
	if len(e.mail.to("ada@example.org", priceline.MailEmailChanged)) != 1 {
		t.Fatal("the old address was not told")
	}
	e.login(t, "new@example.org", goodPassword)
	if _, err := e.svc.Login(ctx, "ada@example.org", goodPassword, from); err == nil {
		t.Fatal("the old address still signs in")
	}
	_, err = e.svc.VerifyEmail(ctx, tok, from)
	wantCode(t, err, priceline.KindInvalid, "invalid_token")
	e.hasEvent(t, EventEmailChanged, OutcomeSuccess)
}

func TestEmailChangeToAnAddressTakenMeanwhileKeepsTheOldOne(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org", goodPassword)
	if err := e.svc.RequestEmailChange(ctx, u, r.Session, "grace@example.org", goodPassword, from); err != nil {
		t.Fatal(err)
	}
	tok := e.link(t, "grace@example.org", priceline.MailEmailChangeVerify)
	e.register(t, "grace@example.org")
	_, err := e.svc.VerifyEmail(ctx, tok, from)
	wantCode(t, err, priceline.KindConflict, "email_taken")
	if got, _ := e.users.UserByID(ctx, u.ID); got.Email != "ada@example.org" {
		t.Fatalf("email = %q", got.Email)
	}
}

// ASVS 5.0 V7.4.2, V7.5.1: deleting an account needs the current password
// and removes its sessions, saved estimates, links, index and record; a
// copy of its cookie stops working at once.
func TestASVS_V7_4_2_AccountDeletionEndsEverySessionAndRemovesAllData(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org", goodPassword)
	other := e.login(t, "ada@example.org", goodPassword)
	if err := e.saved.SaveEstimate(ctx, &priceline.SavedEstimate{ID: priceline.NewUserID(), UserID: u.ID, Code: "99213", CodeType: "CPT"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.DeleteAccount(ctx, nil, u, r.Session, wrongPassword, from), priceline.KindInvalid, "current_password_incorrect")
	if _, err := e.users.UserByID(ctx, u.ID); err != nil {
		t.Fatal("a refused deletion deleted the user")
	}
	if err := e.svc.DeleteAccount(ctx, nil, u, r.Session, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{r.Cookie, other.Cookie} {
		_, _, err := e.svc.Authenticate(ctx, c)
		wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
	}
	if _, err := e.users.UserByID(ctx, u.ID); !priceline.IsNotFound(err) {
		t.Fatalf("user still there: %v", err)
	}
	if list, _ := e.saved.SavedEstimates(ctx, u.ID); len(list) != 0 {
		t.Fatalf("%d saved estimates left", len(list))
	}
	if list, _ := e.sessions.UserSessions(ctx, u.ID); len(list) != 0 {
		t.Fatalf("%d sessions left", len(list))
	}
	e.svc.WaitMail()
	if len(e.mail.to("ada@example.org", priceline.MailAccountDeleted)) != 1 {
		t.Fatal("no deletion notice")
	}
	// The address is free again.
	e.register(t, "ada@example.org")
	e.hasEvent(t, EventAccountDeleted, OutcomeSuccess)
}

// ASVS 5.0 V7.4.2 with the opt-in session cache: this instance's cached
// copy stops authenticating at once.
func TestASVS_V7_4_2_DeletionDropsThisInstancesCache(t *testing.T) {
	e := newAcctEnv(t)
	e.svc.Config.SessionCacheTTL = time.Minute
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org", goodPassword)
	if _, _, err := e.svc.Authenticate(ctx, r.Cookie); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteAccount(ctx, nil, u, r.Session, goodPassword, from); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.Authenticate(ctx, r.Cookie)
	wantCode(t, err, priceline.KindUnauthorized, "unauthenticated")
}

// ASVS 5.0 V7.5.2: "sign out everywhere else" needs the current password,
// so a stolen session cannot sign the owner out.
func TestASVS_V7_5_2_SignOutEverywhereElseNeedsThePassword(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org", goodPassword)
	other := e.login(t, "ada@example.org", goodPassword)
	_, err := e.svc.RevokeOtherSessionsReauth(ctx, u, r.Session, wrongPassword, from)
	wantCode(t, err, priceline.KindInvalid, "current_password_incorrect")
	if _, _, err := e.svc.Authenticate(ctx, other.Cookie); err != nil {
		t.Fatal("a refused sign-out ended a session")
	}
	n, err := e.svc.RevokeOtherSessionsReauth(ctx, u, r.Session, goodPassword, from)
	if err != nil || n != 1 {
		t.Fatalf("revoked %d, %v", n, err)
	}
	if _, _, err := e.svc.Authenticate(ctx, r.Cookie); err != nil {
		t.Fatal("this session ended too")
	}
	e.hasEvent(t, EventSessionRevoked, OutcomeSuccess)
}

func TestSavingMoreThanThreeEstimatesNeedsAVerifiedAddress(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	gate := &VerifiedSaves{SavedStore: e.saved, Users: e.users}
	save := func() error {
		return gate.SaveEstimate(ctx, &priceline.SavedEstimate{ID: priceline.NewUserID(), UserID: u.ID, Code: "99213", CodeType: "CPT"})
	}
	for i := 0; i < UnverifiedSaveLimit; i++ {
		if err := save(); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, save(), priceline.KindForbidden, "email_unverified")
	if list, _ := e.saved.SavedEstimates(ctx, u.ID); len(list) != UnverifiedSaveLimit {
		t.Fatalf("%d saved, want %d", len(list), UnverifiedSaveLimit)
	}
	if _, err := e.svc.VerifyEmail(ctx, e.link(t, "ada@example.org", priceline.MailVerifyEmail), from); err != nil {
		t.Fatal(err)
	}
	if err := save(); err != nil {
		t.Fatalf("verified account: %v", err)
	}
}

// ASVS 5.0 V16.2.1, V16.2.5: events carry when, where and who (as an HMAC
// of the account), never the address, the password or the token.
func TestASVS_V16_2_1_EventsCarryMetadataAndNoSecrets(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.org")
	if _, err := e.svc.Login(ctx, "ada@example.org", wrongPassword, from); err == nil {
		t.Fatal("wrong password accepted")
	}
	r := e.login(t, "ada@example.org", goodPassword)
	if err := e.svc.ForgotPassword(ctx, "ada@example.org", from); err != nil {
		t.Fatal(err)
	}
	tok := e.link(t, "ada@example.org", priceline.MailPasswordReset)
	if err := e.svc.ResetPassword(ctx, tok, otherPassword, from); err != nil {
		t.Fatal(err)
	}
	ev := e.hasEvent(t, EventSignIn, OutcomeFailure)
	if ev["reason"] != "wrong_password" || ev["client_address"] != from.IP || ev["request_id"] != from.RequestID || ev["time"] == nil {
		t.Fatalf("event = %v", ev)
	}
	if ev["account"] != e.svc.Events.AccountKey(u.ID) || ev["account"] == u.ID {
		t.Fatalf("account = %v", ev["account"])
	}
	e.hasEvent(t, EventSignIn, OutcomeSuccess)
	logs := e.logs.String()
	for _, secret := range []string{"ada@example.org", goodPassword, otherPassword, wrongPassword, tok, tok[33:], r.Cookie, r.Session.CSRFToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret[:min(len(secret), 12)])
		}
	}
}

// breachedList is a priceline.BreachedPasswords that knows some passwords.
type breachedList map[string]bool

func (b breachedList) CheckBreached(_ context.Context, pw string) error {
	if b[pw] {
		return priceline.Errorf(priceline.KindInvalid, "password_breached", "That password is known from data breaches.")
	}
	return nil
}

// ASVS 5.0 V6.2.12: the breach check runs at registration, reset and
// change, and refuses before anything is written.
func TestASVS_V6_2_12_BreachCheckAtRegistrationResetAndChange(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	const leaked = "correct horse battery staple"
	e.svc.Breached = breachedList{leaked: true}
	_, err := e.svc.RegisterFrom(ctx, "leak@example.org", leaked, "Ada Lovelace", from)
	wantCode(t, err, priceline.KindInvalid, "password_breached")
	if _, err := e.users.UserByEmail(ctx, "leak@example.org"); !priceline.IsNotFound(err) {
		t.Fatal("a refused registration created an account")
	}
	u := e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org", goodPassword)
	_, err = e.svc.ChangePassword(ctx, u, r.Session, goodPassword, leaked, from)
	wantCode(t, err, priceline.KindInvalid, "password_breached")
	if err := e.svc.ForgotPassword(ctx, "ada@example.org", from); err != nil {
		t.Fatal(err)
	}
	tok := e.link(t, "ada@example.org", priceline.MailPasswordReset)
	wantCode(t, e.svc.ResetPassword(ctx, tok, leaked, from), priceline.KindInvalid, "password_breached")
	if err := e.svc.ResetPassword(ctx, tok, otherPassword, from); err != nil {
		t.Fatalf("the link was used up by a refused password: %v", err)
	}
}
