package tablestorage

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func hostileInputs() []string {
	return []string{
		"", "'", "''", "' or PartitionKey ne '", "x' or RowKey gt '' or '1' eq '1",
		`/`, `\`, "#", "?", `a/b\c#d?e`, "\x00", "a\x00b", "\x01\x1f\x7f", "\u0080\u009f",
		"\r\n", "%2F%5C%23%3F", strings.Repeat("a", 10*1024), strings.Repeat("'", 5000),
		"jürgen@例え.テスト", "\U0001F600\u202E", "\xff\xfe invalid utf-8",
	}
}

// forbiddenInKey reports the first character Table Storage rejects in a
// PartitionKey or RowKey, or -1.
func forbiddenInKey(k string) rune {
	for _, r := range k {
		if strings.ContainsRune(`/\#?`, r) || r <= 0x1f || (r >= 0x7f && r <= 0x9f) {
			return r
		}
	}
	return -1
}

func checkKey(t *testing.T, what, in, key string) {
	t.Helper()
	if key == "" || len(key) > 1024 || !utf8.ValidString(key) {
		t.Errorf("%s(%.30q) = %.40q: empty, invalid or over 1 KiB", what, in, key)
	}
	if r := forbiddenInKey(key); r != -1 {
		t.Errorf("%s(%.30q) = %q contains forbidden %q", what, in, key, r)
	}
	if strings.Contains(key, "'") {
		t.Errorf("%s(%.30q) = %q contains a quote", what, in, key)
	}
}

func TestASVS_V1_2_4_KeysFromHostileInputAreSafeAndDistinct(t *testing.T) {
	seen := map[string]string{}
	add := func(what, in, key string) {
		t.Helper()
		checkKey(t, what, in, key)
		if prev, ok := seen[key]; ok {
			t.Errorf("%s(%.30q) collides with %.30q", what, in, prev)
		}
		seen[key] = what + ":" + in
	}
	for _, in := range hostileInputs() {
		add("emailIndexKey", in, emailIndexKey(in))
		add("subjectIndexKey", in, subjectIndexKey("b2c", in))
		pk, rk := attemptKeys(in)
		checkKey(t, "attempt pk", in, pk)
		add("attempt rk", in, rk)
		if emailIndexKey(in) != emailIndexKey(in) {
			t.Errorf("emailIndexKey(%.30q) is not deterministic", in)
		}
	}
	// The provider/subject boundary is unambiguous.
	if subjectIndexKey("ab", "c") == subjectIndexKey("a", "bc") {
		t.Error("subjectIndexKey(ab, c) == subjectIndexKey(a, bc)")
	}
	// Index partitions can never be mistaken for a user ID.
	for _, k := range []string{emailIndexKey("x"), subjectIndexKey("b2c", "x"), pingPartition} {
		if validUserID(k) {
			t.Errorf("index key %q looks like a user ID", k)
		}
	}
}

func TestIsLowerHex(t *testing.T) {
	good := "0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		s    string
		want bool
	}{
		{good, true}, {strings.ToUpper(good), false}, {good[:31], false}, {good + "0", false},
		{"' or 1 eq 1 or ''='0123456789abc", false}, {"0123456789abcdef0123456789abcde\x00", false},
		{"0123456789abcdef0123456789abcdeg", false}, {"", false},
	} {
		if got := validUserID(c.s); got != c.want {
			t.Errorf("validUserID(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

// odataLiteralIsClosed reports whether lit is exactly one OData string
// literal: quoted, with every inner quote doubled.
func odataLiteralIsClosed(lit string) bool {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return false
	}
	inner := lit[1 : len(lit)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 >= len(inner) || inner[i+1] != '\'' {
				return false
			}
			i++
		}
	}
	return true
}

func TestASVS_V1_2_4_ODataStringLiteralEscapesHostileValues(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "''"},
		{"abc", "'abc'"},
		{"'", "''''"},
		{"o'brien", "'o''brien'"},
		{"' or PartitionKey ne '", "''' or PartitionKey ne '''"},
	} {
		if got := odataString(c.in); got != c.want {
			t.Errorf("odataString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, in := range hostileInputs() {
		lit := odataString(in)
		if !odataLiteralIsClosed(lit) {
			t.Errorf("odataString(%.30q) = %.60q is not a single closed literal", in, lit)
		}
		if back := strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"); back != in {
			t.Errorf("odataString(%.30q) does not decode back", in)
		}
	}
}

func TestODataDateTimeFormatsUTCWith100nsPrecision(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), "datetime'2026-01-02T03:04:05.1234567Z'"},
		{time.Date(2026, 1, 2, 4, 4, 5, 0, cet), "datetime'2026-01-02T03:04:05.0000000Z'"},
		{time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC), "datetime'1999-12-31T23:59:59.9999999Z'"},
	} {
		if got := odataDateTime(c.in); got != c.want {
			t.Errorf("odataDateTime(%v) = %s, want %s", c.in, got, c.want)
		}
	}
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	want := "ExpiresAt le datetime'2026-05-06T07:08:09.0000000Z' or IdleExpiresAt le datetime'2026-05-06T07:08:09.0000000Z'"
	if got := expiredFilter(now); got != want {
		t.Errorf("expiredFilter = %s\nwant %s", got, want)
	}
}
