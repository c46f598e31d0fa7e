package mrf

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// csvOutcome is what a CSV reader made of one input: each record with the
// line it starts and ends on, and the error that ended the reading.
type csvOutcome struct {
	records [][]string
	lines   [][2]int
	err     string
}

// readAllStd reads in with encoding/csv as mrf configured it before it had
// its own reader.
func readAllStd(in io.Reader) csvOutcome {
	cr := csv.NewReader(in)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	var out csvOutcome
	for {
		rec, err := cr.Read()
		if err != nil {
			out.err = describeCSVErr(err)
			return out
		}
		start, _ := cr.FieldPos(0)
		end, _ := cr.FieldPos(len(rec) - 1)
		end += strings.Count(rec[len(rec)-1], "\n")
		out.records = append(out.records, append([]string(nil), rec...))
		out.lines = append(out.lines, [2]int{start, end})
	}
}

// readAllOurs reads in with csvRecords, several records to a buffer as the
// batches do.
func readAllOurs(in io.Reader) csvOutcome {
	c := newCSVRecords(in)
	var out csvOutcome
	var text []byte
	var ends []int
	for {
		if len(text) > 256 {
			text, ends = text[:0], ends[:0]
		}
		base, first := len(text), len(ends)
		var err error
		text, ends, err = c.read(text, ends)
		if err != nil {
			out.err = describeCSVErr(err)
			return out
		}
		out.records = append(out.records, recordStrings(nil, text, base, ends[first:]))
		out.lines = append(out.lines, [2]int{c.start, c.end})
	}
}

func describeCSVErr(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("parse error start %d line %d column %d: %v", pe.StartLine, pe.Line, pe.Column, pe.Err)
	}
	return err.Error()
}

// csvReaderCases are inputs with every quoting, line-end and error case the
// reader handles; they seed the fuzz target too.
var csvReaderCases = []string{
	"",
	"a,b,c\n1,2,3\n",
	"a,b,c\r\n1,2,3\r\n",
	"a,b,c\r\n1,2,3",
	"a,b,c\n1,2,3\r",
	"a\rb,c\n",
	"\n\n\na,b\n\r\n\nc,d\n",
	"a,,\n,,\n,\n",
	"\"a\",\"b,c\",\"d\"\"e\"\n",
	"\"multi\nline\",x\n\"more\r\nlines\r\n\",y\r\n",
	"\"\"\n\"\",\"\"\n",
	"a,b\"c\n",
	"\"a\"b,c\n",
	"a,\"unterminated\n",
	"a,\"unterminated\nstill\n",
	"a,\"b\"\n\"c\"x\n",
	"x,\"a\nb\"c\n",
	"a,b\n\"\n",
	"\"a\"\r\n\"b\"\r",
	"é,\"ü\"\xff,z\n",
	",\n",
	"\"\n\"\n",
	"a,\"\"\"\"\n",
	"a,b,\"c\n\n\nd\",e\n",
	strings.Repeat("x", 5000) + ",\"" + strings.Repeat("y\n", 3000) + "\",z\n",
	"hospital_name,last_updated_on,version\nGeneral,2024-01-01,2.0.0\ndescription,code|1,code|1|type\n\"Knee, left\",99213,CPT\n",
}

// TestCSVReaderMatchesEncodingCSV checks the table of cases, and each read
// one byte at a time (so lines cross the buffer), against encoding/csv.
func TestCSVReaderMatchesEncodingCSV(t *testing.T) {
	for i, in := range csvReaderCases {
		want := readAllStd(strings.NewReader(in))
		if got := readAllOurs(strings.NewReader(in)); !reflect.DeepEqual(got, want) {
			t.Errorf("case %d %q:\n got %+v\nwant %+v", i, in, got, want)
		}
		if got := readAllOurs(iotest.OneByteReader(strings.NewReader(in))); !reflect.DeepEqual(got, want) {
			t.Errorf("case %d %q, one byte at a time:\n got %+v\nwant %+v", i, in, got, want)
		}
	}
	// A read failure mid-record surfaces as that failure.
	boom := errors.New("boom")
	in := io.MultiReader(strings.NewReader("a,b\n\"c\nd"), iotest.ErrReader(boom))
	if got := readAllOurs(in); got.err != "boom" || len(got.records) != 1 {
		t.Errorf("read failure: %+v", got)
	}
}

// FuzzCSVReaderMatchesEncodingCSV holds csvRecords to encoding/csv on any
// input: the same records, record lines and errors.
func FuzzCSVReaderMatchesEncodingCSV(f *testing.F) {
	for _, in := range csvReaderCases {
		f.Add([]byte(in))
	}
	var b bytes.Buffer
	if err := Generate(&b, FormatCSVWide, 5, 1); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		want := readAllStd(bytes.NewReader(in))
		if got := readAllOurs(bytes.NewReader(in)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", in, got, want)
		}
	})
}

// BenchmarkCSVRecords compares the record readers alone on a generated tall
// file.
func BenchmarkCSVRecords(b *testing.B) {
	var buf bytes.Buffer
	if err := Generate(&buf, FormatCSVTall, 20000, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			cr := csv.NewReader(bytes.NewReader(data))
			cr.ReuseRecord = true
			cr.FieldsPerRecord = -1
			for {
				if _, err := cr.Read(); err != nil {
					break
				}
				_, _ = cr.FieldPos(0)
			}
		}
	})
	b.Run("csvRecords", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		var text []byte
		var ends []int
		var fields []string
		for b.Loop() {
			c := newCSVRecords(bytes.NewReader(data))
			for {
				var err error
				text, ends, err = c.read(text[:0], ends[:0])
				if err != nil {
					break
				}
				fields = recordStrings(fields[:0], text, 0, ends)
			}
		}
	})
}
