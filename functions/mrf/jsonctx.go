package mrf

import (
	"encoding/json"
	"strings"
)

// jctx reads typed values out of decoded JSON and reports type errors.
type jctx struct {
	ck  *checker
	fam family
}

func (j jctx) str(m jsonObject, key, path string, nonEmpty bool) field {
	v, ok := m.get(key)
	f := field{col: key, path: path, inJSON: true}
	if !ok {
		return f
	}
	s, isStr := v.(string)
	if !isStr {
		j.ck.errf(f.column(), RuleType, "%s must be a string", f.column())
		return f
	}
	// The schemas ask only minLength 1, so a string of spaces is there as
	// far as CMS is concerned (its validator accepts it); only "" is empty.
	if s == "" {
		if nonEmpty || j.fam == familyV3 {
			j.ck.errf(f.column(), RuleEmpty, "%s must not be empty", f.column())
		}
		return f
	}
	f.val, f.set = s, true
	return f
}

func (j jctx) num(m jsonObject, key, path string) field {
	v, ok := m.get(key)
	f := field{col: key, path: path, inJSON: true}
	if !ok {
		return f
	}
	n, isNum := v.(json.Number)
	if !isNum {
		j.ck.errf(f.column(), RuleType, "%s must be a number", f.column())
		if s, isStr := v.(string); isStr && j.ck.salvage && strings.TrimSpace(s) != "" {
			// A number written as a string ("1234.50", "$1,234.50"): read
			// it as CSV's amounts are, or drop it.
			f.val = s
			if m := j.ck.salvageMoney(f); m.Set {
				f.val, f.set = m.Decimal, true
			}
		}
		return f
	}
	f.val, f.set = n.String(), true
	return f
}

func (j jctx) obj(m jsonObject, key, path string) (jsonObject, bool) {
	v, ok := m.get(key)
	if !ok {
		return nil, false
	}
	o, isObj := v.(jsonObject)
	if !isObj {
		j.ck.errf(path+"/"+key, RuleType, "%s/%s must be an object", path, key)
	}
	return o, isObj
}

// elem is element v of an array, at path, as an object; it reports one
// that is not.
func (j jctx) elem(v any, path string) (jsonObject, bool) {
	o, isObj := v.(jsonObject)
	if !isObj {
		j.ck.errf(path, RuleType, "%s must be an object", path)
	}
	return o, isObj
}

func (j jctx) arr(m jsonObject, key, path string, required bool) ([]any, bool) {
	v, ok := m.get(key)
	if !ok {
		if required {
			j.ck.errf(path+"/"+key, RuleRequired, "%s/%s is required", path, key)
		}
		return nil, false
	}
	a, isArr := v.([]any)
	if !isArr {
		j.ck.errf(path+"/"+key, RuleType, "%s/%s must be an array", path, key)
		return nil, false
	}
	if len(a) == 0 {
		j.ck.errf(path+"/"+key, RuleEmpty, "%s/%s must have at least one element", path, key)
	}
	return a, true
}
