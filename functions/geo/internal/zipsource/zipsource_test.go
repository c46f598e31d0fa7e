package zipsource

import (
	"bytes"
	"testing"
)

func TestReadKeyValueJSAndRoundTrip(t *testing.T) {
	js := []byte(`module.exports = [
  ["10001",{"latitude":40.75065,"longitude":-73.997293}],
  ["00601",{"latitude":18.180555,"longitude":-66.749961}],
  ["99501",{"latitude":61.219998,"longitude":-149.85784}]
]
`)
	cs, err := ReadKeyValueJS(js)
	if err != nil {
		t.Fatal(err)
	}
	want := []Centroid{{601, 18180555, -66749961}, {10001, 40750650, -73997293}, {99501, 61219998, -149857840}}
	if len(cs) != len(want) {
		t.Fatalf("got %v, want %v", cs, want)
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("centroid %d = %+v, want %+v", i, cs[i], want[i])
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, cs); err != nil {
		t.Fatal(err)
	}
	back, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if back[i] != want[i] {
			t.Errorf("round trip %d = %+v, want %+v", i, back[i], want[i])
		}
	}
}

func TestReadKeyValueJSRefusesBadData(t *testing.T) {
	for name, js := range map[string]string{
		"no export":       `[["10001",{"latitude":1,"longitude":2}]]`,
		"short ZIP":       `module.exports = [["1001",{"latitude":1,"longitude":2}]]`,
		"seven decimals":  `module.exports = [["10001",{"latitude":1.1234567,"longitude":2}]]`,
		"off the Earth":   `module.exports = [["10001",{"latitude":91,"longitude":2}]]`,
		"ZIP twice":       `module.exports = [["10001",{"latitude":1,"longitude":2}],["10001",{"latitude":1,"longitude":2}]]`,
		"exponent degree": `module.exports = [["10001",{"latitude":1e1,"longitude":2}]]`,
	} {
		if _, err := ReadKeyValueJS([]byte(js)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	if _, err := Read(bytes.NewReader([]byte("not gzip"))); err == nil {
		t.Error("Read accepted a file that is not gzip")
	}
}
