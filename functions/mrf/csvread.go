package mrf

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
)

// csvRecords reads CSV records exactly as encoding/csv's Reader does with
// the settings mrf used (Comma ',', no Comment, LazyQuotes and
// TrimLeadingSpace off, any number of fields per record): the same records,
// the same skipped blank lines, the same *csv.ParseError kinds, lines and
// columns, CRLF read as LF and a CR before the end of the file dropped.
// FuzzCSVReaderMatchesEncodingCSV holds it to that. It exists because
// encoding/csv makes a string per record and tracks every field's position,
// which the tall CSV layout paid a quarter of its time for: csvRecords
// appends each record's unquoted text to a buffer the caller owns (a batch
// of records) and records where each field ends, so the caller converts a
// whole batch to strings at once, or each record when its strings must
// outlive the batch.
type csvRecords struct {
	br   *bufio.Reader
	long []byte // a line longer than br's buffer, assembled
	line int    // lines read so far (encoding/csv's numLine)
	// start is the line the last record read starts on (FieldPos(0)), end
	// the line it ends on.
	start, end int
}

func newCSVRecords(r io.Reader) *csvRecords {
	return &csvRecords{br: bufio.NewReader(r)}
}

// readLine returns the next line with its "\n" (none at the end of the
// file), CRLF as LF, and a last line's trailing CR dropped. The slice is
// valid until the next call.
func (c *csvRecords) readLine() ([]byte, error) {
	l, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], l...)
		for err == bufio.ErrBufferFull {
			l, err = c.br.ReadSlice('\n')
			c.long = append(c.long, l...)
		}
		l = c.long
	}
	if len(l) > 0 && err == io.EOF {
		err = nil
		if l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
	}
	c.line++
	if n := len(l); n >= 2 && l[n-2] == '\r' && l[n-1] == '\n' {
		l[n-2] = '\n'
		l = l[:n-1]
	}
	return l, err
}

// onlyNL reports whether l is empty or a bare line end.
func onlyNL(l []byte) bool { return len(l) == 0 || len(l) == 1 && l[0] == '\n' }

// read appends the next record's fields to text and the end offset of each
// (in text) to ends. It returns io.EOF when no record is left, a
// *csv.ParseError for a syntax error, or the reader's error; with an error
// other than io.EOF, what was read of the record is appended too (as
// encoding/csv returns it beside the error).
func (c *csvRecords) read(text []byte, ends []int) ([]byte, []int, error) {
	var l []byte
	var rerr error
	for {
		l, rerr = c.readLine()
		if rerr == nil && onlyNL(l) {
			continue // blank lines are no records
		}
		break
	}
	if rerr == io.EOF {
		return text, ends, io.EOF
	}
	c.start = c.line
	col, posLine := 1, c.line // where the scan is; posLine moves only with a quoted field's lines
	var perr error
fields:
	for {
		if len(l) == 0 || l[0] != '"' {
			i := bytes.IndexByte(l, ',')
			f := l
			if i >= 0 {
				f = l[:i]
			} else if n := len(f); n > 0 && f[n-1] == '\n' {
				f = f[:n-1]
			}
			if j := bytes.IndexByte(f, '"'); j >= 0 {
				perr = &csv.ParseError{StartLine: c.start, Line: c.line, Column: col + j, Err: csv.ErrBareQuote}
				break
			}
			text = append(text, f...)
			ends = append(ends, len(text))
			if i < 0 {
				break
			}
			l = l[i+1:]
			col += i + 1
			continue
		}
		l = l[1:]
		col++
		for {
			i := bytes.IndexByte(l, '"')
			switch {
			case i >= 0:
				text = append(text, l[:i]...)
				l = l[i+1:]
				col += i + 1
				switch {
				case len(l) > 0 && l[0] == '"': // "" is a quote
					text = append(text, '"')
					l = l[1:]
					col++
				case len(l) > 0 && l[0] == ',':
					l = l[1:]
					col++
					ends = append(ends, len(text))
					continue fields
				case onlyNL(l):
					ends = append(ends, len(text))
					break fields
				default:
					perr = &csv.ParseError{StartLine: c.start, Line: c.line, Column: col - 1, Err: csv.ErrQuote}
					break fields
				}
			case len(l) > 0:
				// The quoted field goes on past this line.
				text = append(text, l...)
				if rerr != nil {
					break fields
				}
				col += len(l)
				l, rerr = c.readLine()
				if len(l) > 0 {
					posLine++
					col = 1
				}
				if rerr == io.EOF {
					rerr = nil
				}
			default:
				if rerr == nil {
					perr = &csv.ParseError{StartLine: c.start, Line: posLine, Column: col, Err: csv.ErrQuote}
					break fields
				}
				ends = append(ends, len(text))
				break fields
			}
		}
	}
	c.end = c.line
	if perr == nil {
		perr = rerr
	}
	return text, ends, perr
}

// strings converts one record (fields ending at ends, in text from offset
// base) to strings with one allocation, appending them to dst.
func recordStrings(dst []string, text []byte, base int, ends []int) []string {
	s := string(text[base:])
	prev := 0
	for _, e := range ends {
		dst = append(dst, s[prev:e-base])
		prev = e - base
	}
	return dst
}
