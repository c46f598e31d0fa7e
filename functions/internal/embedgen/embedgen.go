// Package embedgen is the frame of the commands that turn a file of an npm
// package, installed from a lockfile, into a file a Go package embeds
// (functions/geo's ZIP centroids, functions/usmap's state outlines): the
// -in and -out flags, reading, writing and the exit status, so that each
// command holds only its conversion.
package embedgen

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// Command is one generator. Zero In and Out leave the flags without a
// default.
type Command struct {
	Name    string // the command, at the start of what it prints
	In, Out string // the defaults of -in and -out
	Install string // the folder npm ci installs the input into, named when it is missing
	// Convert turns the input into the file to write; a non-empty summary
	// is printed after the file is written.
	Convert func(src []byte) (out []byte, summary string, err error)
}

// Main parses the flags, converts -in into -out and exits 1 on an error.
func (c Command) Main() {
	in := flag.String("in", c.In, "the input file, from the npm package")
	out := flag.String("out", c.Out, "the file to write")
	flag.Parse()
	if err := c.run(*in, *out, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
		os.Exit(1)
	}
}

func (c Command) run(in, out string, stdout io.Writer) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read %s (run npm ci in %s first): %w", in, c.Install, err)
	}
	data, summary, err := c.Convert(src)
	if err != nil {
		return fmt.Errorf("convert %s: %w", in, err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if summary != "" {
		fmt.Fprintf(stdout, "%s: %s, in %s\n", c.Name, summary, out)
	}
	return nil
}
