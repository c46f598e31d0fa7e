package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"hospitalpriceline/functions/mrf"
)

// runGenerate writes a deterministic, valid CMS price file of any size, for
// benchmarks and load tests: handler generate -format csv-tall -rows N FILE.
func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := subcommandFlags("generate", stderr)
	format := fs.String("format", mrf.FormatCSVTall, "csv-tall, csv-wide or json")
	rows := fs.Int("rows", 1000, "data rows (JSON: items)")
	seed := fs.Int64("seed", 1, "the same seed always gives the same bytes")
	path, ok := parseOperand(fs, args, stderr, "usage: handler generate [-format csv-tall|csv-wide|json] [-rows N] [-seed S] FILE",
		func() bool { return *rows >= 1 })
	if !ok {
		return 2
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "generate: %v\n", err)
		return 2
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = mrf.Generate(w, *format, *rows, *seed)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "generate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d rows (%s) to %s\n", *rows, *format, path)
	return 0
}
