package password

import (
	"strings"
	"unicode"
)

// sequences are the orders people type "in a row": alphabet and digits both
// ways (steps go in either direction), keyboard rows, the shifted digit row,
// and the diagonal columns behind patterns such as "1qaz2wsx". Digits appear
// as "0123456789" and as the keyboard row "1234567890", so 9→0 and 0→1 both
// count, which makes "123456789012345" one run.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"0123456789",
	"1234567890",
	"qwertyuiop", "asdfghjkl", "zxcvbnm",
	"!@#$%^&*()",
	"1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik,", "9ol.", "0p;/",
	"qwertzuiop", "yxcvbnm", // QWERTZ rows, common in Europe
	"azertyuiop", "qsdfghjklm", "wxcvbn", // AZERTY rows
}

// steps holds every ordered pair of neighbours in sequences, in both directions.
var steps = func() map[[2]rune]bool {
	m := make(map[[2]rune]bool)
	for _, s := range sequences {
		r := []rune(s)
		for i := 1; i < len(r); i++ {
			m[[2]rune{r[i-1], r[i]}] = true
			m[[2]rune{r[i], r[i-1]}] = true
		}
	}
	return m
}()

// isSequential reports whether nearly all of r (at least 90%) lies in runs of
// three or more characters where each is the neighbour of the one before in
// some sequence. Spaces, hyphens and underscores are ignored first, so
// "abc-def-ghi-jkl-mno" is caught too. Real words contain only short runs
// ("rty" in "party"), so passphrases stay well under the threshold.
func isSequential(r []rune) bool {
	r = stripSeparators(r)
	if len(r) < 3 {
		return false
	}
	covered, run := 0, 1
	flush := func() {
		if run >= 3 {
			covered += run
		}
	}
	for i := 1; i < len(r); i++ {
		if steps[[2]rune{r[i-1], r[i]}] {
			run++
			continue
		}
		flush()
		run = 1
	}
	flush()
	return covered*10 >= len(r)*9
}

// isRepetitive reports whether r is a short unit repeated ("abcabcabc…",
// "passwordpassword"), uses three or fewer distinct characters, or is at
// least half immediate repeats ("aaabbbcccddd…"). Each of these has far less
// entropy than its length suggests.
func isRepetitive(r []rune) bool {
	n := len(r)
	if n == 0 {
		return false
	}
	distinct := make(map[rune]struct{}, 8)
	for _, c := range r {
		distinct[c] = struct{}{}
	}
	if len(distinct) <= 3 {
		return true
	}
	if period(r) <= n/2 {
		return true
	}
	collapsed := 1
	for i := 1; i < n; i++ {
		if r[i] != r[i-1] {
			collapsed++
		}
	}
	return collapsed*2 <= n
}

// period returns the smallest d such that r[i] == r[i-d] for every i >= d,
// that is, the length of the unit r repeats (a trailing partial copy allowed).
func period(r []rune) int {
	// Prefix function (failure links): the longest proper border of r gives
	// its smallest period in linear time, which matters for 1024-byte input.
	fail := make([]int, len(r))
	for i := 1; i < len(r); i++ {
		k := fail[i-1]
		for k > 0 && r[i] != r[k] {
			k = fail[k-1]
		}
		if r[i] == r[k] {
			k++
		}
		fail[i] = k
	}
	return len(r) - fail[len(r)-1]
}

func stripSeparators(r []rune) []rune {
	out := make([]rune, 0, len(r))
	for _, c := range r {
		if c == ' ' || c == '-' || c == '_' {
			continue
		}
		out = append(out, c)
	}
	return out
}

// compact keeps only letters and digits, so a context word is found however
// the user split it up ("Price-Line", "hospital priceline").
func compact(s string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			return c
		}
		return -1
	}, s)
}
