package priceline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateUserAgent(t *testing.T) {
	if got := TruncateUserAgent("short"); got != "short" {
		t.Errorf("short agent changed to %q", got)
	}
	long := strings.Repeat("é", 300)
	if got := TruncateUserAgent(long); utf8.RuneCountInString(got) != 256 || !strings.HasPrefix(long, got) {
		t.Errorf("long agent truncated to %d characters", utf8.RuneCountInString(got))
	}
	if got := TruncateUserAgent("ok\xffbad"); !utf8.ValidString(got) {
		t.Errorf("invalid UTF-8 kept: %q", got)
	}
}
