package password

import (
	"crypto/rand"
	"math/big"
	"strings"
	"testing"

	"hospitalpriceline/functions/priceline"
)

// randomPrintable returns n random printable ASCII characters, the kind of
// password a password manager generates.
func randomPrintable(t testing.TB, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		c, err := rand.Int(rand.Reader, big.NewInt(95))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteByte(byte(' ' + c.Int64()))
	}
	return b.String()
}

// checkRule checks that the rule with code catches pw on its own (with an
// empty blocklist, since many such patterns are also leaked passwords that
// the blocklist refuses first), and that the default policy refuses it.
func checkRule(t *testing.T, pw, code string) {
	t.Helper()
	p := &Policy{blocklist: map[string]struct{}{}}
	if got := priceline.ErrorCode(p.Check(pw)); got != code {
		t.Errorf("Check(%q) without the blocklist = %q, want %s", pw, got, code)
	}
	if DefaultPolicy().Check(pw) == nil {
		t.Errorf("DefaultPolicy().Check(%q) accepted it", pw)
	}
}

func checkCode(t *testing.T, pw string, words []string, code string) {
	t.Helper()
	err := DefaultPolicy().Check(pw, words...)
	if code == "" {
		if err != nil {
			t.Errorf("Check(%q) = %v, want nil", pw, err)
		}
		return
	}
	if got := priceline.ErrorCode(err); got != code {
		t.Errorf("Check(%q) = %v, want code %s", pw, err, code)
		return
	}
	if kind := priceline.ErrorKind(err); kind != priceline.KindInvalid {
		t.Errorf("Check(%q) kind = %s, want %s", pw, kind, priceline.KindInvalid)
	}
	if msg := err.(*priceline.Error).Message; msg == "" || (pw != "" && strings.Contains(msg, pw)) {
		t.Errorf("Check(%q) message %q is empty or echoes the password", pw, msg)
	}
}

// TestNIST_800_63B_MinimumLength15: §3.1.1.2 (15 characters for a single-factor
// password, counted as code points after normalisation); also ASVS 5.0.0 V6.2.1.
func TestNIST_800_63B_MinimumLength15(t *testing.T) {
	p := DefaultPolicy()
	if p.MinLength != 15 || p.MaxBytes != 1024 {
		t.Fatalf("DefaultPolicy() = MinLength %d, MaxBytes %d; want 15, 1024", p.MinLength, p.MaxBytes)
	}
	checkCode(t, "", nil, "password_too_short")
	checkCode(t, "zebra lamp fog", nil, "password_too_short")       // 14
	checkCode(t, "zebra lamp fogs", nil, "")                        // 15
	checkCode(t, "zébra lämp fögs", nil, "")                        // 15 runes, 18 bytes
	checkCode(t, "ze\u0301bra lamp fog", nil, "password_too_short") // 15 runes typed, 14 after NFKC
	checkCode(t, "\ufb01ve lamps fogs", nil, "")                    // 14 runes typed, 15 after NFKC ("ﬁ" → "fi")
	if err := (&Policy{}).Check("zebra lamp fog"); priceline.ErrorCode(err) != "password_too_short" {
		t.Errorf("zero Policy: Check = %v, want password_too_short (15 by default)", err)
	}
	if err := (&Policy{MinLength: 8}).Check("password1234567"); priceline.ErrorCode(err) != "password_common" {
		t.Errorf("literal Policy: Check = %v, want password_common (embedded blocklist by default)", err)
	}
}

// TestASVS_V6_2_9_SixtyFourCharacterPasswordsAllowed: also NIST SP 800-63B §3.1.1.2.
func TestASVS_V6_2_9_SixtyFourCharacterPasswordsAllowed(t *testing.T) {
	checkCode(t, "maple syrup on pancakes tastes best when the morning is quiet!!", nil, "")
	for range 20 {
		pw := randomPrintable(t, 64)
		checkCode(t, pw, []string{"someone@example.com"}, "")
	}
	for range 5 {
		checkCode(t, randomPrintable(t, maxPasswordBytes), []string{"someone@example.com"}, "")
	}
}

// TestNIST_800_63B_MaximumLength1024Bytes: §3.1.1.2 allows a cap above 64
// characters to bound hashing cost.
func TestNIST_800_63B_MaximumLength1024Bytes(t *testing.T) {
	checkCode(t, strings.Repeat("x", 1025), nil, "password_too_long")
	checkCode(t, strings.Repeat("\ufdfa", 100), nil, "password_too_long") // 300 bytes typed, over 1024 after NFKC
	checkCode(t, "bad \xff utf-8 in a long enough password", nil, "password_invalid")
	if err := (&Policy{MinLength: 15, MaxBytes: 5000}).Check(randomPrintable(t, 1025)); priceline.ErrorCode(err) != "password_too_long" {
		t.Errorf("MaxBytes above 1024: Check = %v, want password_too_long, since Hash would refuse it", err)
	}
}

// TestASVS_V6_2_4_BlocklistRejectsCommonPasswords: also NIST SP 800-63B §3.1.1.2
// (compare against a blocklist of commonly used passwords).
func TestASVS_V6_2_4_BlocklistRejectsCommonPasswords(t *testing.T) {
	list := loadBlocklist()
	if len(list) < 9900 {
		t.Fatalf("blocklist has %d entries, want about 10000", len(list))
	}
	// Every entry that the length rule lets through must be caught. Names are
	// not printed: the list holds offensive words.
	p := DefaultPolicy()
	long := 0
	for entry := range list {
		if len([]rune(entry)) < 15 {
			continue
		}
		long++
		for _, variant := range []string{entry, strings.ToUpper(entry)} {
			if code := priceline.ErrorCode(p.Check(variant)); code != "password_common" {
				t.Errorf("a blocklisted entry of %d characters got %q, want password_common", len(entry), code)
			}
		}
	}
	if long == 0 {
		t.Error("no blocklist entry is 15 characters or longer; the test proves nothing")
	}
	checkCode(t, "FILMS+PIC+GALERIES", nil, "password_common")
}

// TestASVS_V6_2_4_BlocklistWordWithTrivialPadding: the padding rule documented
// on Policy.isCommon.
func TestASVS_V6_2_4_BlocklistWordWithTrivialPadding(t *testing.T) {
	for _, pw := range []string{
		"password1234567",
		"passwordpassword",
		"PasswordPassword",
		"Password2024!!!",
		"iloveyou1111111",
		"123sunshine4567",
		"!!!!dragon!!!!!",
		"dragonnnnnnnnnn",
		"sunshine0987654",
		"ｐａｓｓｗｏｒｄ1234567", // full-width letters, NFKC folds them
	} {
		checkCode(t, pw, nil, "password_common")
	}
	// A blocklisted word inside a phrase, or with padding that is itself hard
	// to guess, is not trivially padded.
	for _, pw := range []string{
		"sunshine8472916350",
		"my dragon sleeps under the stairs",
		"password managers are useful",
	} {
		checkCode(t, pw, nil, "")
	}
}

// TestNIST_800_63B_RejectsRepetitivePasswords: §3.1.1.2 blocklist of expected
// passwords (repetitive characters).
func TestNIST_800_63B_RejectsRepetitivePasswords(t *testing.T) {
	for _, pw := range []string{
		"aaaaaaaaaaaaaaaa",
		"abcabcabcabcabc",
		"xyzxyzxyzxyzxyzx",
		"1212121212121212",
		"q7!q7!q7!q7!q7!q7!",
		"aaabbbcccdddeeefff",
		"abababababccccccc",
		"marmalademarmalade",
		"zzzzzzzzz zzzzzz",
	} {
		checkRule(t, pw, "password_repetitive")
	}
}

// TestNIST_800_63B_RejectsSequentialPasswords: §3.1.1.2 blocklist of expected
// passwords (sequential characters).
func TestNIST_800_63B_RejectsSequentialPasswords(t *testing.T) {
	for _, pw := range []string{
		"123456789012345",
		"abcdefghijklmnop",
		"ponmlkjihgfedcba",
		"9876543210987654",
		"abc-def-ghi-jkl-mno",
		"abcdefghijklmnop!",
	} {
		checkRule(t, pw, "password_sequential")
	}
}

// TestNIST_800_63B_RejectsKeyboardPatterns: §3.1.1.2 blocklist of expected
// passwords (keyboard runs).
func TestNIST_800_63B_RejectsKeyboardPatterns(t *testing.T) {
	for _, pw := range []string{
		"qwertyuiopasdfgh",
		"1qaz2wsx3edc4rfv",
		"zaq1xsw2cde3vfr4",
		"zxcvbnmasdfghjkl",
		"!@#$%^&*()zxcvbnmlkj",
		"poiuytrewqlkjhgf",
		"qwertzuiopasdfgh",
		"azertyuiopqsdfgh",
	} {
		checkRule(t, pw, "password_sequential")
	}
}

// TestASVS_V6_2_11_RejectsContextSpecificWords: the list of V6.1.2 is
// productWords plus the caller's words; also NIST SP 800-63B §3.1.1.2.
func TestASVS_V6_2_11_RejectsContextSpecificWords(t *testing.T) {
	email := []string{"margaret.hughes@example.org"}
	for _, pw := range []string{
		"Margaret loves her garden",
		"the hughes family holiday",
		"margaret.hughes@example.org",
		"I love Hospital Priceline!",
		"my priceline password is long",
		"Price-Line saves me money",
		"hospitalpriceline rocks my socks",
		"HOSPITAL PRICELINE FOREVER",
	} {
		checkCode(t, pw, email, "password_contextual")
	}
	// The local part alone works too, and short words are ignored.
	checkCode(t, "bob's fluffy garden gnome", []string{"al", "bo"}, "")
	checkCode(t, "robertson family picnic", []string{"robertson"}, "password_contextual")
	// Product names are checked even when the caller passes no words.
	checkCode(t, "best priceline on the web", nil, "password_contextual")
}

// TestASVS_V6_2_5_PassphrasesAndAnyCompositionPass: no composition rules, and
// no over-rejection; also NIST SP 800-63B §3.1.1.2 (all printing ASCII, space
// and Unicode accepted).
func TestASVS_V6_2_5_PassphrasesAndAnyCompositionPass(t *testing.T) {
	email := []string{"someone@example.com", "someone"}
	for _, pw := range []string{
		"correct horse battery staple",
		"purple-Tiger-42-bicycle",
		"all lowercase words only here",
		"839201746558203",      // digits only
		"ДОБРОЕ УТРО МОЙ ДРУГ", // Cyrillic capitals
		"🦊🌲🍄🌙⭐🐢🌊🍋🎈🧩🚲🎻🌵🦉🍩",      // emoji, 15 characters
		"  spaces   are   fine  too  ",
		"Tr0ub4dor&3 is not my password",
		"sunshine and showers in april",
	} {
		checkCode(t, pw, email, "")
	}
}

func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{"correct horse battery staple", "password1234567", "aaaaaaaaaaaaaaaa", "\ufdfa", "\xff", "1qaz2wsx3edc4rfv", "ｐａｓｓｗｏｒｄ!!"} {
		f.Add(s, "jane.doe@example.com")
	}
	p := DefaultPolicy()
	f.Fuzz(func(t *testing.T, pw, word string) {
		err := p.Check(pw, word)
		if err != nil && priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Fatalf("Check returned %v, want nil or KindInvalid", err)
		}
	})
}
