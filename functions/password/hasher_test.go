package password

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// testParams keep argon2id cheap so the package tests run in seconds under
// -race; the default cost is tested where it is the point.
var testParams = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newTestHasher(t testing.TB) *Hasher {
	t.Helper()
	return NewHasher(testParams, 4, time.Second)
}

// wantError fails t unless err is a *priceline.Error with the given kind and code.
func wantError(t *testing.T, err error, kind, code string) *priceline.Error {
	t.Helper()
	var pe *priceline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want *priceline.Error %s/%s", err, kind, code)
	}
	if pe.Kind != kind || pe.Code != code {
		t.Fatalf("error = %s/%s (%v), want %s/%s", pe.Kind, pe.Code, err, kind, code)
	}
	if pe.Message == "" {
		t.Errorf("error %s has no user message", code)
	}
	return pe
}

func mustHash(t *testing.T, h *Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return enc
}

func verify(t *testing.T, h *Hasher, pw, enc string) (ok, rehash bool) {
	t.Helper()
	ok, rehash, err := h.Verify(context.Background(), pw, enc)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return ok, rehash
}

func TestASVS_V11_4_2_DefaultParamsAreOWASPArgon2idMinimum(t *testing.T) {
	want := Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	if got := DefaultParams(); got != want {
		t.Fatalf("DefaultParams() = %+v, want %+v", got, want)
	}
	h := NewHasher(DefaultParams(), 1, time.Second)
	if h.Params() != want {
		t.Fatalf("Params() = %+v, want %+v", h.Params(), want)
	}
	enc := mustHash(t, h, "correct horse battery staple")
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default hash %q does not use argon2id with the default parameters", enc)
	}
	if ok, rehash := verify(t, h, "correct horse battery staple", enc); !ok || rehash {
		t.Fatalf("Verify = %v, %v; want true, false", ok, rehash)
	}
}

func TestASVS_V11_4_2_PHCFormatRoundTrip(t *testing.T) {
	h := newTestHasher(t)
	enc := mustHash(t, h, "purple-Tiger-42-bicycle")
	// 16-byte salt and 32-byte key in unpadded standard base64.
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("Hash = %q, want PHC format matching %s", enc, re)
	}
	p, salt, key, err := decodePHC(enc)
	if err != nil {
		t.Fatalf("decodePHC: %v", err)
	}
	if p != testParams || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("decoded %+v, salt %d bytes, key %d bytes", p, len(salt), len(key))
	}
	if got := encodePHC(p, salt, key); got != enc {
		t.Fatalf("re-encoded %q, want %q", got, enc)
	}
	if ok, rehash := verify(t, h, "purple-Tiger-42-bicycle", enc); !ok || rehash {
		t.Fatalf("Verify = %v, %v; want true, false", ok, rehash)
	}
}

// TestASVS_V11_4_2_SaltUniquePerHash: also NIST SP 800-63B §3.1.1.2 (salt of at
// least 32 bits from an approved random generator).
func TestASVS_V11_4_2_SaltUniquePerHash(t *testing.T) {
	h := newTestHasher(t)
	salts := map[string]bool{}
	hashes := map[string]bool{}
	for range 32 {
		enc := mustHash(t, h, "the same password every time")
		_, salt, _, err := decodePHC(enc)
		if err != nil {
			t.Fatal(err)
		}
		if len(salt) != 16 {
			t.Fatalf("salt is %d bytes, want 16", len(salt))
		}
		if salts[string(salt)] || hashes[enc] {
			t.Fatalf("salt or hash repeated after %d hashes", len(salts))
		}
		salts[string(salt)] = true
		hashes[enc] = true
	}
}

func TestWrongPasswordFails(t *testing.T) {
	h := newTestHasher(t)
	enc := mustHash(t, h, "correct horse battery staple")
	for _, wrong := range []string{"", "correct horse battery stapl", "correct horse battery staple ", "Correct horse battery staple", "incorrect horse battery staple"} {
		if ok, rehash := verify(t, h, wrong, enc); ok || rehash {
			t.Errorf("Verify(%q) = %v, %v; want false, false", wrong, ok, rehash)
		}
	}
}

// TestNIST_800_63B_NFKCNormalisation: §3.1.1.2 (normalise Unicode with NFKC or
// NFKD before hashing).
func TestNIST_800_63B_NFKCNormalisation(t *testing.T) {
	h := newTestHasher(t)
	tests := []struct{ stored, typed string }{
		{"\ufb01nancial \ufb01les are boring", "financial files are boring"},    // "ﬁ" ligature
		{"locker code １２３４５ please", "locker code 12345 please"},                // full-width digits
		{"caf\u00e9 au lait every morning", "cafe\u0301 au lait every morning"}, // composed vs combining accent
	}
	for _, tt := range tests {
		enc := mustHash(t, h, tt.stored)
		if ok, _ := verify(t, h, tt.typed, enc); !ok {
			t.Errorf("%q does not verify against hash of %q", tt.typed, tt.stored)
		}
		if Normalize(tt.stored) != Normalize(tt.typed) {
			t.Errorf("Normalize(%q) != Normalize(%q)", tt.stored, tt.typed)
		}
	}
}

// TestASVS_V6_2_8_NoTruncationOrCaseChange: also NIST SP 800-63B §3.1.1.2
// (verify the entire submitted password).
func TestASVS_V6_2_8_NoTruncationOrCaseChange(t *testing.T) {
	h := newTestHasher(t)
	base := []byte(strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 30)[:1010])
	enc := mustHash(t, h, string(base))
	if ok, _ := verify(t, h, string(base), enc); !ok {
		t.Fatal("1010-byte password does not verify against its own hash")
	}
	for _, at := range []int{100, 1000} {
		changed := append([]byte(nil), base...)
		changed[at] = '#'
		if ok, _ := verify(t, h, string(changed), enc); ok {
			t.Errorf("password differing only at byte %d verified: input was truncated", at)
		}
	}
	if ok, _ := verify(t, h, strings.ToUpper(string(base)), enc); ok {
		t.Error("upper-cased password verified: case was changed")
	}
}

// TestASVS_V6_2_9_SixtyFourCharacterPasswordsHash: also NIST SP 800-63B §3.1.1.2
// (allow at least 64 characters).
func TestASVS_V6_2_9_SixtyFourCharacterPasswordsHash(t *testing.T) {
	h := newTestHasher(t)
	pw := strings.Repeat("ab1 cd2 ", 8)
	if n := len([]rune(pw)); n != 64 {
		t.Fatalf("test password has %d characters", n)
	}
	enc := mustHash(t, h, pw)
	if ok, _ := verify(t, h, pw, enc); !ok {
		t.Fatal("64-character password does not verify")
	}
	max := randomPrintable(t, maxPasswordBytes)
	enc = mustHash(t, h, max)
	if ok, _ := verify(t, h, max, enc); !ok {
		t.Fatal("1024-byte password does not verify")
	}
}

// TestHasherRejectsOverlongPasswordBeforeHashing: the 1024-byte cap bounds the
// cost an attacker can force (NIST SP 800-63B §3.1.1.2 allows a cap; ASVS 5.0.0
// V15.2.2 asks for defences against resource-demanding functionality).
func TestHasherRejectsOverlongPasswordBeforeHashing(t *testing.T) {
	// With the only slot held and no waiting allowed, any attempt to hash
	// would fail with server_busy; password_too_long proves the length check
	// comes first and costs no argon2id work.
	h := NewHasher(testParams, 1, 0)
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx := context.Background()
	enc := "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	inputs := map[string]string{
		"1025 bytes":                  strings.Repeat("a", maxPasswordBytes+1),
		"1025 bytes of multibyte":     strings.Repeat("é", 512) + "a",
		"under 1024 bytes until NFKC": strings.Repeat("\ufdfa", 100), // 300 bytes, expands past 3000
	}
	for name, pw := range inputs {
		t.Run(name, func(t *testing.T) {
			_, err := h.Hash(ctx, pw)
			wantError(t, err, priceline.KindInvalid, "password_too_long")
			_, _, err = h.Verify(ctx, pw, enc)
			wantError(t, err, priceline.KindInvalid, "password_too_long")
			wantError(t, h.VerifyDummy(ctx, pw), priceline.KindInvalid, "password_too_long")
		})
	}
	t.Run("invalid UTF-8", func(t *testing.T) {
		pw := "valid start \xff\xfe then junk"
		_, err := h.Hash(ctx, pw)
		wantError(t, err, priceline.KindInvalid, "password_invalid")
		_, _, err = h.Verify(ctx, pw, enc)
		wantError(t, err, priceline.KindInvalid, "password_invalid")
		wantError(t, h.VerifyDummy(ctx, pw), priceline.KindInvalid, "password_invalid")
	})
	t.Run("exactly 1024 bytes reaches the semaphore", func(t *testing.T) {
		_, err := h.Hash(ctx, strings.Repeat("a", maxPasswordBytes))
		wantError(t, err, priceline.KindUnavailable, "server_busy")
	})
}

func TestNeedsRehashWhenStoredParamsAreWeaker(t *testing.T) {
	current := NewHasher(Params{Memory: 128, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2, time.Second)
	const pw = "correct horse battery staple"
	tests := []struct {
		name   string
		stored Params
		want   bool
	}{
		{"same", current.Params(), false},
		{"less memory", Params{Memory: 64, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"fewer iterations", Params{Memory: 128, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"shorter salt", Params{Memory: 128, Iterations: 2, Parallelism: 1, SaltLength: 8, KeyLength: 32}, true},
		{"shorter key", Params{Memory: 128, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 16}, true},
		{"stronger", Params{Memory: 256, Iterations: 3, Parallelism: 2, SaltLength: 32, KeyLength: 64}, false},
		{"other parallelism only", Params{Memory: 128, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := mustHash(t, NewHasher(tt.stored, 1, time.Second), pw)
			ok, rehash := verify(t, current, pw, enc)
			if !ok || rehash != tt.want {
				t.Fatalf("Verify = %v, %v; want true, %v", ok, rehash, tt.want)
			}
			// A wrong password never asks for a rehash: the caller has nothing to hash.
			if ok, rehash := verify(t, current, pw+"!", enc); ok || rehash {
				t.Fatalf("wrong password: Verify = %v, %v; want false, false", ok, rehash)
			}
		})
	}
}

func TestMalformedHashesAreErrorsNotPanics(t *testing.T) {
	h := newTestHasher(t)
	good := mustHash(t, h, "correct horse battery staple")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	bad := map[string]string{
		"empty":              "",
		"plain text":         "correct horse battery staple",
		"bcrypt":             "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":            "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"argon2d":            "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"version 16":         "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"no version":         "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"missing hash":       "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"extra field":        good + "$extra",
		"no leading dollar":  strings.TrimPrefix(good, "$"),
		"params reordered":   "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"param missing":      "$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"param not a number": "$argon2id$v=19$m=lots,t=1,p=1$" + salt + "$" + key,
		"negative memory":    "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
		"zero iterations":    "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"zero parallelism":   "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"parallelism 256":    "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key,
		"memory 4 TiB":       "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"memory overflow":    "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"iterations huge":    "$argon2id$v=19$m=64,t=4294967295,p=1$" + salt + "$" + key,
		"memory below 8p":    "$argon2id$v=19$m=8,t=1,p=4$" + salt + "$" + key,
		"salt not base64":    "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key,
		"salt padded":        "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"hash url alphabet":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.NewReplacer("+", "-", "/", "_").Replace(key) + "-_",
		"salt too short":     "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"hash too short":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA",
		"empty salt":         "$argon2id$v=19$m=64,t=1,p=1$$" + key,
	}
	for name, enc := range bad {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "correct horse battery staple", enc)
			if ok || rehash {
				t.Errorf("Verify = %v, %v; want false, false", ok, rehash)
			}
			wantError(t, err, priceline.KindInternal, "bad_hash")
		})
	}
}

func FuzzDecodePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodePHC(s)
		if err != nil {
			return
		}
		if p.validate() != nil || int(p.SaltLength) != len(salt) || int(p.KeyLength) != len(key) {
			t.Fatalf("decodePHC(%q) accepted unusable %+v", s, p)
		}
	})
}

// TestHasherConcurrencyCapReturnsServerBusy: ASVS 5.0.0 V15.2.2 (defence against
// resource-demanding functionality) and V2.4.1 (anti-automation against DoS).
func TestHasherConcurrencyCapReturnsServerBusy(t *testing.T) {
	h := NewHasher(testParams, 1, 10*time.Millisecond)
	ctx := context.Background()
	enc := mustHash(t, h, "correct horse battery staple")

	release, err := h.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = h.Hash(ctx, "correct horse battery staple")
	if pe := wantError(t, err, priceline.KindUnavailable, "server_busy"); pe.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want 1s", pe.RetryAfter)
	}
	if waited := time.Since(start); waited < 10*time.Millisecond {
		t.Errorf("gave up after %v, before maxWait", waited)
	}
	_, _, err = h.Verify(ctx, "correct horse battery staple", enc)
	wantError(t, err, priceline.KindUnavailable, "server_busy")
	wantError(t, h.VerifyDummy(ctx, "correct horse battery staple"), priceline.KindUnavailable, "server_busy")

	release()
	if ok, _ := verify(t, h, "correct horse battery staple", enc); !ok {
		t.Fatal("Verify failed after the slot was released")
	}
}

func TestHasherWaitEndsWithContext(t *testing.T) {
	h := NewHasher(testParams, 1, time.Hour)
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = h.Hash(ctx, "correct horse battery staple")
	wantError(t, err, priceline.KindUnavailable, "server_busy")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
}

func TestHasherWaiterGetsSlotWhenFreed(t *testing.T) {
	h := NewHasher(testParams, 1, 5*time.Second)
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "correct horse battery staple")
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	release()
	if err := <-done; err != nil {
		t.Fatalf("waiting Hash: %v", err)
	}
}

func TestHasherAtMostMaxConcurrentHashes(t *testing.T) {
	const maxConcurrent = 3
	h := NewHasher(testParams, maxConcurrent, 0)
	ctx := context.Background()
	for i := range maxConcurrent {
		release, err := h.acquire(ctx)
		if err != nil {
			t.Fatalf("slot %d of %d refused: %v", i+1, maxConcurrent, err)
		}
		defer release()
	}
	_, err := h.Hash(ctx, "correct horse battery staple")
	wantError(t, err, priceline.KindUnavailable, "server_busy")
}

// TestASVS_V6_3_8_VerifyDummyDoesRealWork: an unknown email must cost the same
// as a known one, so timing does not reveal accounts (L3, done anyway).
func TestASVS_V6_3_8_VerifyDummyDoesRealWork(t *testing.T) {
	h := NewHasher(testParams, 1, 0)
	ctx := context.Background()
	if err := h.VerifyDummy(ctx, "no such user typed this"); err != nil {
		t.Fatalf("VerifyDummy: %v", err)
	}
	if len(h.dummySalt) != int(testParams.SaltLength) || len(h.dummyKey) != int(testParams.KeyLength) {
		t.Fatal("dummy target does not match the current parameters, so its cost would differ")
	}
	// It needs a hashing slot exactly as Verify does, so it costs the same
	// memory and time and is refused the same way under load.
	release, err := h.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, h.VerifyDummy(ctx, "no such user typed this"), priceline.KindUnavailable, "server_busy")
	release()

	// argon2id allocates its whole memory block, so allocation proves the
	// dummy ran a real hash at the current cost without measuring time.
	big := NewHasher(Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1, time.Second)
	enc := mustHash(t, big, "someone else's password")
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	dummy := allocated(func() {
		if err := big.VerifyDummy(ctx, "no such user typed this"); err != nil {
			t.Fatal(err)
		}
	})
	genuine := allocated(func() { verify(t, big, "no such user typed this", enc) })
	if dummy < 1024*1024 || genuine < 1024*1024 {
		t.Fatalf("VerifyDummy allocated %d bytes and Verify %d, want both at least the 1 MiB argon2id block", dummy, genuine)
	}
}

func TestNewHasherPanicsOnUnusableParams(t *testing.T) {
	for name, p := range map[string]Params{
		"zero":           {},
		"no iterations":  {Memory: 64, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		"no parallelism": {Memory: 64, Iterations: 1, SaltLength: 16, KeyLength: 32},
		"tiny salt":      {Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32},
		"tiny key":       {Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8},
		"memory 2 GiB":   {Memory: 2 << 20, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("NewHasher did not panic")
				}
			}()
			NewHasher(p, 1, time.Second)
		})
	}
}

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams(), 1, time.Minute)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := NewHasher(DefaultParams(), 1, time.Minute)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", enc); err != nil || !ok {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}
