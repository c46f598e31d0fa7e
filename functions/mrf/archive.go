package mrf

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zip"

	"hospitalpriceline/functions/priceline"
)

// Hospitals publish large price files gzipped or zipped. Open streams them
// without unpacking to disk: the format is decided by magic bytes, never by
// the file name, so a ".csv" that is really a gzip still reads.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte{'P', 'K', 0x03, 0x04}
	// An empty zip is only an end-of-central-directory record.
	zipEmptyMagic = []byte{'P', 'K', 0x05, 0x06}
)

// maxInflateRatio bounds how many bytes a compressed file may expand to
// per compressed byte, once past maxRecordBytes of output. Deflate cannot
// exceed about 1032:1; real price files, even wide ones of mostly empty
// columns, stay well under 200:1. Near the maximum the file is a
// decompression bomb: reading it would take minutes of CPU for nothing a
// person could use. A variable so tests can lower it.
var maxInflateRatio int64 = 500

// archiveError builds the error for a compressed file that cannot be read:
// a *priceline.Error, so the web layer answers it as bad input, not as a
// failure of ours.
func archiveError(kind, code, format string, args ...any) error {
	return priceline.Errorf(kind, code, format, args...)
}

// unwrapArchive returns a reader of the price file inside r when r is a
// gzip or a zip, and br itself otherwise. A zip needs random access, so r
// must also be an io.ReaderAt with a known size (an *os.File, a
// multipart.File, a *bytes.Reader); a gzip streams from anything.
func unwrapArchive(r io.Reader, br *bufio.Reader, name string) (*bufio.Reader, error) {
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		cnt := &countReader{r: br}
		zr, err := gzip.NewReader(cnt)
		if err != nil {
			return nil, archiveError(priceline.KindInvalid, "mrf_compressed_corrupt", "%s is not a readable gzip file: %v", name, err)
		}
		return innerReader(&inflateGuard{r: zr, in: cnt, name: name, kind: "gzip"}, name)
	case bytes.HasPrefix(head, zipMagic), bytes.HasPrefix(head, zipEmptyMagic):
		ra, size, ok := readerAt(r)
		if !ok {
			return nil, archiveError(priceline.KindInvalid, "mrf_zip_not_seekable", "%s is a zip, which can only be read from a file; unzip it or gzip it instead", name)
		}
		zr, err := zip.NewReader(ra, size)
		if err != nil {
			return nil, archiveError(priceline.KindInvalid, "mrf_compressed_corrupt", "%s is not a readable zip file: %v", name, err)
		}
		var files []*zip.File
		for _, f := range zr.File {
			// Folders, and the resource forks macOS adds when it zips, hold
			// no price data.
			if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
				continue
			}
			files = append(files, f)
		}
		if len(files) != 1 {
			return nil, archiveError(priceline.KindInvalid, "mrf_zip_entries", "%s holds %d files; a zip must hold exactly one CSV or JSON price file", name, len(files))
		}
		f := files[0]
		rc, err := f.Open()
		if err != nil {
			return nil, archiveError(priceline.KindInvalid, "mrf_compressed_corrupt", "%s: cannot read %q in the zip: %v", name, f.Name, err)
		}
		// Stored entries and zip64 sizes are read the same way; the guard
		// counts the entry's compressed bytes.
		in := &fixedCount{n: int64(f.CompressedSize64)}
		return innerReader(&inflateGuard{r: rc, in: in, name: name, kind: "zip"}, name)
	}
	return br, nil
}

// innerReader buffers the decompressed stream and refuses an archive
// inside the archive: nesting is no way to publish a price file and only
// multiplies the work a bomb can cause.
func innerReader(r io.Reader, name string) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, sniffBufferSize)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if bytes.HasPrefix(head, gzipMagic) || bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, zipEmptyMagic) {
		return nil, archiveError(priceline.KindInvalid, "mrf_nested_archive", "%s holds another compressed archive; it must hold the CSV or JSON price file itself", name)
	}
	return br, nil
}

// readerAt finds random access and the size behind r.
func readerAt(r io.Reader) (io.ReaderAt, int64, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0, false
	}
	switch s := r.(type) {
	case interface{ Size() int64 }:
		return ra, s.Size(), true
	case interface{ Stat() (fs.FileInfo, error) }:
		fi, err := s.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0, false
		}
		return ra, fi.Size(), true
	case io.Seeker:
		n, err := s.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, 0, false
		}
		return ra, n, true
	}
	return nil, 0, false
}

// countReader counts the compressed bytes the decompressor has consumed.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) count() int64 { return c.n }

// fixedCount is a zip entry's compressed size, known from its header.
type fixedCount struct{ n int64 }

func (c *fixedCount) count() int64 { return c.n }

// inflateGuard passes decompressed bytes through, fails once they exceed
// maxInflateRatio times the compressed bytes consumed, and turns a corrupt
// or truncated stream into a clear error.
type inflateGuard struct {
	r    io.Reader
	in   interface{ count() int64 }
	out  int64
	name string
	kind string
}

func (g *inflateGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.out > maxRecordBytes && g.out > maxInflateRatio*max(g.in.count(), 1) {
		return n, archiveError(priceline.KindTooLarge, "mrf_compressed_ratio",
			"%s expands more than %d times; it looks like a decompression bomb, not a price file", g.name, maxInflateRatio)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, archiveError(priceline.KindInvalid, "mrf_compressed_corrupt",
			"%s: the %s data is truncated or corrupt after %d bytes: %v", g.name, g.kind, g.out, err)
	}
	return n, err
}
