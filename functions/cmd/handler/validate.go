package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"hospitalpriceline/functions/mrf"
)

// validateShown is how many errors and warnings "handler validate" prints per
// file; the counts cover all of them.
const validateShown = 20

// runValidate implements "handler validate FILE...": a strict check of each
// CMS machine-readable price file. It exits 0 when every file is valid, 1
// when any is invalid, and 2 when any cannot be read (which wins, because
// nothing can be said about that file).
func runValidate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: handler validate FILE...\n")
		return 2
	}
	code := 0
	for _, path := range args {
		rep, err := validateFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: cannot read: %s\n", printable(path), printable(err.Error()))
			code = 2
			continue
		}
		printReport(stdout, path, rep)
		if !rep.Valid && code == 0 {
			code = 1
		}
	}
	return code
}

func validateFile(path string) (mrf.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return mrf.Report{}, err
	}
	defer f.Close()
	return mrf.Validate(f, path)
}

func printReport(w io.Writer, path string, rep mrf.Report) {
	verdict := "VALID"
	if !rep.Valid {
		verdict = "INVALID"
	}
	version, format := rep.Version, rep.Format
	if version == "" {
		version = "none"
	}
	if format == "" {
		format = "unrecognised"
	}
	applied := rep.Applied
	if applied == "" {
		applied = "none"
	}
	fmt.Fprintf(w, "%s: %s (version %s, checked as CMS %s, format %s, %d rows, %d errors, %d warnings)\n",
		printable(path), verdict, printable(version), applied, format, rep.Rows, rep.ErrorCount, rep.WarningCount)
	show := func(kind string, ps []mrf.Problem, total int) {
		for i, p := range ps {
			if i == validateShown {
				fmt.Fprintf(w, "  … and %d more %ss\n", total-validateShown, kind)
				break
			}
			where := "file"
			if p.Row > 0 {
				where = fmt.Sprintf("row %d", p.Row)
			}
			if p.Column != "" {
				where += ", " + p.Column
			}
			fmt.Fprintf(w, "  %s %s: [%s] %s\n", kind, printable(where), p.Rule, printable(p.Message))
		}
	}
	show("error", rep.Errors, rep.ErrorCount)
	show("warning", rep.Warnings, rep.WarningCount)
}

// printable keeps text from a file (header names, cell values) from
// driving the terminal: control characters become "?".
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
