package auth

import (
	"context"
	"strings"
	"sync"
	"testing"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

func b2cIdentity(subject, email, name string) *priceline.ExternalIdentity {
	return &priceline.ExternalIdentity{Provider: priceline.ProviderB2C, Subject: subject, Email: email, Name: name, Policy: "B2C_1_signupsignin"}
}

var cloudClient = Client{IP: "203.0.113.9", UserAgent: "test-browser"}

func TestSignInExternalCreatesUserAndSession(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	res, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-1", " Grace@Example.COM ", "Grace Hopper"), cloudClient)
	if err != nil {
		t.Fatalf("SignInExternal: %v", err)
	}
	u := res.User
	if u.Provider != priceline.ProviderB2C || u.Subject != "oid-1" || u.Email != "grace@example.com" || u.Name != "Grace Hopper" || u.PasswordHash != "" {
		t.Fatalf("created user = %+v", u)
	}
	if res.Session.Method != priceline.MethodB2C || res.Session.UserID != u.ID {
		t.Fatalf("session = %+v", res.Session)
	}
	gotU, gotS, err := e.svc.Authenticate(ctx, res.Cookie)
	if err != nil || gotU.ID != u.ID || gotS.Key != res.Session.Key {
		t.Fatalf("Authenticate(new cookie) = %v, %v, %v", gotU, gotS, err)
	}

	// The next sign-in is the same account, with a fresh session.
	again, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-1", "grace@example.com", "Grace Hopper"), cloudClient)
	if err != nil {
		t.Fatal(err)
	}
	if again.User.ID != u.ID {
		t.Fatalf("second sign-in made another user %s, want %s", again.User.ID, u.ID)
	}
	if again.Session.Key == res.Session.Key || again.Cookie == res.Cookie {
		t.Fatal("second sign-in reused the session")
	}
	if e.sessionCount(t, u.ID) != 2 {
		t.Fatalf("sessions = %d, want 2", e.sessionCount(t, u.ID))
	}
}

// A cloud session is the same kind of record as a password session: same
// idle timeout and absolute lifetime, same CSRF token shape.
func TestASVS_V7_3_1_CloudSessionHasLocalTimeouts(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.register(t, "local@example.com")
	local := e.login(t, "local@example.com")
	cloud, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-2", "", "Cloud User"), cloudClient)
	if err != nil {
		t.Fatal(err)
	}
	ls, cs := local.Session, cloud.Session
	if ls.IdleExpiresAt.Sub(ls.CreatedAt) != cs.IdleExpiresAt.Sub(cs.CreatedAt) || ls.ExpiresAt.Sub(ls.CreatedAt) != cs.ExpiresAt.Sub(cs.CreatedAt) {
		t.Fatalf("cloud session timeouts differ: local idle %s life %s, cloud idle %s life %s",
			ls.IdleExpiresAt.Sub(ls.CreatedAt), ls.ExpiresAt.Sub(ls.CreatedAt), cs.IdleExpiresAt.Sub(cs.CreatedAt), cs.ExpiresAt.Sub(cs.CreatedAt))
	}
	if len(cs.CSRFToken) != len(ls.CSRFToken) || len(cs.Key) != 64 {
		t.Fatalf("cloud session record differs in shape: %+v", cs)
	}
	e.clock.Advance(e.svc.config().IdleTimeout)
	if _, _, err := e.svc.Authenticate(ctx, cloud.Cookie); priceline.ErrorKind(err) != priceline.KindUnauthorized {
		t.Fatalf("cloud session survived the idle timeout: %v", err)
	}
}

// The user is identified by the provider's subject, never by the email in
// the token: an existing local account with the same address is neither
// signed into nor changed, and a subject whose address changed is still the
// same account.
func TestASVS_V10_5_2_CloudUserFoundBySubjectNeverMergedByEmail(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	local := e.register(t, "shared@example.com")
	res, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-3", "shared@example.com", "Someone Else"), cloudClient)
	if err != nil {
		t.Fatalf("SignInExternal: %v", err)
	}
	if res.User.ID == local.ID {
		t.Fatal("the B2C identity was signed into the local account with the same email")
	}
	after, err := e.users.UserByID(ctx, local.ID)
	if err != nil || after.PasswordHash != local.PasswordHash || after.Provider != priceline.ProviderLocal || after.Subject != "" {
		t.Fatalf("local account changed: %+v, %v", after, err)
	}
	if byEmail, err := e.users.UserByEmail(ctx, "shared@example.com"); err != nil || byEmail.ID != local.ID {
		t.Fatalf("the email lookup no longer finds the local account: %v, %v", byEmail, err)
	}
	// The local password still signs into the local account only.
	if r := e.login(t, "shared@example.com"); r.User.ID != local.ID {
		t.Fatalf("password login reached %s", r.User.ID)
	}
	// Same subject, new address: same account.
	moved, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-3", "new@example.com", "Someone Else"), cloudClient)
	if err != nil || moved.User.ID != res.User.ID {
		t.Fatalf("subject with a new email = %v, %v; want user %s", moved, err, res.User.ID)
	}
	// Another subject with the same address: another account.
	other, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-4", "shared@example.com", "Third Person"), cloudClient)
	if err != nil || other.User.ID == res.User.ID || other.User.ID == local.ID {
		t.Fatalf("second subject with the same email = %v, %v", other, err)
	}
}

func TestSignInExternalRefusesIdentityWithoutSubject(t *testing.T) {
	e := newTestEnv(t)
	for name, id := range map[string]*priceline.ExternalIdentity{
		"nil":            nil,
		"no subject":     b2cIdentity("", "a@example.com", "A"),
		"other provider": {Provider: priceline.ProviderLocal, Subject: "oid-5"},
	} {
		_, err := e.svc.SignInExternal(context.Background(), id, cloudClient)
		if priceline.ErrorCode(err) != "external_identity_invalid" {
			t.Errorf("%s: err = %v, want external_identity_invalid", name, err)
		}
	}
	if e.userWrites() != 0 || e.sessions.Calls("CreateSession") != 0 {
		t.Fatalf("wrote %d users and %d sessions for invalid identities", e.userWrites(), e.sessions.Calls("CreateSession"))
	}
}

// Names from the provider go through the same rules as registration; one
// that breaks them is replaced rather than shown or refused.
func TestSignInExternalNameFallback(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, tc := range []struct{ subject, email, name, want string }{
		{"oid-n1", "n1@example.com", "  Ada  ", "Ada"},
		{"oid-n2", "n2@example.com", "", "n2@example.com"},
		{"oid-n3", "", "", defaultCloudName},
		{"oid-n4", "", "Evil\u202eName", defaultCloudName},
		{"oid-n5", "not an email", strings.Repeat("x", 101), defaultCloudName},
	} {
		res, err := e.svc.SignInExternal(ctx, b2cIdentity(tc.subject, tc.email, tc.name), cloudClient)
		if err != nil {
			t.Fatalf("%s: %v", tc.subject, err)
		}
		if res.User.Name != tc.want {
			t.Errorf("%s: name = %q, want %q", tc.subject, res.User.Name, tc.want)
		}
		if tc.subject == "oid-n5" && res.User.Email != "" {
			t.Errorf("malformed address kept: %q", res.User.Email)
		}
	}
}

// First sign-ins racing on one subject end up in one account.
func TestSignInExternalConcurrentFirstSignInsMakeOneUser(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			res, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-race", "race@example.com", "Race"), cloudClient)
			if err != nil {
				t.Errorf("SignInExternal: %v", err)
				return
			}
			ids[i] = res.User.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("racing first sign-ins made different users: %v", ids)
		}
	}
}

func TestSignInExternalStorageFailureStartsNoSession(t *testing.T) {
	e := newTestEnv(t)
	e.users.Fail = memstore.FailOn(unavailable(), userReadOps...)
	_, err := e.svc.SignInExternal(context.Background(), b2cIdentity("oid-6", "", "X"), cloudClient)
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if e.sessions.Calls("CreateSession") != 0 || e.userWrites() != 0 {
		t.Fatal("wrote during a storage outage")
	}
}

func TestUpdateCloudProfileRenamesSignedInUser(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	res, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-p1", "old@example.com", "Old Name"), cloudClient)
	if err != nil {
		t.Fatal(err)
	}
	// Seen once, so the user is in the instance's user cache.
	if _, _, err := e.svc.Authenticate(ctx, res.Cookie); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.UpdateCloudProfile(ctx, res.User, b2cIdentity("oid-p1", " New@Example.com ", "  New Name "))
	if err != nil {
		t.Fatalf("UpdateCloudProfile: %v", err)
	}
	if got.Name != "New Name" || got.Email != "new@example.com" || got.ID != res.User.ID {
		t.Fatalf("returned user = %+v", got)
	}
	stored, _ := e.users.UserByID(ctx, res.User.ID)
	if stored.Name != "New Name" || stored.Email != "new@example.com" {
		t.Fatalf("stored user = %+v", stored)
	}
	if u, _, err := e.svc.Authenticate(ctx, res.Cookie); err != nil || u.Name != "New Name" {
		t.Fatalf("Authenticate after the edit = %+v, %v; want the new name at once", u, err)
	}

	// A token without a usable name or address keeps the stored ones, and
	// an unchanged profile writes nothing.
	writes := e.userWrites()
	same, err := e.svc.UpdateCloudProfile(ctx, got, b2cIdentity("oid-p1", "not an address", "\x00"))
	if err != nil || same.Name != "New Name" || same.Email != "new@example.com" || e.userWrites() != writes {
		t.Fatalf("unusable claims: %+v, %v, writes %d→%d", same, err, writes, e.userWrites())
	}
}

// The profile-edit response must be for the user signed in here: a token
// for any other identity changes nothing (ASVS V10.5.2: users are
// identified by the provider's subject, and only by it).
func TestASVS_V10_5_2_ProfileEditForAnotherIdentityRefused(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	res, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-p2", "me@example.com", "Me"), cloudClient)
	if err != nil {
		t.Fatal(err)
	}
	local := e.register(t, "local-p@example.com")
	other := b2cIdentity("oid-someone-else", "me@example.com", "Mallory")
	wrongProvider := b2cIdentity("oid-p2", "", "Mallory")
	wrongProvider.Provider = priceline.ProviderLocal
	noSubject := b2cIdentity("", "", "Mallory")
	writes := e.userWrites()
	for name, c := range map[string]struct {
		u  *priceline.User
		id *priceline.ExternalIdentity
	}{
		"other subject":    {res.User, other},
		"other provider":   {res.User, wrongProvider},
		"no subject":       {res.User, noSubject},
		"no identity":      {res.User, nil},
		"local user":       {local, b2cIdentity("", "local-p@example.com", "Mallory")},
		"no user":          {nil, b2cIdentity("oid-p2", "", "Mallory")},
		"subject case":     {res.User, b2cIdentity("OID-P2", "", "Mallory")},
		"subject prefixed": {res.User, b2cIdentity("oid-p2 ", "", "Mallory")},
	} {
		_, err := e.svc.UpdateCloudProfile(ctx, c.u, c.id)
		if priceline.ErrorKind(err) != priceline.KindForbidden || priceline.ErrorCode(err) != "b2c_profile_other_user" {
			t.Errorf("%s: err = %v, want forbidden b2c_profile_other_user", name, err)
		}
	}
	if e.userWrites() != writes {
		t.Fatal("a refused profile edit wrote to the user store")
	}
	if u, _ := e.users.UserByID(ctx, res.User.ID); u.Name != "Me" {
		t.Fatalf("name changed to %q", u.Name)
	}
}

func TestUpdateCloudProfileStorageFailure(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	res, err := e.svc.SignInExternal(ctx, b2cIdentity("oid-p3", "", "Before"), cloudClient)
	if err != nil {
		t.Fatal(err)
	}
	e.users.Fail = memstore.FailOn(unavailable(), userWriteOps...)
	if _, err := e.svc.UpdateCloudProfile(ctx, res.User, b2cIdentity("oid-p3", "", "After")); priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
}
