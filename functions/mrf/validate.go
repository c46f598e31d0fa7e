package mrf

import (
	"errors"
	"io"
)

// MaxReportedProblems bounds how many errors (and, separately, warnings) a
// Report lists; ErrorCount and CountsByRule still count them all.
const MaxReportedProblems = 1000

// Report is the verdict of a strict check of a whole file.
type Report struct {
	Valid        bool           // no errors (warnings are allowed)
	Version      string         // the version the file declares, as written
	Applied      string         // the CMS data-dictionary version whose rules were applied ("2.2.0"); "" when the file is unreadable
	Format       string         // FormatCSVTall, FormatCSVWide or FormatJSON; "" when unrecognisable
	Errors       []Problem      // the first MaxReportedProblems errors, in file order
	ErrorCount   int            // all errors
	Warnings     []Problem      // the first MaxReportedProblems warnings
	WarningCount int            // all warnings
	CountsByRule map[string]int // errors and warnings by rule ID
	Rows         int            // data rows (CSV) or items (JSON) read
}

func (rep *Report) add(ps []Problem) {
	for _, p := range ps {
		rep.CountsByRule[p.Rule]++
		if p.Severity == SeverityError {
			rep.ErrorCount++
			if len(rep.Errors) < MaxReportedProblems {
				rep.Errors = append(rep.Errors, p)
			}
			continue
		}
		rep.WarningCount++
		if len(rep.Warnings) < MaxReportedProblems {
			rep.Warnings = append(rep.Warnings, p)
		}
	}
}

// Validate checks a whole file against the CMS rules of the version it
// declares (see the package documentation) and reports every problem. The
// error is non-nil only when the file could not be read; a file that is not
// a price file at all gives an invalid Report, not an error.
func Validate(r io.Reader, name string) (Report, error) {
	rep := Report{CountsByRule: map[string]int{}}
	rd, err := Open(r, name)
	var fe *FormatError
	if errors.As(err, &fe) {
		rep.add(fe.Problems)
		rep.Applied = fe.Applied
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.Format = rd.Format()
	// Header problems come first in the report, as they do in the file.
	headerCount := len(rd.FileProblems())
	rep.add(rd.FileProblems())
	for {
		_, ps, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.As(err, &fe) {
				return rep, err
			}
			break
		}
		rep.add(ps)
	}
	rep.add(rd.FileProblems()[headerCount:])
	rep.Rows = rd.Rows()
	rep.Version = rd.Version() // a JSON file may declare it after its items
	rep.Applied = rd.AppliedVersion()
	rep.Valid = rep.ErrorCount == 0
	return rep, nil
}
