package mrf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/transform"

	"hospitalpriceline/functions/priceline"
)

// Formats a Reader reports.
const (
	FormatCSVTall = "csv-tall"
	FormatCSVWide = "csv-wide"
	FormatJSON    = "json"
)

// Reader streams the charges of one price file. It is not safe for
// concurrent use.
type Reader struct {
	name     string
	format   string
	version  string
	fam      family
	ver      cmsVersion // the data dictionary whose rules apply
	hospital priceline.Hospital
	file     problems // file-level problems; complete once Next returned io.EOF
	items    int      // rows (CSV) or standard_charge_information items (JSON) read so far
	salvage  bool     // Options.Salvage
	text     *salvageText
	// notedTranscode and notedCR: the salvage.* file warnings were given.
	notedTranscode, notedCR bool

	// src reads the next row or item and returns its charges (at least one)
	// and its problems.
	src     func() ([]priceline.Charge, []Problem, error)
	pending []priceline.Charge
	done    error
}

// Hospital returns the hospital the file describes.
func (r *Reader) Hospital() priceline.Hospital { return r.hospital }

// Version returns the version string the file declares, as written. A JSON
// file that puts its items before its version has it only after io.EOF.
func (r *Reader) Version() string { return r.version }

// AppliedVersion returns the CMS data-dictionary version whose rules were
// applied ("2.0.0", "2.1.0", "2.2.0" or "3.0.0"; see chooseVersion), "" until
// the header is read. A JSON file whose items come before its version has it
// only after io.EOF.
func (r *Reader) AppliedVersion() string { return r.ver.String() }

// Format returns FormatCSVTall, FormatCSVWide or FormatJSON.
func (r *Reader) Format() string { return r.format }

// FileProblems returns the problems that belong to no single row or item:
// the header rows, the hospital's data, top-level JSON keys and, once Next
// has returned io.EOF, the checks that need the whole file (at least one
// item). The slice must not be modified.
func (r *Reader) FileProblems() []Problem { return r.file }

// Rows returns how many data rows (CSV) or items (JSON) have been read.
func (r *Reader) Rows() int { return r.items }

// Next returns the next charge and, with the first charge of each row or
// item, that row's problems. It returns io.EOF after the last charge; any
// other error means the file could not be read further (its problems up to
// that point are in FileProblems).
func (r *Reader) Next() (priceline.Charge, []Problem, error) {
	if len(r.pending) > 0 {
		ch := r.pending[0]
		r.pending[0] = priceline.Charge{}
		r.pending = r.pending[1:]
		return ch, nil, nil
	}
	if r.done != nil {
		return priceline.Charge{}, nil, r.done
	}
	chs, ps, err := r.src()
	if err != nil {
		r.done = err
		r.noteText()
		if errors.Is(err, io.EOF) && r.items == 0 {
			row := 0
			if r.format != FormatJSON {
				row = 1 // CMS names the first row
			}
			r.file.errorf(row, "", RuleMinRows, "the file has no items or services")
		}
		return priceline.Charge{}, nil, err
	}
	r.items++
	r.pending = chs[1:]
	return chs[0], ps, nil
}

// sniffBufferSize bounds how far Open looks ahead to decide the format; a
// CSV header row longer than this is still read, just not sniffed in full.
const sniffBufferSize = 64 << 10

// Open reads the header of a price file and returns a Reader positioned at
// its first row or item. The format is decided by content, not by name:
// JSON starts with "{" (after an optional byte-order mark and white space);
// anything else is read as CSV, tall or wide according to its third header
// row. A gzip, or a zip holding one file, is read as the file inside it,
// streamed (see unwrapArchive). name is used only in messages.
//
// Open fails before any row is read when the file cannot be a CMS price
// file: CSV that is not comma-separated, header rows with missing, duplicate
// or unknown structure, or JSON that is not an object. That error is a
// *priceline.Error (KindInvalid, or KindTooLarge for an oversized record)
// wrapping a *FormatError that lists the problems; errors.As finds both.
// Any other error is a failure to read r.
func Open(r io.Reader, name string) (*Reader, error) { return OpenWith(r, name, Options{}) }

// OpenWith is Open with options; Options.Salvage reads what a person could
// use from a file CMS's rules reject (see Options). A gzip or zip file is
// unpacked first (archive.go), so salvage reads the text inside.
func OpenWith(r io.Reader, name string, opt Options) (*Reader, error) {
	br, err := unwrapArchive(r, bufio.NewReaderSize(r, sniffBufferSize), name)
	if err != nil {
		return nil, err
	}
	var text *salvageText
	if opt.Salvage {
		text = &salvageText{}
		br = bufio.NewReaderSize(transform.NewReader(br, text), sniffBufferSize)
	}
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	first, err := firstNonSpace(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, formatError(&FormatError{Name: name, Problems: []Problem{{Rule: RuleMinRows, Severity: SeverityError, Message: "the file is empty"}}})
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	rd := &Reader{name: name, salvage: opt.Salvage, text: text}
	if first == '{' {
		err = rd.openJSON(br)
	} else {
		err = rd.openCSV(br)
	}
	if err != nil {
		return nil, err
	}
	rd.noteText()
	return rd, nil
}

// firstNonSpace peeks (without consuming) the first byte that is not ASCII
// white space.
func firstNonSpace(br *bufio.Reader) (byte, error) {
	for n := 1; n <= sniffBufferSize; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
	return 0, errors.New("no content in the first 64 KiB")
}

// formatErr builds the error for a file that cannot be read as a price
// file: a *priceline.Error, so the web layer maps it like any bad input,
// wrapping a *FormatError with every problem found so far.
func (r *Reader) formatErr() error {
	fe := &FormatError{Name: r.name, Problems: append([]Problem(nil), r.file...), Applied: r.ver.String()}
	return formatError(fe)
}

// formatError wraps fe in a *priceline.Error whose code names the kind of
// failure (the last problem is the one that stopped reading).
func formatError(fe *FormatError) error {
	kind, code, msg := priceline.KindInvalid, "mrf_unreadable", "The file is not a CMS machine-readable price file."
	if n := len(fe.Problems); n > 0 {
		last := fe.Problems[n-1]
		for _, p := range fe.Problems {
			if p.Severity == SeverityError {
				last = p
				break
			}
		}
		msg = last.Message
		switch {
		case last.Rule == RuleCSVDelimiter:
			code = "mrf_not_comma_separated"
		case last.Rule == RuleTooLarge:
			kind, code = priceline.KindTooLarge, "mrf_record_too_large"
		case last.Rule == RuleCSVSyntax || last.Rule == RuleJSONSyntax:
			code = "mrf_syntax"
		case last.Rule == RuleMinRows:
			code = "mrf_empty"
		case strings.HasPrefix(last.Rule, "header."):
			code = "mrf_bad_header"
		}
	}
	return &priceline.Error{Kind: kind, Code: code, Message: msg, Err: fe}
}

// hasErrors reports whether ps holds any error (not just warnings).
func hasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}
