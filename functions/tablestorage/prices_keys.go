package tablestorage

import (
	"fmt"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// keyEncode makes any text safe and order-preserving as part of a table key:
// ASCII letters, digits and "-" stay, every other byte becomes "_XX" (hex).
// The output never holds the separator ".", the range end "~", or any
// character keys forbid (/ \ # ? and control characters), and the encoding of
// a prefix is a prefix of the encoding, so prefix range queries work.
func keyEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02X", c)
	}
	return b.String()
}

// procedureKey is the partition of a code's charges: its normalised type
// and code. Codes too long for a readable key are hashed (they still never
// collide, and a lookup compares nothing else).
func procedureKey(code priceline.Code) string {
	n := priceline.NormalizeCode(code)
	k := keyEncode(n.Type) + "." + keyEncode(n.Code)
	if len(k) > 300 {
		return "H." + hashHex(n.Type, n.Code)
	}
	return k
}
