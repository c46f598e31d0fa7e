package auth

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// statedLifetime finds a stated span of time ("30 minutes", "24 hours") in
// a text, however a line break splits it.
var statedLifetime = regexp.MustCompile(`\b\d+\s+(?:second|minute|hour|day|week)s?\b`)

// Every message with a link states the lifetime its token really has: the
// texts are built from the constants, and this catches a text that states
// any other span (ASVS 5.0 V6.4.1: the reader is told how short-lived the
// link is, truthfully).
func TestMailsStateTheTokenLifetimes(t *testing.T) {
	s := &Service{}
	_, verify := s.verifyText("Kim", "https://example.org/verify-email?token=v1")
	_, reset := s.resetText("https://example.org/reset-password?token=r1")
	_, change := s.emailChangeText("https://example.org/verify-email?token=e1")
	for name, c := range map[string]struct {
		text     string
		lifetime time.Duration
	}{
		"verification": {verify, priceline.VerifyTokenLifetime},
		"reset":        {reset, priceline.AccountTokenLifetime},
		"email change": {change, priceline.AccountTokenLifetime},
	} {
		assertStatesLifetime(t, name, c.text, c.lifetime)
	}
}

// assertStatesLifetime fails unless text states a span of time and every
// span it states is lifetime, written as the messages write it.
func assertStatesLifetime(t *testing.T, what, text string, lifetime time.Duration) {
	t.Helper()
	want := priceline.LifetimeText(lifetime)
	spans := statedLifetime.FindAllString(text, -1)
	if len(spans) == 0 {
		t.Errorf("%s states no lifetime, want %q:\n%s", what, want, text)
	}
	for _, got := range spans {
		if got = strings.Join(strings.Fields(got), " "); got != want {
			t.Errorf("%s states %q, want %q (the token's lifetime):\n%s", what, got, want, text)
		}
	}
}
