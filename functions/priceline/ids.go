package priceline

import (
	"crypto/rand"
	"encoding/hex"
)

// IsLowerHex reports whether s is exactly n lowercase hex characters: the
// shape of every ID the server generates (user IDs 32, session keys 64),
// checked before such a value is used as a key.
func IsLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// NewUserID returns a random 128-bit user ID, hex encoded.
func NewUserID() string { return randomHex(16) }

// NewToken returns n random bytes, hex encoded, for CSRF tokens and the like.
func NewToken(n int) string { return randomHex(n) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms; if it does, no
		// secure identifier can be made and continuing would be worse.
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}
