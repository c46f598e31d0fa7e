package tablestorage

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Table keys may not contain / \ # ? or control characters and are limited
// to 1 KiB, so no input is ever used as a key directly. Input-derived keys
// are the hex SHA-256 of the input: always 64 characters of [0-9a-f], fixed
// length whatever the input, and collision-resistant, so no two inputs share
// a key. The lookup still compares the stored original value, so even a
// collision could not return another person's record.

// Partition prefixes of the index entities in the users table. User records
// use the bare 32-hex user ID, which can never start with these.
const (
	emailIndexPrefix   = "email-"
	subjectIndexPrefix = "subject-"
	indexRowKey        = "index"
	userRowKey         = "user"
	attemptPrefix      = "attempt"
)

func hashHex(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// A length prefix keeps ("ab","c") and ("a","bc") apart.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// emailIndexKey is the partition key of the index entity for a local user's
// normalised email.
func emailIndexKey(email string) string { return emailIndexPrefix + hashHex(email) }

// subjectIndexKey is the partition key of the index entity for a cloud
// user's (provider, subject).
func subjectIndexKey(provider, subject string) string {
	return subjectIndexPrefix + hashHex(provider, subject)
}

// attemptKeys spreads throttle records over 256 partitions by the first byte
// of the key's hash, so one hot key does not share a partition with all others.
func attemptKeys(key string) (pk, rk string) {
	sum := sha256.Sum256([]byte(key))
	rk = hex.EncodeToString(sum[:])
	return attemptPrefix + rk[:2], rk
}

// validUserID and validSessionKey check the shape of server-generated IDs
// before they are used as keys or in a filter.
func validUserID(id string) bool    { return priceline.IsLowerHex(id, 32) }
func validSessionKey(k string) bool { return priceline.IsLowerHex(k, 64) }

// odataString returns s as an OData string literal: in single quotes, with
// each quote doubled, which is the only escape the grammar has. Filters are
// only ever built from server values, but this keeps even a hostile value a
// literal.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// odataDateTime returns t as an OData datetime literal in UTC with 100 ns
// precision, the resolution of Edm.DateTime.
func odataDateTime(t time.Time) string {
	return "datetime'" + formatTime(t) + "'"
}

// timeLayout is Edm.DateTime's wire format: always UTC, always 7 fraction
// digits, so stored values compare correctly as strings too.
const timeLayout = "2006-01-02T15:04:05.0000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// entity is the JSON body of a table entity.
type entity map[string]any

// setTime stores t as Edm.DateTime; a zero time is left out because
// Edm.DateTime cannot hold dates before 1601.
func (e entity) setTime(name string, t time.Time) {
	if t.IsZero() {
		return
	}
	e[name] = formatTime(t)
	e[name+"@odata.type"] = "Edm.DateTime"
}
