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

// commonLongPasswords is every entry of 15 or more characters of the top
// million of the "10 million passwords" list, most common first: the
// passwords our length rule lets through that real leaks show people use
// (ASVS 5.0 V6.2.4 asks for the 3,000 most common of those at least). See
// blocklist/SOURCES.md.
//
//go:embed blocklist/10m-top1m-15plus.txt
var commonLongPasswords string

// loadBlocklist parses the embedded list once per process. Entries are stored
// normalised and lower-cased, the same form Check compares, so "PASSWORD" and
// a full-width "ｐａｓｓｗｏｒｄ" are both found. Every entry is kept, not only
// those of 15 or more characters, because the padding rule in isCommon looks
// for short entries inside longer passwords.
var loadBlocklist = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 20000)
	for _, line := range strings.Split(commonPasswords+"\n"+commonLongPasswords, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		set[strings.ToLower(Normalize(line))] = struct{}{}
	}
	return set
})
