package password

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hospitalpriceline/functions/priceline"
)

// maxPasswordBytes bounds the work an attacker can force per request: NFKC,
// the policy checks and the argon2id pre-hash all grow with input length.
// NIST SP 800-63B asks for at least 64 characters; 1024 bytes leaves room for
// any passphrase or password-manager output.
const maxPasswordBytes = 1024

// Normalize returns the NFKC form of password, so that the same password typed
// on different keyboards or input methods (ligatures, full-width digits,
// composed or decomposed accents) hashes to the same value, as NIST SP 800-63B
// recommends.
func Normalize(password string) string {
	return norm.NFKC.String(password)
}

// prepare validates what the user typed and returns its normalised form. The
// raw length is checked first so that normalisation itself is bounded, and
// again afterwards because NFKC can expand a string (one "ﷺ" becomes 18 runes).
func prepare(password string, maxBytes int) (string, error) {
	if len(password) > maxBytes {
		return "", errTooLong(maxBytes)
	}
	if !utf8.ValidString(password) {
		return "", priceline.Errorf(priceline.KindInvalid, "password_invalid",
			"Your password contains characters that could not be read. Please type it again.")
	}
	n := Normalize(password)
	if len(n) > maxBytes {
		return "", errTooLong(maxBytes)
	}
	return n, nil
}

func errTooLong(maxBytes int) error {
	return priceline.Errorf(priceline.KindInvalid, "password_too_long",
		"Your password is too long. Use at most %d bytes (%d plain letters and digits; accented letters and other scripts count for more).",
		maxBytes, maxBytes)
}
