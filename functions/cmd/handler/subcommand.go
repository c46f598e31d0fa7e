package main

import (
	"flag"
	"fmt"
	"io"
)

// subcommandFlags returns the flag set of subcommand name; it reports
// parse errors to stderr and leaves the exit to the caller.
func subcommandFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseOperand parses args into fs and returns the one operand (a file or a
// folder) that must follow the flags. When parsing fails, the operand is
// missing or valid (which may be nil) refuses the flags' values, it prints
// usage if the flag package has not and ok is false: the subcommand exits 2.
func parseOperand(fs *flag.FlagSet, args []string, stderr io.Writer, usage string, valid func() bool) (operand string, ok bool) {
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	if fs.NArg() != 1 || (valid != nil && !valid()) {
		fmt.Fprintln(stderr, usage)
		return "", false
	}
	return fs.Arg(0), true
}
