package mrf

import (
	"errors"
	"io"
)

// maxRecordBytes bounds one CSV record or one JSON item (and any other
// top-level JSON value). Both decoders hold a whole record in memory, so
// without a bound one unterminated quote or one giant item would make memory
// grow with the file. A variable so tests can lower it.
var maxRecordBytes int64 = 16 << 20

// errRecordTooLarge is what recordLimiter's Read returns past the bound.
var errRecordTooLarge = errors.New("record too large")

// recordLimiter counts the bytes a decoder reads since the last reset and
// fails once they pass maxRecordBytes. Decoders read ahead, so the count is
// approximate, but memory stays within the bound plus one buffer.
type recordLimiter struct {
	r interface{ Read([]byte) (int, error) }
	n int64
	// failed is the first error of r other than io.EOF: the jsontext
	// decoder reports a read failure inside a syntax error, so the reader
	// asks here whether a syntax error was one.
	failed error
}

func (l *recordLimiter) reset() { l.n = 0 }

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.n > maxRecordBytes {
		return 0, errRecordTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if err != nil && err != io.EOF && l.failed == nil {
		l.failed = err
	}
	return n, err
}

// tooLarge records an oversized record as a problem.
func (r *Reader) tooLarge(row int) error {
	r.file.errorf(row, "", RuleTooLarge, "a single row or item is larger than %d MiB; the file cannot be read safely", maxRecordBytes>>20)
	return r.formatErr()
}

// limitErr reports whether err comes from the limiter.
func limitErr(err error) bool { return errors.Is(err, errRecordTooLarge) }
