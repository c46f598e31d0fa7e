package pricelinetest

import (
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// hostileStrings are values that have broken key- and filter-building
// stores: OData quotes and keywords, characters Table Storage forbids in
// keys, control characters, very long values and non-ASCII text.
func hostileStrings() map[string]string {
	return map[string]string{
		"quote":         "o'brien@example.com",
		"odata-or":      "x' or PartitionKey ne '@example.com",
		"odata-eq-true": "' or true or ''='@example.com",
		"key-chars":     `a/b\c#d?e@example.com`,
		"percent":       "a%2Fb%00@example.com",
		"nul":           "nul\x00byte@example.com",
		"controls":      "c\x01\x1f\x7f\u0080\u009f@example.com",
		"newline":       "line\r\nbreak@example.com",
		"long-10k":      strings.Repeat("a", 10*1024) + "@example.com",
		"unicode":       "jürgen.ß.東京@例え.テスト",
		"emoji-rtl":     "\U0001F600\u202Eevil@example.com",
		"spaces":        "  padded@example.com  ",
		"empty-local":   "@example.com",
		"dots":          "../../users@example.com",
	}
}

// ms returns a UTC time at millisecond precision, offset from a fixed base
// so that tests do not depend on the clock.
func ms(offset time.Duration) time.Time {
	return time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC).Add(offset).Truncate(time.Millisecond)
}

// wantKind fails the test unless err is a *priceline.Error of kind (and of
// code, when code is not "").
func wantKind(t *testing.T, err error, kind, code string) {
	t.Helper()
	if priceline.ErrorKind(err) != kind {
		t.Fatalf("error kind = %q (err %v), want %q", priceline.ErrorKind(err), err, kind)
	}
	if code != "" && priceline.ErrorCode(err) != code {
		t.Fatalf("error code = %q (err %v), want %q", priceline.ErrorCode(err), err, code)
	}
}
