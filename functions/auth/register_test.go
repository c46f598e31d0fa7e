package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

func TestRegisterCreatesLocalUser(t *testing.T) {
	e := newTestEnv(t)
	u, err := e.svc.Register(context.Background(), "  Ada.Lovelace@Example.ORG ", goodPassword, "  Ada Lovelace ")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada.lovelace@example.org" || u.Name != "Ada Lovelace" || u.Provider != priceline.ProviderLocal || u.Subject != "" {
		t.Errorf("user = %+v", u)
	}
	if len(u.ID) != 32 || !u.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("ID %q, CreatedAt %v", u.ID, u.CreatedAt)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || strings.Contains(u.PasswordHash, goodPassword) {
		t.Errorf("PasswordHash = %q, want an argon2id PHC string", u.PasswordHash)
	}
	stored, err := e.users.UserByEmail(context.Background(), "ada.lovelace@example.org")
	if err != nil || stored.ID != u.ID {
		t.Fatalf("stored user = %+v, %v", stored, err)
	}
}

func TestRegisterRejectsBadInputAndWritesNothing(t *testing.T) {
	tests := []struct {
		name, email, password, displayName, code string
	}{
		{"empty email", "", goodPassword, "Ada", "invalid_email"},
		{"email without domain", "ada@", goodPassword, "Ada", "invalid_email"},
		{"email with space", "ada love@example.org", goodPassword, "Ada", "invalid_email"},
		{"empty name", "ada@example.org", goodPassword, "   ", "invalid_name"},
		{"name too long", "ada@example.org", goodPassword, strings.Repeat("é", 101), "invalid_name"},
		{"name with newline", "ada@example.org", goodPassword, "Ada\nLovelace", "invalid_name"},
		{"name with NUL", "ada@example.org", goodPassword, "Ada\x00", "invalid_name"},
		{"name with bidi override", "ada@example.org", goodPassword, "Ada \u202egnp.exe", "invalid_name"},
		{"name with line separator", "ada@example.org", goodPassword, "Ada\u2028Lovelace", "invalid_name"},
		{"name not UTF-8", "ada@example.org", goodPassword, "Ada\xff", "invalid_name"},
		{"short password", "ada@example.org", "short pass", "Ada", "password_too_short"},
		{"common password", "ada@example.org", "password1234567890", "Ada", "password_common"},
		{"password with email name", "lovelace@example.org", "lovelace rides again 42", "Ada", "password_contextual"},
		{"password with display name", "ada@example.org", "mathematician babbage 1815", "Babbage", "password_contextual"},
		{"password too long", "ada@example.org", strings.Repeat("x", 2000), "Ada", "password_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			_, err := e.svc.Register(context.Background(), tt.email, tt.password, tt.displayName)
			wantCode(t, err, priceline.KindInvalid, tt.code)
			if e.userWrites() != 0 || e.hasher.hash.Load() != 0 {
				t.Errorf("writes = %d, hashes = %d; want nothing written or hashed", e.userWrites(), e.hasher.hash.Load())
			}
		})
	}
}

func TestRegisterNameLimitsCountCharacters(t *testing.T) {
	e := newTestEnv(t)
	// 100 two-byte characters is 200 bytes but still 100 characters.
	if _, err := e.svc.Register(context.Background(), "ada@example.org", goodPassword, strings.Repeat("é", 100)); err != nil {
		t.Fatalf("100-character name refused: %v", err)
	}
	// Joiners are part of ordinary writing (Persian, emoji) and are allowed.
	if _, err := e.svc.Register(context.Background(), "ada2@example.org", goodPassword, "می\u200cخواهم"); err != nil {
		t.Fatalf("name with ZWNJ refused: %v", err)
	}
}

func TestRegisterEmailTakenLooksLikeSuccessAndCreatesNothing(t *testing.T) {
	e := newTestEnv(t)
	first := e.register(t, "ada@example.org")
	hashes := e.hasher.hash.Load()
	u, err := e.svc.Register(context.Background(), "ADA@example.org", otherPassword, "Someone Else")
	if err != nil || u != nil {
		t.Fatalf("Register of a taken address = %v, %v; want nil, nil", u, err)
	}
	if e.hasher.hash.Load() != hashes+1 {
		t.Fatal("a taken address was not hashed: it would answer faster")
	}
	if got, _ := e.users.UserByEmail(context.Background(), "ada@example.org"); got.ID != first.ID || got.Name != first.Name {
		t.Fatalf("the account changed: %+v", got)
	}
}

func TestASVS_V6_2_11_ContextWordsRejectedAtRegistration(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.svc.Register(context.Background(), "grace.hopper@example.org", "hopper compiler cobol 1959", "Grace Hopper")
	wantCode(t, err, priceline.KindInvalid, "password_contextual")
	_, err = e.svc.Register(context.Background(), "grace.hopper@example.org", "my hospitalpriceline login", "Grace Hopper")
	wantCode(t, err, priceline.KindInvalid, "password_contextual")
}

func TestNIST_800_63B_RegisterRequiresMinimumLength15(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.svc.Register(context.Background(), "ada@example.org", "violet tuba 83", "Ada") // 14 characters
	wantCode(t, err, priceline.KindInvalid, "password_too_short")
	if _, err := e.svc.Register(context.Background(), "ada@example.org", "violet tuba 834", "Ada"); err != nil {
		t.Fatalf("15-character password refused: %v", err)
	}
}

// ASVS 5.0 V6.3.1 (anti-automation) and V15.2.2: registrations from one
// address are counted and throttled, whether they succeed or hit
// email_taken, so one client can neither keep the hashers busy nor test
// emails for accounts at will; another address is unaffected, and the count
// is forgotten after a quiet day.
func TestASVS_V6_3_1_RegistrationThrottledPerAddress(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	from := Client{IP: "198.51.100.9"}
	if _, err := e.svc.RegisterFrom(ctx, "first@example.com", goodPassword, "Ada Lovelace", from); err != nil {
		t.Fatal(err)
	}
	var last error
	for i := 0; i < 25; i++ {
		_, last = e.svc.RegisterFrom(ctx, "first@example.com", goodPassword, "Ada Lovelace", from)
		if priceline.ErrorCode(last) == "too_many_attempts" {
			break
		}
		if last != nil {
			t.Fatalf("attempt %d: %v", i, last)
		}
	}
	pe := wantCode(t, last, priceline.KindTooManyRequests, "too_many_attempts")
	if pe.RetryAfter <= 0 {
		t.Fatal("no RetryAfter")
	}
	hashes := e.hasher.hash.Load()
	if _, err := e.svc.RegisterFrom(ctx, "other@example.com", goodPassword, "Ada Lovelace", from); priceline.ErrorCode(err) != "too_many_attempts" {
		t.Fatalf("a throttled address registered: %v", err)
	}
	if e.hasher.hash.Load() != hashes {
		t.Fatal("a throttled registration still hashed")
	}
	if _, err := e.svc.RegisterFrom(ctx, "other@example.com", goodPassword, "Ada Lovelace", Client{IP: "203.0.113.50"}); err != nil {
		t.Fatalf("another address is throttled too: %v", err)
	}
	e.clock.Advance(25 * time.Hour)
	if _, err := e.svc.RegisterFrom(ctx, "third@example.com", goodPassword, "Ada Lovelace", from); err != nil {
		t.Fatalf("the count was not forgotten after a quiet day: %v", err)
	}
}
