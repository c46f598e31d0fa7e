package pricing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"maps"
	"slices"
)

// Cursors are base64url of: version, offset (4 bytes), the first 12 bytes
// of the SHA-256 of the query they continue, and a 16-byte HMAC-SHA256 tag
// over all of that. They carry no secret and no data: a cursor used with
// another query, or altered, fails the check and gets 400 invalid_cursor.

const (
	cursorVersion   byte = 1
	maxCursorOffset      = 1_000_000
)

// defaultCursorKey is used when CursorKey is empty; see Service.CursorKey.
var defaultCursorKey = []byte("hospital-priceline/cursor/v1")

// queryDigest hashes the query a cursor belongs to: every parameter except
// the cursor itself and the page size, in a canonical order. The parameters
// are named as the API names them, so that the digest of a query is the
// same however it reached the service.
func queryDigest(q PriceQuery) []byte {
	params := map[string]string{
		"code": q.Code, "codeType": q.CodeType, "q": q.Q, "payer": q.Payer, "plan": q.Plan,
		"setting": q.Setting, "hospital": q.HospitalID, "sort": q.Sort,
		"zip": q.Zip, "radiusMiles": q.RadiusMiles,
	}
	var enc []byte
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if params[k] == "" {
			continue
		}
		// Name and value each after its length, so that no two queries
		// encode alike.
		for _, s := range [2]string{k, params[k]} {
			enc = binary.BigEndian.AppendUint64(enc, uint64(len(s)))
			enc = append(enc, s...)
		}
	}
	sum := sha256.Sum256(enc)
	return sum[:12]
}

func (s *Service) cursorTag(payload []byte) []byte {
	var key []byte
	if s.CursorKey != nil {
		key = s.CursorKey()
	}
	if len(key) == 0 {
		key = defaultCursorKey
	}
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)[:16]
}

// makeCursor is the cursor of the page of q that starts at offset.
func (s *Service) makeCursor(offset int, q PriceQuery) string {
	payload := make([]byte, 0, 33)
	payload = append(payload, cursorVersion)
	payload = binary.BigEndian.AppendUint32(payload, uint32(offset))
	payload = append(payload, queryDigest(q)...)
	return base64.RawURLEncoding.EncodeToString(append(payload, s.cursorTag(payload)...))
}

// readCursor returns the offset c points at, if c was made by makeCursor
// for q (with this key) and is unaltered.
func (s *Service) readCursor(c string, q PriceQuery) (int, error) {
	bad := invalid("invalid_cursor", "The cursor is not valid for this query. Start again from the first page.")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) != 33 || raw[0] != cursorVersion {
		return 0, bad
	}
	payload, tag := raw[:17], raw[17:]
	if !hmac.Equal(tag, s.cursorTag(payload)) || !hmac.Equal(payload[5:], queryDigest(q)) {
		return 0, bad
	}
	off := binary.BigEndian.Uint32(payload[1:5])
	if off > maxCursorOffset {
		return 0, bad
	}
	return int(off), nil
}
