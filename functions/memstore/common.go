package memstore

import (
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// maxStringUnits is Table Storage's limit for one string property (64 KiB
// of UTF-16), which the real store enforces on every text it keeps.
const maxStringUnits = 32 * 1024

// hook runs a store's Fail hook, if any.
func hook(fail func(op string) error, op string) error {
	if fail == nil {
		return nil
	}
	return fail(op)
}

// clock returns now(), or the time when now is nil.
func clock(now func() time.Time) time.Time {
	if now == nil {
		return time.Now()
	}
	return now()
}

// stored is t as Table Storage keeps an Edm.DateTime: UTC, 100 ns steps.
func stored(t time.Time) time.Time { return t.UTC().Truncate(100 * time.Nanosecond) }

// checkText refuses what the real store cannot keep exactly: invalid UTF-8
// and text over the property size limit.
func checkText(name, v string) error {
	if !utf8.ValidString(v) {
		return priceline.Errorf(priceline.KindInvalid, "invalid_text", "The %s is not valid text.", name)
	}
	if len(v) > maxStringUnits && len(utf16.Encode([]rune(v))) > maxStringUnits {
		return priceline.Errorf(priceline.KindInvalid, "too_long", "The %s is too long.", name)
	}
	return nil
}

func validUserID(id string) bool    { return priceline.IsLowerHex(id, 32) }
func validSessionKey(k string) bool { return priceline.IsLowerHex(k, 64) }
