package mrf

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzMaxCharges bounds how many charges a fuzz input may yield, so a
// finding of runaway output shows as a failure, not a hang.
const fuzzMaxCharges = 100_000

// drain opens and reads data to the end, strictly and in salvage mode; it
// must never panic, and must either fail at Open or end in io.EOF or a
// FormatError.
func drain(t *testing.T, data []byte) {
	drainWith(t, data, Options{})
	drainWith(t, data, Options{Salvage: true})
}

func drainWith(t *testing.T, data []byte, opt Options) {
	rd, err := OpenWith(bytes.NewReader(data), "fuzz", opt)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("Open: non-format error from an in-memory reader: %v", err)
		}
		return
	}
	_ = rd.Hospital()
	for n := 0; ; n++ {
		if n > fuzzMaxCharges {
			t.Fatalf("more than %d charges from %d bytes", fuzzMaxCharges, len(data))
		}
		_, ps, err := rd.Next()
		for _, p := range ps {
			if p.Rule == "" || (p.Severity != SeverityError && p.Severity != SeverityWarning) {
				t.Fatalf("malformed problem %+v", p)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: non-format error from an in-memory reader: %v", err)
			}
			break
		}
	}
	if _, err := Validate(bytes.NewReader(data), "fuzz"); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func FuzzOpenCSV(f *testing.F) {
	for _, format := range []string{FormatCSVTall, FormatCSVWide} {
		var b bytes.Buffer
		if err := Generate(&b, format, 4, 1); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0] == '{' {
			data = data[1:] // keep this target on the CSV path
		}
		drain(t, data)
	})
}

func FuzzOpenJSON(f *testing.F) {
	var b bytes.Buffer
	if err := Generate(&b, FormatJSON, 3, 1); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, append([]byte("{"), bytes.TrimLeft(data, "\xEF\xBB\xBF \t\r\n{")...))
	})
}
