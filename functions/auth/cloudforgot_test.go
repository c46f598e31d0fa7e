package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// cloudID is a B2C identity for subject with email, verified or not.
func cloudID(subject, email string, verified bool) *priceline.ExternalIdentity {
	return &priceline.ExternalIdentity{Provider: priceline.ProviderB2C, Subject: subject, Email: email, Name: "Cloud", EmailVerified: verified}
}

func (e *acctEnv) signInCloud(t *testing.T, id *priceline.ExternalIdentity) *Result {
	t.Helper()
	r, err := e.svc.SignInExternal(context.Background(), id, from)
	if err != nil {
		t.Fatalf("SignInExternal: %v", err)
	}
	return r
}

// forgot asks for a reset of addr and returns the messages addr got from it.
func (e *acctEnv) forgot(t *testing.T, addr string) []priceline.Message {
	t.Helper()
	e.svc.WaitMail() // earlier messages (a registration's) are not this request's
	before := len(e.mail.to(addr, ""))
	if err := e.svc.ForgotPassword(context.Background(), addr, from); err != nil {
		t.Fatalf("ForgotPassword(%q): %v", addr, err)
	}
	e.svc.WaitMail()
	return e.mail.to(addr, "")[before:]
}

// lookup returns the cloud accounts recorded for addr.
func (e *acctEnv) lookup(t *testing.T, addr string) []string {
	t.Helper()
	ids, err := e.cloud.CloudEmailAccounts(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// ASVS 5.0 V6.4.1: "forgot password" with the provider-verified address of
// a cloud account sends a pointer to the provider's reset, through the
// same outbox, with no token and no link that changes anything here.
func TestASVS_V6_4_1_ForgotPasswordPointsAVerifiedCloudAccountAtTheProvider(t *testing.T) {
	e := newAcctEnv(t)
	r := e.signInCloud(t, cloudID("sub-1", "Cloud@Example.org", true))
	msgs := e.forgot(t, "cloud@example.org")
	if len(msgs) != 1 || msgs[0].Kind != priceline.MailPasswordResetB2C {
		t.Fatalf("messages = %+v, want one %s", msgs, priceline.MailPasswordResetB2C)
	}
	text := msgs[0].Text
	if !strings.Contains(text, testSite+"/api/auth/b2c/reset-password") {
		t.Errorf("no pointer to the provider's reset in %q", text)
	}
	if strings.Contains(text, "token=") || strings.Contains(text, "/reset-password?") {
		t.Errorf("the pointer carries a link that acts: %q", text)
	}
	if _, err := e.tokens.TakeAccountToken(context.Background(), r.User.ID, priceline.TokenResetPassword, strings.Repeat("0", 64)); !priceline.IsNotFound(err) {
		t.Errorf("a reset token was stored for a cloud account: %v", err)
	}
	ev := e.hasEvent(t, EventResetRequested, OutcomeSuccess)
	if ev["account"] != e.svc.Events.AccountKey(r.User.ID) {
		t.Errorf("event account = %v", ev["account"])
	}
}

// A cloud address the provider did not say is verified is not proof of
// ownership: it is never recorded, and "forgot password" sends it nothing.
func TestForgotPasswordSendsNothingToAnUnverifiedCloudAddress(t *testing.T) {
	e := newAcctEnv(t)
	e.signInCloud(t, cloudID("sub-1", "cloud@example.org", false))
	if ids := e.lookup(t, "cloud@example.org"); len(ids) != 0 {
		t.Fatalf("an unverified address was recorded: %v", ids)
	}
	if msgs := e.forgot(t, "cloud@example.org"); len(msgs) != 0 {
		t.Fatalf("%d messages to an unverified cloud address, want none", len(msgs))
	}
	// Nor can the lookup sign anyone in: it is not the local email index.
	e.signInCloud(t, cloudID("sub-2", "cloud@example.org", true))
	if _, err := e.svc.Login(context.Background(), "cloud@example.org", goodPassword, from); priceline.ErrorKind(err) != priceline.KindUnauthorized {
		t.Fatalf("Login with a cloud address = %v, want unauthorized", err)
	}
}

// A local account and a cloud account with one address: only the local
// reset link goes out (one message per request keeps the per-address limit
// a limit on mail; the sign-in page offers the cloud sign-in as well).
func TestForgotPasswordLocalAndCloudShareAnAddressSendsTheLocalLinkOnly(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "both@example.org")
	e.signInCloud(t, cloudID("sub-1", "both@example.org", true))
	msgs := e.forgot(t, "both@example.org")
	if len(msgs) != 1 || msgs[0].Kind != priceline.MailPasswordReset {
		t.Fatalf("messages = %+v, want the local reset link only", msgs)
	}
	e.link(t, "both@example.org", priceline.MailPasswordReset)
}

// Several cloud accounts may share a verified address: one pointer serves them.
func TestForgotPasswordSeveralCloudAccountsOneAddressOnePointer(t *testing.T) {
	e := newAcctEnv(t)
	e.signInCloud(t, cloudID("sub-1", "shared@example.org", true))
	e.signInCloud(t, cloudID("sub-2", "shared@example.org", true))
	if ids := e.lookup(t, "shared@example.org"); len(ids) != 2 {
		t.Fatalf("lookup = %v, want both accounts", ids)
	}
	if msgs := e.forgot(t, "shared@example.org"); len(msgs) != 1 {
		t.Fatalf("%d messages, want one pointer", len(msgs))
	}
}

// The lookup follows the provider: a profile edit that moves the address or
// leaves it unverified takes the entry out, a sign-in whose token names
// another address does too, and deleting the account removes it.
func TestCloudEmailLookupFollowsProfileEditsSignInsAndDeletion(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	r := e.signInCloud(t, cloudID("sub-1", "a@example.org", true))
	u := r.User
	want := func(addr string, n int) {
		t.Helper()
		if ids := e.lookup(t, addr); len(ids) != n || (n == 1 && ids[0] != u.ID) {
			t.Fatalf("lookup(%s) = %v, want %d entries of %s", addr, ids, n, u.ID)
		}
	}
	want("a@example.org", 1)
	u, err := e.svc.UpdateCloudProfile(ctx, u, cloudID("sub-1", "b@example.org", true))
	if err != nil {
		t.Fatal(err)
	}
	want("a@example.org", 0)
	want("b@example.org", 1)
	if msgs := e.forgot(t, "a@example.org"); len(msgs) != 0 {
		t.Fatalf("the old address got %d messages", len(msgs))
	}
	if msgs := e.forgot(t, "b@example.org"); len(msgs) != 1 {
		t.Fatalf("the new address got %d messages, want 1", len(msgs))
	}
	// Same address, no longer verified: out.
	if u, err = e.svc.UpdateCloudProfile(ctx, u, cloudID("sub-1", "b@example.org", false)); err != nil {
		t.Fatal(err)
	}
	want("b@example.org", 0)
	// A new unverified address: stored to show, never recorded.
	if u, err = e.svc.UpdateCloudProfile(ctx, u, cloudID("sub-1", "c@example.org", false)); err != nil {
		t.Fatal(err)
	}
	want("c@example.org", 0)
	// The next sign-in vouches for it: in.
	e.signInCloud(t, cloudID("sub-1", "c@example.org", true))
	want("c@example.org", 1)
	// A sign-in whose token names another address no longer vouches for it.
	e.signInCloud(t, cloudID("sub-1", "d@example.org", true))
	want("c@example.org", 0)
	want("d@example.org", 0)
	e.signInCloud(t, cloudID("sub-1", "c@example.org", true))
	want("c@example.org", 1)
	// Account deletion removes the entry.
	fresh, err := e.users.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.deleteAccountData(ctx, nil, fresh); err != nil {
		t.Fatalf("deleteAccountData: %v", err)
	}
	want("c@example.org", 0)
	if msgs := e.forgot(t, "c@example.org"); len(msgs) != 0 {
		t.Fatalf("a deleted account's address got %d messages", len(msgs))
	}
}

// A stale entry (the user record moved on without the lookup, as after a
// crash between the two writes) sends nothing: the user record decides.
func TestForgotPasswordIgnoresAStaleCloudEntry(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	r := e.signInCloud(t, cloudID("sub-1", "old@example.org", true))
	if err := e.users.UpdateProfile(ctx, r.User.ID, "Cloud", "new@example.org"); err != nil {
		t.Fatal(err)
	}
	if msgs := e.forgot(t, "old@example.org"); len(msgs) != 0 {
		t.Fatalf("a stale entry got %d messages", len(msgs))
	}
}

// ASVS 5.0 V6.3.8: the answer and its time are alike for a local account,
// a verified cloud address, an unverified one and an unknown address.
func TestASVS_V6_3_8_ForgotPasswordAnswersAlikeForCloudAddresses(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "local@example.org")
	e.signInCloud(t, cloudID("sub-1", "verified@example.org", true))
	e.signInCloud(t, cloudID("sub-2", "unverified@example.org", false))
	var took []time.Duration
	for _, addr := range []string{"local@example.org", "verified@example.org", "unverified@example.org", "nobody@example.org"} {
		d, err := forgotTook(e, addr)
		if err != nil {
			t.Fatalf("ForgotPassword(%s): %v", addr, err)
		}
		took = append(took, d)
	}
	for i, d := range took {
		if d < forgotMinDuration || d-took[0] > 100*time.Millisecond || took[0]-d > 100*time.Millisecond {
			t.Fatalf("times %v (case %d)", took, i)
		}
	}
}

// The pointer shares the reset's limits: 5 requests an hour per address,
// and at most 5 emails an hour per account.
func TestForgotPasswordCloudPointerThrottled(t *testing.T) {
	e := newAcctEnv(t)
	ctx := context.Background()
	e.signInCloud(t, cloudID("sub-1", "cloud@example.org", true))
	for i := range 5 {
		if err := e.svc.ForgotPassword(ctx, "cloud@example.org", from); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	wantCode(t, e.svc.ForgotPassword(ctx, "cloud@example.org", from), priceline.KindTooManyRequests, "too_many_emails")
	e.svc.WaitMail()
	if n := len(e.mail.to("cloud@example.org", priceline.MailPasswordResetB2C)); n != 5 {
		t.Fatalf("%d pointers, want 5", n)
	}
}
