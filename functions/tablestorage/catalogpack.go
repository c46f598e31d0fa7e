package tablestorage

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"hospitalpriceline/functions/priceline"
)

// Packed word entries. A fresh import used to write one word entry per
// (word, procedure, description), about three for every code entry: the
// bulk of its catalog writes, and Azurite, single-threaded, is bound by the
// entities it is sent. Now PutProcedures writes one entity per word per
// chunk of a batch's procedures, row key word + packedMark + a hash of the
// chunk (the same chunk always gets the same key, so an upsert of it is
// idempotent), whose packedProp lists the procedures. "~" sorts after
// every character keyEncode produces, so a word's packed entities sit
// after its one-per-procedure entries and inside its prefix range; those
// older entries are still read, so existing catalogs keep working.
const (
	// packedProp is the property of a packed word entry that lists its
	// procedures: a JSON array of [code, code type, description] arrays,
	// so a description may hold any character.
	packedProp = "Procs"
	// packedMark separates a packed entry's word from its chunk hash.
	packedMark = ".~"
	// packedChunkBytes bounds a packed entry's list, far under a string
	// property's 64 KiB: a search's first request asks for as many
	// entities as the procedures it wants (an old entry is one), so a
	// limit of 50 reads at most about 400 KB; a batch's common word still
	// costs only a few entities.
	packedChunkBytes = 8_000
)

// packedItem is one procedure and description listed by packed entries.
type packedItem struct {
	proc string // procedure key, the order within a word
	enc  []byte // the JSON array [code, code type, description]
}

// newPackedItem encodes the catalog entry e for a packed word entry.
func newPackedItem(e catalogEntity) (packedItem, error) {
	enc, err := json.Marshal([3]string{e.Code, e.CodeType, e.Description})
	if err != nil {
		return packedItem{}, translate(err, "encode catalog word entry")
	}
	return packedItem{proc: procedureKey(priceline.Code{Code: e.Code, Type: e.CodeType}), enc: enc}, nil
}

// packWord returns the packed entities of word w listing items, in chunks
// whose list stays under packedChunkBytes (one item may pass it: at most
// 300 runes of description, its JSON is still far under the 64 KiB, 32 K
// UTF-16 units, of a string property), in procedure order so that a search meets a chunk's procedures as it met one entry
// per procedure. Entities whose row key would pass 512 characters are left
// out, as one-per-procedure entries were.
func packWord(w string, items []packedItem) []catalogEntity {
	slices.SortFunc(items, func(a, b packedItem) int {
		return cmp.Or(cmp.Compare(a.proc, b.proc), strings.Compare(string(a.enc), string(b.enc)))
	})
	items = slices.CompactFunc(items, func(a, b packedItem) bool { return string(a.enc) == string(b.enc) })
	pk := wordPrefix + keyEncode(firstRunes(w, 2))
	word := keyEncode(w)
	var out []catalogEntity
	var list strings.Builder
	flush := func() {
		if list.Len() == 0 {
			return
		}
		list.WriteByte(']')
		rk := word + packedMark + hashHex(list.String())[:16]
		if len(rk) <= 512 {
			out = append(out, catalogEntity{PartitionKey: pk, RowKey: rk, Procs: list.String()})
		}
		list.Reset()
	}
	for _, it := range items {
		if list.Len() > 0 && list.Len()+len(it.enc)+2 > packedChunkBytes {
			flush()
		}
		if list.Len() == 0 {
			list.WriteByte('[')
		} else {
			list.WriteByte(',')
		}
		list.Write(it.enc)
	}
	flush()
	return out
}

// unpackWord expands the packed word entry e into one entry per procedure
// it lists. A list that is not what packWord writes is a corrupt entity:
// an internal error, never a panic, and nothing of it is returned.
func unpackWord(e catalogEntity) ([]catalogEntity, error) {
	var items [][]string
	if err := json.Unmarshal([]byte(e.Procs), &items); err != nil {
		return nil, corruptCatalog(err)
	}
	if len(items) == 0 {
		// packWord writes none; one would let a range of them cost a
		// request each without counting towards the read bound.
		return nil, corruptCatalog(fmt.Errorf("no procedures listed"))
	}
	out := make([]catalogEntity, 0, len(items))
	for i, it := range items {
		if len(it) != 3 || it[0] == "" || it[1] == "" {
			return nil, corruptCatalog(fmt.Errorf("item %d is not [code, code type, description]", i))
		}
		p := catalogEntity{RowKey: e.RowKey, Code: it[0], CodeType: it[1], Description: it[2]}
		p.proc = procedureKey(priceline.Code{Code: p.Code, Type: p.CodeType})
		out = append(out, p)
	}
	return out, nil
}

func corruptCatalog(err error) error {
	return priceline.Wrap(fmt.Errorf("packed catalog word entry: %w", err), priceline.KindInternal, "corrupt_catalog",
		"A stored catalog entry cannot be read.")
}
