package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// defaultMinLength is NIST SP 800-63B rev 4's minimum for a password used as a
// single factor, and ASVS 5.0 V6.2.1's recommendation.
const defaultMinLength = 15

// productWords are the context-specific words for this service (ASVS 5.0
// V6.1.2 asks for them to be documented; this list is that documentation).
// Check always includes them, so a password built around the site's own name
// is rejected whatever the caller passes.
var productWords = []string{"priceline", "hospitalpriceline", "hospital priceline"}

// minContextWordRunes keeps short context words ("al", "bo") from rejecting
// innocent passwords that merely contain those letters.
const minContextWordRunes = 4

// Policy decides whether a new password is acceptable. It has no composition
// rules (ASVS 5.0 V6.2.5): length, a blocklist, context words, repetition and
// sequences are what NIST SP 800-63B rev 4 asks verifiers to check. A Policy
// written as a literal uses the embedded blocklist and the defaults for zero
// fields, so no configuration can switch the checks off.
type Policy struct {
	MinLength int // minimum characters (runes after NFKC); 0 means 15
	MaxBytes  int // maximum bytes before and after NFKC; 0 or more than 1024 means 1024

	blocklist map[string]struct{}
}

// DefaultPolicy returns the policy for Hospital Priceline accounts: at least
// 15 characters, at most 1024 bytes, and the embedded common-password list.
func DefaultPolicy() *Policy {
	return &Policy{MinLength: defaultMinLength, MaxBytes: maxPasswordBytes, blocklist: loadBlocklist()}
}

// Check returns nil if password may be set, or a *priceline.Error of
// KindInvalid whose Code names the first rule it breaks and whose Message tells
// the user what to do. contextWords are words specific to this user, such as
// the local part of their email address; the product names are always added.
func (p *Policy) Check(password string, contextWords ...string) error {
	maxBytes := p.MaxBytes
	if maxBytes <= 0 || maxBytes > maxPasswordBytes {
		// A longer limit would accept passwords that Hash then refuses.
		maxBytes = maxPasswordBytes
	}
	minLength := p.MinLength
	if minLength <= 0 {
		minLength = defaultMinLength
	}
	pw, err := prepare(password, maxBytes)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(pw) < minLength {
		return policyError("password_too_short",
			"Your password must be at least %d characters long. Several unrelated words with spaces between them make a long password that is easy to remember.",
			minLength)
	}
	lower := strings.ToLower(pw)
	if p.isCommon(lower) {
		return policyError("password_common",
			"This password is too common: it is one of the first that attackers try, even with numbers or symbols added. Please choose something less predictable, such as several unrelated words.")
	}
	if containsContextWord(lower, contextWords) {
		return policyError("password_contextual",
			"Your password must not contain your email name or the name of this service. Please choose something else, such as several unrelated words.")
	}
	runes := []rune(lower)
	if isRepetitive(runes) {
		return policyError("password_repetitive",
			"This password repeats the same characters or pattern, which makes it easy to guess. Please choose something less predictable, such as several unrelated words.")
	}
	if isSequential(runes) {
		return policyError("password_sequential",
			"This password is a run of letters, numbers or neighbouring keys, which makes it easy to guess. Please choose something less predictable, such as several unrelated words.")
	}
	return nil
}

func policyError(code, format string, args ...any) error {
	return priceline.Errorf(priceline.KindInvalid, code, format, args...)
}

// isCommon reports whether lower (normalised, lower-cased) is on the blocklist
// or is a blocklisted word of three or more characters with trivial padding.
//
// The padding rule: strip every leading and trailing non-letter; what remains
// is the core. The password counts as common when the core, or the core with
// a run of one repeated letter trimmed from either end ("dragonnnnn"), or the
// unit the core repeats ("passwordpassword"), is on the list AND the stripped
// characters are trivial: none at all, at most four distinct characters
// ("2024!!!", "111"), or themselves a sequence ("1234567"). Random-looking
// padding ("sunshine8472916350") is not trivial, because it adds real
// guessing work, so it passes; so do passwords where the blocklisted word is
// only a part of a phrase. Leetspeak is not undone: the list of substitutions
// is long and the length rule already pushes users towards passphrases.
func (p *Policy) isCommon(lower string) bool {
	list := p.blocklist
	if list == nil {
		// A Policy written as a literal must not silently lose the list.
		list = loadBlocklist()
	}
	if _, ok := list[lower]; ok {
		return true
	}
	start := strings.IndexFunc(lower, unicode.IsLetter)
	if start < 0 {
		return false
	}
	end := strings.LastIndexFunc(lower, unicode.IsLetter)
	_, lastSize := utf8.DecodeRuneInString(lower[end:])
	end += lastSize
	core := lower[start:end]
	pad := []rune(lower[:start] + lower[end:])
	if !trivialPadding(pad) {
		return false
	}
	for _, candidate := range coreCandidates(core) {
		if utf8.RuneCountInString(candidate) < 3 {
			continue
		}
		if _, ok := list[candidate]; ok {
			return true
		}
	}
	return false
}

// coreCandidates lists the words core might be a padded form of.
func coreCandidates(core string) []string {
	r := []rune(core)
	out := []string{core}
	if d := period(r); d < len(r) && len(r)%d == 0 {
		out = append(out, string(r[:d]))
	}
	// Trim a repeated letter at the end, keeping one copy or none, since the
	// word itself may end in that letter ("password" + "dddd").
	if i := len(r) - 1; i > 0 && r[i] == r[i-1] {
		for i > 0 && r[i-1] == r[len(r)-1] {
			i--
		}
		out = append(out, string(r[:i+1]), string(r[:i]))
	}
	if j := 0; len(r) > 1 && r[0] == r[1] {
		for j < len(r)-1 && r[j+1] == r[0] {
			j++
		}
		out = append(out, string(r[j:]), string(r[j+1:]))
	}
	return out
}

func trivialPadding(pad []rune) bool {
	if len(pad) == 0 {
		return true
	}
	distinct := make(map[rune]struct{}, 8)
	for _, c := range pad {
		distinct[c] = struct{}{}
	}
	return len(distinct) <= 4 || isSequential(pad)
}

// containsContextWord reports whether lower contains any of the context
// words or product words of at least four characters, compared
// case-insensitively both as typed and with separators removed. An email
// address contributes its local part and the pieces of it ("john.smith"
// gives "john" and "smith").
func containsContextWord(lower string, contextWords []string) bool {
	lowerCompact := compact(lower)
	for _, w := range append(contextWords[:len(contextWords):len(contextWords)], productWords...) {
		for _, token := range contextTokens(w) {
			if utf8.RuneCountInString(token) < minContextWordRunes {
				continue
			}
			if strings.Contains(lower, token) {
				return true
			}
			if c := compact(token); utf8.RuneCountInString(c) >= minContextWordRunes && strings.Contains(lowerCompact, c) {
				return true
			}
		}
	}
	return false
}

func contextTokens(word string) []string {
	w := strings.ToLower(Normalize(strings.TrimSpace(word)))
	if w == "" {
		return nil
	}
	tokens := []string{w}
	if local, _, ok := strings.Cut(w, "@"); ok {
		tokens = append(tokens, local)
		w = local
	}
	pieces := strings.FieldsFunc(w, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
	if len(pieces) > 1 {
		tokens = append(tokens, pieces...)
	}
	return tokens
}
