package mrf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zip"

	"hospitalpriceline/functions/priceline"
)

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipped builds a zip of the named entries, in order.
func zipped(t testing.TB, entries ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, entries[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readArchived opens data and reads every charge, as an import does.
func readArchived(t *testing.T, r io.Reader, name string) ([]priceline.Charge, []Problem) {
	t.Helper()
	rd, err := Open(r, name)
	if err != nil {
		t.Fatalf("Open %s: %v", name, err)
	}
	var chs []priceline.Charge
	var ps []Problem
	for {
		ch, rp, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next %s: %v", name, err)
		}
		chs = append(chs, ch)
		ps = append(ps, rp...)
	}
	return chs, append(ps, rd.FileProblems()...)
}

// A gzip or a zip of a CMS example reads and validates exactly as the file
// itself, whatever its name says.
func TestCompressedFilesReadLikeThePlainFile(t *testing.T) {
	for _, name := range []string{"V3.0.0_Tall_CSV_Format_Example.csv", "V2.0.0_Wide_CSV_Format_Example.csv", "v3_json_format_example.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "cms-examples", name))
		if err != nil {
			t.Fatal(err)
		}
		wantCh, wantPs := readArchived(t, bytes.NewReader(data), name)
		wantRep, err := Validate(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		gz := gzipped(t, data)
		zp := zipped(t, "folder/", "", name, string(data), "__MACOSX/._"+name, "resource fork")
		f := filepath.Join(t.TempDir(), "upload.bin")
		if err := os.WriteFile(f, zp, 0o600); err != nil {
			t.Fatal(err)
		}
		onDisk := func() io.Reader {
			fd, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fd.Close() })
			return fd
		}
		for _, c := range []struct {
			label string
			r     func() io.Reader
		}{
			{"gzip stream", func() io.Reader { return io.MultiReader(bytes.NewReader(gz)) }},
			{"zip in memory", func() io.Reader { return bytes.NewReader(zp) }},
			{"zip on disk", onDisk},
		} {
			gotCh, gotPs := readArchived(t, c.r(), name)
			if d := cmp.Diff(wantCh, gotCh); d != "" {
				t.Errorf("%s %s: charges mismatch (-want, +got):\n%s", name, c.label, d)
			}
			if d := cmp.Diff(wantPs, gotPs); d != "" {
				t.Errorf("%s %s: problems mismatch (-want, +got):\n%s", name, c.label, d)
			}
			rep, err := Validate(c.r(), name)
			if err != nil {
				t.Fatalf("%s %s: %v", name, c.label, err)
			}
			if d := cmp.Diff(wantRep, rep); d != "" {
				t.Errorf("%s %s: report mismatch (-want, +got):\n%s", name, c.label, d)
			}
		}
	}
}

// wantCode opens data and requires a *priceline.Error with code.
func wantCode(t *testing.T, r io.Reader, code string) {
	t.Helper()
	rd, err := Open(r, "file")
	for err == nil {
		_, _, err = rd.Next()
	}
	var pe *priceline.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("err = %v, want a priceline.Error with code %s", err, code)
	}
	if pe.Message == "" {
		t.Fatal("the error has no message")
	}
}

func TestCompressedFilesRefusedClearly(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "cms-examples", "V3.0.0_Tall_CSV_Format_Example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	gz := gzipped(t, data)
	t.Run("zip with two files", func(t *testing.T) {
		wantCode(t, bytes.NewReader(zipped(t, "a.csv", string(data), "b.csv", string(data))), "mrf_zip_entries")
	})
	t.Run("empty zip", func(t *testing.T) {
		wantCode(t, bytes.NewReader(zipped(t)), "mrf_zip_entries")
	})
	t.Run("zip from a stream", func(t *testing.T) {
		wantCode(t, io.MultiReader(bytes.NewReader(zipped(t, "a.csv", string(data)))), "mrf_zip_not_seekable")
	})
	t.Run("truncated gzip", func(t *testing.T) {
		wantCode(t, bytes.NewReader(gz[:len(gz)*2/3]), "mrf_compressed_corrupt")
	})
	t.Run("corrupt gzip", func(t *testing.T) {
		bad := bytes.Clone(gz)
		for i := 20; i < len(bad)-8; i += 7 {
			bad[i] ^= 0x55
		}
		wantCode(t, bytes.NewReader(bad), "mrf_compressed_corrupt")
	})
	t.Run("gzip in a gzip", func(t *testing.T) {
		wantCode(t, bytes.NewReader(gzipped(t, gz)), "mrf_nested_archive")
	})
	t.Run("gzip in a zip", func(t *testing.T) {
		wantCode(t, bytes.NewReader(zipped(t, "a.csv.gz", string(gz))), "mrf_nested_archive")
	})
}

// A decompression bomb is stopped by its ratio, and a single giant record
// inside a compressed file still meets the record limit.
func TestCompressedBombsAreBounded(t *testing.T) {
	oldMax, oldRatio := maxRecordBytes, maxInflateRatio
	t.Cleanup(func() { maxRecordBytes, maxInflateRatio = oldMax, oldRatio })
	maxRecordBytes = 1 << 20

	head, err := os.ReadFile(filepath.Join("testdata", "cms-examples", "V3.0.0_Tall_CSV_Format_Example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(head), "\n")
	header := strings.Join(lines[:3], "")
	row := lines[3]

	// Many copies of one valid row: every record is small, so only the
	// ratio can stop it.
	bomb := header + strings.Repeat(row, (8<<20)/len(row))
	gz := gzipped(t, []byte(bomb))
	if ratio := int64(len(bomb) / len(gz)); ratio < 100 {
		t.Fatalf("the test bomb only expands %d times", ratio)
	}
	maxInflateRatio = 50
	wantCode(t, bytes.NewReader(gz), "mrf_compressed_ratio")
	wantCode(t, bytes.NewReader(zipped(t, "bomb.csv", bomb)), "mrf_compressed_ratio")

	// One unterminated quote: one record that never ends.
	maxInflateRatio = oldRatio
	huge := header + `"` + strings.Repeat("x", 4<<20)
	rd, err := Open(bytes.NewReader(gzipped(t, []byte(huge))), "huge.csv.gz")
	for err == nil {
		_, _, err = rd.Next()
	}
	var pe *priceline.Error
	if !errors.As(err, &pe) || pe.Kind != priceline.KindTooLarge {
		t.Fatalf("err = %v, want the record limit", err)
	}
}
