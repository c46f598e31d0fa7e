package main

import (
	"fmt"
	"io"
	"os"

	"hospitalpriceline/functions/funchost"
	"hospitalpriceline/functions/web"
)

// runStageApp writes the deployable function app: host.json, this binary (or
// -binary) as "handler", and one function.json per function, generated from
// the web route table so they cannot drift.
func runStageApp(args []string, stdout, stderr io.Writer) int {
	fs := subcommandFlags("stage-app", stderr)
	hostJSON := fs.String("host-json", "host.json", "path of host.json")
	binary := fs.String("binary", "", "handler binary to copy (default: this executable)")
	dir, ok := parseOperand(fs, args, stderr, "usage: handler stage-app [-host-json F] [-binary B] DIR", nil)
	if !ok {
		return 2
	}
	host, err := os.ReadFile(*hostJSON)
	if err != nil {
		fmt.Fprintf(stderr, "read host.json: %v\n", err)
		return 2
	}
	bin := *binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			fmt.Fprintf(stderr, "find this executable: %v\n", err)
			return 1
		}
	}
	fns := (&web.Server{}).Functions()
	if err := funchost.Stage(dir, host, bin, fns); err != nil {
		fmt.Fprintf(stderr, "stage app: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "staged %d functions into %s\n", len(fns), dir)
	return 0
}
