package payers

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func diffPayers(want, got []Payer) string { return cmp.Diff(want, got) }

func TestDirectory(t *testing.T) {
	var d Directory
	for _, raw := range [][2]string{
		{"BCBS of AL", ""},
		{"BLUE CROSS OF AL", "PPO"},
		{"Blue Cross Blue Shield of Alabama", "ppo"},
		{"Cigna Medicare Adv", ""},
		{"CIGNA", "Medicare Advantage"},
		{"Cigna ", ""},
		{"VIVA", ""},
		{"viva", ""},
		{"Viva", ""},
		{"Viva", ""},
		{"  ", "PPO"}, // no payer: ignored
	} {
		d.Add(raw[0], raw[1])
	}
	want := []Payer{
		{Name: "Blue Cross Blue Shield of Alabama", Plans: []Plan{{Name: "PPO", RawNames: []string{"PPO", "ppo"}}},
			RawNames: []string{"BCBS of AL", "BLUE CROSS OF AL", "Blue Cross Blue Shield of Alabama"}},
		{Name: "Cigna", Plans: []Plan{{Name: "Medicare Advantage", RawNames: []string{"Cigna Medicare Adv", "Medicare Advantage"}}},
			RawNames: []string{"CIGNA", "Cigna", "Cigna Medicare Adv"}},
		{Name: "Viva", Plans: []Plan{}, RawNames: []string{"VIVA", "Viva", "viva"}}, // the most frequent spelling
	}
	got := d.Payers()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Payers() mismatch (-want, +got):\n%s", diff)
	}
	b, err := json.Marshal(map[string]any{"payers": got[2:]})
	if err != nil {
		t.Fatal(err)
	}
	if w := `{"payers":[{"name":"Viva","plans":[],"rawNames":["VIVA","Viva","viva"]}]}`; string(b) != w {
		t.Errorf("JSON = %s, want %s", b, w)
	}
	var empty Directory
	if got := empty.Payers(); got == nil || len(got) != 0 {
		t.Errorf("empty directory = %#v, want an empty list", got)
	}
}
