package password

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswords is the SecLists 10k most common passwords list; see
// blocklist/SOURCES.md for its origin and licence.
//
//go:embed blocklist/10k-most-common.txt
var commonPasswords string

// loadBlocklist parses the embedded list once per process. Entries are stored
// normalised and lower-cased, the same form Check compares, so "PASSWORD" and
// a full-width "ｐａｓｓｗｏｒｄ" are both found. Every entry is kept, not only
// those of 15 or more characters, because the padding rule in isCommon looks
// for short entries inside longer passwords.
var loadBlocklist = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	for _, line := range strings.Split(commonPasswords, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		set[strings.ToLower(Normalize(line))] = struct{}{}
	}
	return set
})
