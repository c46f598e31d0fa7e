package priceline

import (
	"strings"
)

// NormalizeEmail trims spaces and lower-cases an address so that one mailbox
// has one account. It does not validate; see ValidateEmail.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// ValidateEmail checks a normalised address: one "@", a non-empty local part,
// a dotted domain, at most 254 bytes, and no spaces, control characters or
// characters that have no place in an address we would send mail to.
func ValidateEmail(email string) error {
	invalid := func(msg string) error { return Errorf(KindInvalid, "invalid_email", "%s", msg) }
	if email == "" {
		return invalid("Enter an email address.")
	}
	if len(email) > 254 {
		return invalid("That email address is too long.")
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || strings.Count(email, "@") != 1 {
		return invalid("Enter an email address like name@example.com.")
	}
	local, domain := email[:at], email[at+1:]
	if len(local) > 64 {
		return invalid("The part before @ is too long.")
	}
	for _, r := range email {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`"(),:;<>[\]/#?`+"`", r) {
			return invalid("That email address contains a character that is not allowed.")
		}
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return invalid("Enter an email address like name@example.com.")
	}
	return nil
}
