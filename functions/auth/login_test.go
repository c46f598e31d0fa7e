package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
)

var client = Client{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 test"}

func TestLoginSucceeds(t *testing.T) {
	e := newTestEnv(t)
	u := e.register(t, "ada@example.org")
	r, err := e.svc.Login(context.Background(), " ADA@Example.org", goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	if r.User.ID != u.ID || r.Session.UserID != u.ID || r.Session.Method != priceline.MethodPassword || r.Cookie == "" {
		t.Errorf("result = %+v", r)
	}
	gotU, gotS, err := e.svc.Authenticate(context.Background(), r.Cookie)
	if err != nil || gotU.ID != u.ID || gotS.Key != r.Session.Key {
		t.Fatalf("Authenticate(new cookie) = %v, %v, %v", gotU, gotS, err)
	}
}

func TestLoginUnknownEmailAndWrongPasswordLookTheSame(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	cloud := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderB2C, Subject: "sub-1", Email: "grace@example.org", Name: "Grace"}
	if err := e.users.CreateUser(context.Background(), cloud); err != nil {
		t.Fatal(err)
	}
	// A cloud user that a buggy import gave a local record without a hash.
	hashless := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "linus@example.org", Name: "Linus"}
	if err := e.users.CreateUser(context.Background(), hashless); err != nil {
		t.Fatal(err)
	}

	want := &priceline.Error{Kind: priceline.KindUnauthorized, Code: "invalid_credentials", Message: "Email or password is incorrect."}
	cases := []struct{ name, email, password string }{
		{"wrong password", "ada@example.org", wrongPassword},
		{"unknown email", "nobody@example.org", wrongPassword},
		{"malformed email", "not an email", wrongPassword},
		{"cloud user email", "grace@example.org", wrongPassword},
		{"account without password", "linus@example.org", wrongPassword},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.hasher.verifications()
			hashes := e.hasher.hash.Load()
			// Each case from its own address, so that the IP counter stays in
			// its free zone and cannot make the cases differ.
			_, err := e.svc.Login(context.Background(), c.email, c.password, Client{IP: fmt.Sprintf("198.51.100.%d", i+1)})
			var got *priceline.Error
			if !errors.As(err, &got) {
				t.Fatalf("error = %v, want *priceline.Error", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error mismatch (-want, +got):\n%s", diff)
			}
			if n := e.hasher.verifications() - before; n != 1 {
				t.Errorf("password verifications = %d, want exactly 1 (same argon2id work for every case)", n)
			}
			if e.hasher.hash.Load() != hashes {
				t.Errorf("a failed login made a new hash")
			}
		})
	}
}

func TestLoginOverlongPasswordIsInvalidCredentials(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	for _, email := range []string{"ada@example.org", "nobody@example.org"} {
		_, err := e.svc.Login(context.Background(), email, strings.Repeat("a", 5000), client)
		wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
		if got := e.failures(t, "acct:"+email); got != 1 {
			t.Errorf("%s: failures = %d, want 1", email, got)
		}
	}
}

func TestLoginRehashesWeakHash(t *testing.T) {
	e := newTestEnv(t)
	weak := cheapParams
	weak.Memory = 32
	old, err := password.NewHasher(weak, 1, time.Second).Hash(context.Background(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "ada@example.org", Name: "Ada", PasswordHash: old}
	if err := e.users.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.users.UserByID(context.Background(), u.ID)
	if stored.PasswordHash == old || !strings.Contains(stored.PasswordHash, "m=64,") {
		t.Errorf("stored hash = %q, want a rehash with m=64", stored.PasswordHash)
	}
	// The new hash works and needs no further rehash.
	writes := e.userWrites()
	if _, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client); err != nil {
		t.Fatal(err)
	}
	if e.userWrites() != writes {
		t.Errorf("second login rewrote the hash")
	}
}

func TestLoginRehashFailureIsNotFatal(t *testing.T) {
	e := newTestEnv(t)
	weak := cheapParams
	weak.Iterations = 1
	weak.Memory = 16
	old, _ := password.NewHasher(weak, 1, time.Second).Hash(context.Background(), goodPassword)
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "ada@example.org", Name: "Ada", PasswordHash: old}
	if err := e.users.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	e.users.Fail = memstore.FailOn(unavailable(), userWriteOps...)
	if _, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client); err != nil {
		t.Fatalf("login failed because the rehash could not be stored: %v", err)
	}
	if !strings.Contains(e.logs.String(), "rehash") {
		t.Errorf("rehash failure not logged")
	}
}

func TestLoginStorageFailurePropagates(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.users.Fail = memstore.FailOn(unavailable(), userReadOps...)
	_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client)
	wantCode(t, err, priceline.KindUnavailable, "storage_unavailable")
	if e.hasher.verifications() != 0 {
		t.Errorf("hashed although the user could not be read")
	}
}

func TestLoginNeverLogsSecrets(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	r := e.login(t, "ada@example.org")
	_, _ = e.svc.Login(context.Background(), "ada@example.org", wrongPassword, client)
	logs := e.logs.String()
	for _, secret := range []string{goodPassword, wrongPassword, r.Cookie, r.Session.Key, r.Session.CSRFToken, "ada@example.org"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret or personal value %q", secret)
		}
	}
}

// fail makes n failed logins for email from ip, moving the clock past any
// wait it is told about.
func (e *testEnv) fail(t *testing.T, email, ip string, n int) {
	t.Helper()
	for i := range n {
		_, err := e.svc.Login(context.Background(), email, wrongPassword, Client{IP: ip})
		var pe *priceline.Error
		if errors.As(err, &pe) && pe.Code == "too_many_attempts" {
			e.clock.Advance(pe.RetryAfter)
			_, err = e.svc.Login(context.Background(), email, wrongPassword, Client{IP: ip})
		}
		if priceline.ErrorCode(err) != "invalid_credentials" {
			t.Fatalf("failure %d: %v, want invalid_credentials", i+1, err)
		}
	}
}

func TestASVS_V6_3_1_AccountBackoffAfterFiveFailures(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.fail(t, "ada@example.org", "203.0.113.7", 5)

	before := e.hasher.verifications()
	_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client)
	pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want 1s after the 5th failure", pe.RetryAfter)
	}
	if e.hasher.verifications() != before {
		t.Errorf("a throttled attempt reached the password check")
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 5 {
		t.Errorf("failures = %d, want 5 (refused attempts are not counted)", got)
	}

	e.clock.Advance(time.Second)
	_, err = e.svc.Login(context.Background(), "ada@example.org", wrongPassword, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	_, err = e.svc.Login(context.Background(), "ada@example.org", goodPassword, client)
	pe = wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter != 2*time.Second {
		t.Errorf("RetryAfter = %v, want 2s after the 6th failure", pe.RetryAfter)
	}
	e.clock.Advance(2 * time.Second)
	e.login(t, "ada@example.org")
}

func TestASVS_V6_3_1_BackoffCappedAt15Minutes(t *testing.T) {
	e := newTestEnv(t)
	e.fail(t, "ada@example.org", "203.0.113.7", 30)
	_, err := e.svc.Login(context.Background(), "ada@example.org", wrongPassword, client)
	pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter != 15*time.Minute {
		t.Errorf("RetryAfter = %v, want the 15m cap", pe.RetryAfter)
	}
}

func TestASVS_V6_3_1_SuccessResetsAccountCounter(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.fail(t, "ada@example.org", "203.0.113.7", 4)
	e.login(t, "ada@example.org")
	if got := e.failures(t, "acct:ada@example.org"); got != 0 {
		t.Errorf("failures after success = %d, want 0", got)
	}
	if got := e.failures(t, "ip:203.0.113.7"); got != 4 {
		t.Errorf("IP failures after success = %d, want 4 (a success must not clear an address)", got)
	}
}

func TestASVS_V6_3_1_ThrottleLooksTheSameForUnknownEmail(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	var got []*priceline.Error
	for _, email := range []string{"ada@example.org", "nobody@example.org"} {
		e.fail(t, email, "198.51.100.1", 9)
		_, err := e.svc.Login(context.Background(), email, wrongPassword, Client{IP: "198.51.100.2"})
		var pe *priceline.Error
		if !errors.As(err, &pe) {
			t.Fatal(err)
		}
		got = append(got, pe)
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("throttle of known vs unknown email differs (-known, +unknown):\n%s", diff)
	}
	if got[0].Code != "too_many_attempts" {
		t.Errorf("code = %q, want too_many_attempts", got[0].Code)
	}
}

func TestASVS_V6_3_1_AddressThrottleAcrossAccounts(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	// Password spraying: one guess each at many accounts from one address.
	for i := range 50 {
		_, err := e.svc.Login(context.Background(), fmt.Sprintf("user%d@example.org", i), wrongPassword, Client{IP: "192.0.2.9"})
		wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	}
	_, err := e.svc.Login(context.Background(), "fresh@example.org", wrongPassword, Client{IP: "192.0.2.9"})
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	// The real user elsewhere is unaffected.
	if _, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "192.0.2.10"}); err != nil {
		t.Fatalf("login from another address: %v", err)
	}
}

func TestASVS_V6_3_1_IPv6CountedPerSlash64(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct{ in, want string }{
		{"2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "ip:2001:db8:1:2::/64"},
		{"::ffff:192.0.2.1", "ip:192.0.2.1"},
		{"192.0.2.1", "ip:192.0.2.1"},
		{"fe80::1%eth0", "ip:fe80::/64"},
		{"", ""},
		{"not-an-ip", ""},
		{"127.0.0.1", ""},
		{"::1", ""},
		{"::ffff:127.0.0.1", ""},
		{"0.0.0.0", ""},
	} {
		if got := e.svc.ipKey(tt.in); got != tt.want {
			t.Errorf("ipKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNIST_800_63B_ThrottleAtMost100ConsecutiveFailures(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	start := e.clock.Now()
	// An attacker that always waits exactly as long as it is told to, from
	// many addresses so that only the account counter applies.
	checked := 0
	for i := 0; i < 300; i++ {
		before := e.hasher.verifications()
		_, err := e.svc.Login(context.Background(), "ada@example.org", wrongPassword, Client{IP: fmt.Sprintf("10.0.%d.1", i%10)})
		checked += int(e.hasher.verifications() - before)
		var pe *priceline.Error
		if !errors.As(err, &pe) {
			t.Fatal(err)
		}
		if pe.Code == "too_many_attempts" {
			if pe.RetryAfter > time.Hour {
				break // locked
			}
			e.clock.Advance(pe.RetryAfter)
		}
	}
	if checked != 100 {
		t.Errorf("password checks before the lock = %d, want exactly 100", checked)
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 100 {
		t.Errorf("stored failures = %d, want 100", got)
	}
	if took := e.clock.Now().Sub(start); took < 20*time.Hour {
		t.Errorf("100 failures took only %v; the delays should stretch them over about 21 hours", took)
	}

	// Locked: even the right password is refused without hashing, and
	// hammering neither counts nor extends the lock.
	for range 20 {
		before := e.hasher.verifications()
		_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, client)
		pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
		if pe.RetryAfter <= 15*time.Minute {
			t.Fatalf("RetryAfter while locked = %v, want the remaining lock", pe.RetryAfter)
		}
		if e.hasher.verifications() != before {
			t.Fatal("a locked account reached the password check")
		}
		e.clock.Advance(10 * time.Minute)
	}
	if got := e.failures(t, "acct:ada@example.org"); got != 100 {
		t.Errorf("stored failures after hammering the lock = %d, want still 100", got)
	}
}

func TestASVS_V6_1_1_LockoutLiftsBy24HoursAfterLastFailure(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.svc.Config.Throttle.Account = Limit{LockAt: 10}
	e.fail(t, "ada@example.org", "203.0.113.7", 10)
	_, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "198.51.100.1"})
	pe := wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter != 24*time.Hour {
		t.Errorf("RetryAfter = %v, want 24h from the last failure", pe.RetryAfter)
	}
	// The attacker keeps trying during the lock; it changes nothing.
	for range 23 {
		e.clock.Advance(time.Hour)
		_, _ = e.svc.Login(context.Background(), "ada@example.org", wrongPassword, Client{IP: "198.51.100.66"})
	}
	e.clock.Advance(time.Hour)
	r, err := e.svc.Login(context.Background(), "ada@example.org", goodPassword, Client{IP: "198.51.100.1"})
	if err != nil {
		t.Fatalf("real user still locked out 24h after the last counted failure: %v", err)
	}
	if r.User.Email != "ada@example.org" {
		t.Errorf("user = %+v", r.User)
	}
}

func TestASVS_V6_1_1_OldFailuresAreForgotten(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.fail(t, "ada@example.org", "203.0.113.7", 7)
	e.clock.Advance(24 * time.Hour)
	_, err := e.svc.Login(context.Background(), "ada@example.org", wrongPassword, client)
	wantCode(t, err, priceline.KindUnauthorized, "invalid_credentials")
	if got := e.failures(t, "acct:ada@example.org"); got != 1 {
		t.Errorf("failures = %d, want 1 (the 7 from a day ago forgotten)", got)
	}
}

func TestThrottleSerialisesParallelAttemptsOnOneAccount(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.fail(t, "ada@example.org", "203.0.113.7", 5)
	e.clock.Advance(time.Second) // exactly one attempt may go now

	before := e.hasher.verifications()
	var wg sync.WaitGroup
	codes := make(chan string, 40)
	for i := range 40 {
		wg.Go(func() {
			_, err := e.svc.Login(context.Background(), "ada@example.org", wrongPassword, Client{IP: fmt.Sprintf("10.1.0.%d", i%10)})
			codes <- priceline.ErrorCode(err)
		})
	}
	wg.Wait()
	close(codes)
	n := map[string]int{}
	for c := range codes {
		n[c]++
	}
	if got := e.hasher.verifications() - before; got != 1 {
		t.Errorf("parallel burst made %d password checks, want 1", got)
	}
	if n["invalid_credentials"] != 1 || n["too_many_attempts"] != 39 {
		t.Errorf("outcomes = %v, want 1 invalid_credentials and 39 too_many_attempts", n)
	}
}

func TestThrottleWaitHonoursContext(t *testing.T) {
	var l keyLocks
	release, err := l.lock(context.Background(), "acct:a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.lock(ctx, "acct:a@example.org"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second lock = %v, want the context's deadline", err)
	}
	release()
	release2, err := l.lock(context.Background(), "acct:a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	release2()
	if len(l.entries) != 0 {
		t.Errorf("%d lock entries left behind, want 0", len(l.entries))
	}
}

// A clean login reserves its attempt on the account and the address before
// the password check and gives both back once it succeeds: two writes
// before, two after, and no count left behind.
func TestLoginWithoutFailuresLeavesNoCounts(t *testing.T) {
	e := newTestEnv(t)
	e.register(t, "ada@example.org")
	e.login(t, "ada@example.org")
	if n := e.attemptWrites(); n != 4 {
		t.Errorf("attempt writes on a clean login = %d, want 4 (2 reservations, 2 settlements)", n)
	}
	for _, key := range []string{"acct:ada@example.org", "ip:203.0.113.7"} {
		if got := e.failures(t, key); got != 0 {
			t.Errorf("%s after a clean login = %d, want 0", key, got)
		}
	}
}
