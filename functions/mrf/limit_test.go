package mrf

import (
	"bytes"
	"strings"
	"testing"
)

// TestOversizedRecordIsRefusedNotBuffered lowers the record bound and checks
// that a giant cell or item is reported as too_large, while files whose
// records are each under the bound, however many, still read.
func TestOversizedRecordIsRefusedNotBuffered(t *testing.T) {
	saved := maxRecordBytes
	maxRecordBytes = 64 << 10
	defer func() { maxRecordBytes = saved }()

	for _, format := range []string{FormatCSVTall, FormatCSVWide, FormatJSON} {
		var b bytes.Buffer
		if err := Generate(&b, format, 2000, 1); err != nil {
			t.Fatal(err)
		}
		if b.Len() < 4*int(maxRecordBytes) {
			t.Fatalf("%s: generated file too small (%d bytes) to prove the reset", format, b.Len())
		}
		rep, err := Validate(bytes.NewReader(b.Bytes()), format)
		if err != nil || !rep.Valid {
			t.Fatalf("%s: many small records: %+v, %v", format, rep.Errors, err)
		}
		giant := strings.Repeat("x", 1<<20)
		in := strings.Replace(b.String(), "Generated service 7", "Generated service 7 "+giant, 1)
		rep, err = Validate(strings.NewReader(in), format)
		if err != nil || rep.Valid || !hasRule(rep, RuleTooLarge, SeverityError) {
			t.Errorf("%s: giant record: valid=%v errors=%v err=%v", format, rep.Valid, rep.Errors, err)
		}
	}
	// An unterminated quote would otherwise swallow the rest of the file.
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVTall, 5000, 1); err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(b.String(), "Generated service 4,", "\"Generated service 4,", 1)
	rep, err := Validate(strings.NewReader(in), "quote.csv")
	if err != nil || rep.Valid || (!hasRule(rep, RuleTooLarge, SeverityError) && !hasRule(rep, RuleCSVSyntax, SeverityError)) {
		t.Errorf("unterminated quote: %+v, %v", rep.Errors, err)
	}
}
