package payers

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalize holds the properties every name must keep: no panic, valid
// UTF-8 in and out, and a normalised payer that normalises to itself, so
// that the API finds a payer again by the name it showed.
func FuzzNormalize(f *testing.F) {
	for _, c := range commonSpellings {
		f.Add(c.payer, c.plan)
	}
	f.Add("((((", "]]]")
	f.Add("Plan: (Plan: All)", "-")
	f.Add(" - - - ", " | ")
	f.Add("BCBS of", "")
	f.Add("bcbs"+strings.Repeat(" of", 50), "")
	f.Fuzz(func(t *testing.T, rawPayer, rawPlan string) {
		if !utf8.ValidString(rawPayer) || !utf8.ValidString(rawPlan) {
			t.Skip()
		}
		payer, plan := Normalize(rawPayer, rawPlan)
		if !utf8.ValidString(payer) || !utf8.ValidString(plan) {
			t.Fatalf("Normalize(%q, %q) = %q, %q: not UTF-8", rawPayer, rawPlan, payer, plan)
		}
		if payer != strings.TrimSpace(payer) || plan != strings.TrimSpace(plan) {
			t.Fatalf("Normalize(%q, %q) = %q, %q: untidy", rawPayer, rawPlan, payer, plan)
		}
		if again, _ := Normalize(payer, ""); Key(again) != Key(payer) {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q", rawPayer, payer, payer, again)
		}
	})
}
