package tablestorage

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// catalogEntity is one entry of the procedures catalog.
type catalogEntity struct {
	PartitionKey string
	RowKey       string
	Code         string `json:",omitempty"` // empty in packed word entries, which list theirs in Procs
	CodeType     string `json:",omitempty"`
	Description  string `json:",omitempty"`
	Descs        string `json:",omitempty"` // code entries only: see descsProp
	Procs        string `json:",omitempty"` // packed word entries only: see packedProp
	proc         string // a search's procedure key of a word entry (see procOf)
}

// maxCatalogDescription keeps catalog entries small; the charges keep the
// full text.
const maxCatalogDescription = 300

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

// PutProcedures upserts a code entry for each procedure and, for each word
// of its description, a place in that word's packed entries (catalogpack.go),
// batched by partition, except for a code and description whose entries the
// catalog already holds (its code entry lists the description's hash, see
// descsProp): a re-import of a file writes no catalog entries at all. Word
// entries are written before the code entries that vouch for them, so a
// write that fails half-way is retried in full by the next import.
func (s *PriceStore) PutProcedures(ctx context.Context, ps []priceline.Procedure) error {
	type proc struct {
		code  catalogEntity
		desc  string
		words []string
	}
	var procs []proc
	rksByPK := map[string][]string{}
	for _, p := range ps {
		n := priceline.NormalizeCode(priceline.Code{Code: p.Code, Type: p.CodeType})
		if n.Code == "" || n.Type == "" {
			continue
		}
		ce := catalogEntity{Code: p.Code, CodeType: p.CodeType, Description: clipRunes(p.Description, maxCatalogDescription)}
		ce.PartitionKey = codePrefix + keyEncode(firstRunes(n.Code, 1))
		ce.RowKey = keyEncode(n.Code) + "." + keyEncode(n.Type)
		if len(ce.RowKey) > 512 {
			continue // no one types such a code; its charges are still stored
		}
		// Each distinct description of the code is listed under its
		// words: hospitals describe a procedure differently, and a search
		// checks all its words against one listed description.
		procs = append(procs, proc{code: ce, desc: hashHex(strings.ToLower(ce.Description))[:8], words: priceline.SearchWords(p.Description)})
		rksByPK[ce.PartitionKey] = append(rksByPK[ce.PartitionKey], ce.RowKey)
	}
	known, err := s.knownCodes(ctx, rksByPK)
	if err != nil {
		return err
	}
	byWord := map[string][]packedItem{}
	words := map[string]map[string]catalogEntity{}
	codes := map[string]map[string]catalogEntity{}
	add := func(to map[string]map[string]catalogEntity, e catalogEntity) {
		if to[e.PartitionKey] == nil {
			to[e.PartitionKey] = map[string]catalogEntity{}
		}
		to[e.PartitionKey][e.RowKey] = e
	}
	for _, p := range procs {
		ds := known[p.code.RowKey]
		if slices.Contains(ds, p.desc) {
			continue
		}
		ds = withDesc(ds, p.desc)
		known[p.code.RowKey] = ds
		ce := p.code
		ce.Descs = strings.Join(ds, " ")
		add(codes, ce)
		item, err := newPackedItem(p.code)
		if err != nil {
			return err
		}
		for _, w := range p.words[:min(len(p.words), 12)] {
			byWord[w] = append(byWord[w], item)
		}
	}
	for w, items := range byWord {
		for _, e := range packWord(w, items) {
			add(words, e)
		}
	}
	if err := s.putCatalog(ctx, words); err != nil {
		return err
	}
	return s.putCatalog(ctx, codes)
}

// knownCodes reads the description hashes that the code entries of
// rksByPK (row keys by partition) list, a few partitions at a time.
func (s *PriceStore) knownCodes(ctx context.Context, rksByPK map[string][]string) (map[string][]string, error) {
	pks := slices.Collect(maps.Keys(rksByPK))
	known := map[string][]string{}
	var mu sync.Mutex
	err := inParallel(ctx, 4, len(pks), func(ctx context.Context, i int) error {
		got, err := s.knownDescs(ctx, pks[i], rksByPK[pks[i]])
		if err != nil {
			return err
		}
		mu.Lock()
		maps.Copy(known, got)
		mu.Unlock()
		return nil
	})
	return known, err
}

// putCatalog upserts entries grouped by partition, in batches of at most
// MaxChargeBatch entities and maxBatchBytes: packed word entries are larger
// than the others, and a list of descriptions full of characters that JSON
// escapes grows again when quoted inside the entity's JSON.
func (s *PriceStore) putCatalog(ctx context.Context, byPK map[string]map[string]catalogEntity) error {
	for _, rows := range byPK {
		var actions []aztables.TransactionAction
		size := 0
		for _, e := range rows {
			body, err := json.Marshal(e)
			if err != nil {
				return translate(err, "encode catalog entry")
			}
			if len(actions) == priceline.MaxChargeBatch || (len(actions) > 0 && size+len(body) > maxBatchBytes) {
				if err := s.submit(ctx, s.catalog, actions); err != nil {
					return err
				}
				actions, size = nil, 0
			}
			actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
			size += len(body)
		}
		if err := s.submit(ctx, s.catalog, actions); err != nil {
			return err
		}
	}
	return nil
}

// Procedures searches the catalog: code entries whose normalised code starts
// with q (revenue codes also without leading zeros), then entries whose
// description has a word starting with each word of q. Every key in a
// filter is built from encoded values, so q cannot change the query.
//
// A word search reads the index range of one word of q only, the longest
// (usually the rarest), and checks the other words against the entry's
// description, stopping once it has limit procedures: Azurite's cost, and
// Table Storage's, grows with every entity a query returns, and a common
// word has thousands.
func (s *PriceStore) Procedures(ctx context.Context, q string, limit int) ([]priceline.Procedure, error) {
	if limit <= 0 {
		return nil, nil
	}
	q = strings.TrimSpace(q)
	var byCode, byWords []catalogEntity
	var codeErr, wordErr error
	var wg sync.WaitGroup
	code := strings.ToUpper(q)
	if code != "" && !strings.ContainsAny(code, " \t") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			byCode, codeErr = s.codeMatches(ctx, code, limit)
		}()
	}
	if words := priceline.SearchWords(q); len(words) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			byWords, wordErr = s.wordMatches(ctx, words, limit)
		}()
	}
	wg.Wait()
	if err := cmp.Or(codeErr, wordErr); err != nil {
		return nil, err
	}
	var out []priceline.Procedure
	seen := map[string]bool{}
	for _, e := range append(byCode, byWords...) {
		k := procedureKey(priceline.Code{Code: e.Code, Type: e.CodeType})
		if !seen[k] && len(out) < limit {
			seen[k] = true
			out = append(out, priceline.Procedure{Code: e.Code, CodeType: e.CodeType, Description: e.Description})
		}
	}
	return out, nil
}

// codeMatches reads up to limit code entries starting with code, and for a
// code with leading zeros, revenue codes without them.
func (s *PriceStore) codeMatches(ctx context.Context, code string, limit int) ([]catalogEntity, error) {
	var out []catalogEntity
	for i, prefix := range []string{code, strings.TrimLeft(code, "0")} {
		if prefix == "" || (i == 1 && prefix == code) {
			continue
		}
		err := s.catalogScan(ctx, codePrefix+keyEncode(firstRunes(prefix, 1)), keyEncode(prefix), limit, "", func(e catalogEntity) bool {
			if i == 1 && !strings.EqualFold(e.CodeType, "RC") {
				return false // only revenue codes match without their zeros
			}
			out = append(out, e)
			return len(out) >= limit
		})
		if err != nil || len(out) >= limit {
			return out, err
		}
	}
	return out, nil
}

// wordMatches finds procedures with a description word starting with each
// of words. First the index range of the longest word, keeping entries
// whose description (each distinct description of a procedure is listed
// on its own) has every word, until limit procedures are found. Only when
// that finds none, though the longest word's range is not empty, are the
// other words' ranges read (row keys and packed lists, up to 1,000
// entries each, in catalogScan's pages: a first page of 1,000 packed
// entities would be up to 8 MB, most of it past the 1,000th procedure)
// and intersected by procedure,
// for a query that mixes the words of two hospitals' descriptions: that
// costs a range per word, so it is the last resort, not the rule.
func (s *PriceStore) wordMatches(ctx context.Context, words []string, limit int) ([]catalogEntity, error) {
	longest := slices.MaxFunc(words, func(a, b string) int { return cmp.Compare(utf8.RuneCountInString(a), utf8.RuneCountInString(b)) })
	var out, all []catalogEntity
	seen := map[string]bool{}
	err := s.catalogScan(ctx, wordPrefix+keyEncode(firstRunes(longest, 2)), keyEncode(longest), limit, "", func(e catalogEntity) bool {
		all = append(all, e)
		if seen[procOf(e)] || !priceline.HasWords(e.Description, words) {
			return false
		}
		seen[procOf(e)] = true
		out = append(out, e)
		return len(out) >= limit
	})
	// all empty: the longest word is in no description (a typo), so no
	// procedure can have every word and the other words' ranges, common
	// words' being large, are not worth reading.
	if err != nil || len(out) > 0 || len(all) == 0 || len(words) == 1 || len(words) > maxIntersectWords {
		return out, err
	}
	others := slices.DeleteFunc(slices.Clone(words), func(w string) bool { return w == longest })
	sets := make([]map[string]bool, len(others))
	err = allOf(len(others), func(i int) error {
		sets[i] = map[string]bool{}
		return s.catalogScan(ctx, wordPrefix+keyEncode(firstRunes(others[i], 2)), keyEncode(others[i]), limit, "RowKey,"+packedProp, func(e catalogEntity) bool {
			sets[i][procOf(e)] = true
			return false
		})
	})
	if err != nil {
		return nil, err
	}
	for _, e := range all {
		pk := procOf(e)
		if seen[pk] || slices.ContainsFunc(sets, func(set map[string]bool) bool { return !set[pk] }) {
			continue
		}
		seen[pk] = true
		out = append(out, e)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// procOf is the procedure key of a word entry: set by unpackWord for a
// packed entry's procedures; otherwise from the row key, which is
// word.procedure key.description hash (versions before the hash wrote
// word.procedure key), and neither word nor description hash has a ".".
func procOf(e catalogEntity) string {
	if e.proc != "" {
		return e.proc
	}
	rest := e.RowKey[strings.IndexByte(e.RowKey, '.')+1:]
	if strings.Count(rest, ".") == 2 {
		rest = rest[:strings.LastIndexByte(rest, '.')]
	}
	return rest
}

// catalogScan reads the catalog entries of partition pk whose row key starts
// with prefix, in key order, passing each to keep until keep returns true
// or maxWordMatches entries were read; a packed word entry is passed as the
// procedures it lists, each counting as one entry read. The first request
// asks for first entities (the caller's limit: enough when keep rarely
// refuses), later ones for 100, so a search costs at most 1 +
// maxWordMatches/100 requests whatever limit it was given. sel "" reads
// the fields of catalogEntity.
func (s *PriceStore) catalogScan(ctx context.Context, pk, prefix string, first int, sel string, keep func(catalogEntity) bool) error {
	if sel == "" {
		sel = "RowKey,Code,CodeType,Description," + packedProp
	}
	lower := "RowKey ge " + odataString(prefix)
	top := min(max(first, 1), maxWordMatches)
	for read := 0; read < maxWordMatches; top = min(100, maxWordMatches-read) {
		filter := "PartitionKey eq " + odataString(pk) + " and " + lower + " and RowKey lt " + odataString(prefix+keyRangeEnd)
		t := int32(min(top, maxWordMatches-read))
		pager := s.catalog.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel, Top: &t})
		resp, err := pager.NextPage(ctx)
		// Table Storage may answer a page with no entities and a
		// continuation (it stops a query after 5 s); follow it, a bounded
		// number of times.
		for skips := 0; err == nil && len(resp.Entities) == 0 && pager.More() && skips < 10; skips++ {
			resp, err = pager.NextPage(ctx)
		}
		if err != nil {
			return translate(err, "search procedures")
		}
		last := ""
		for _, raw := range resp.Entities {
			var e catalogEntity
			if err := json.Unmarshal(raw, &e); err != nil {
				return translate(err, "decode procedure")
			}
			last = e.RowKey
			entries := []catalogEntity{e}
			if strings.Contains(e.RowKey, packedMark) {
				if entries, err = unpackWord(e); err != nil {
					return err
				}
			}
			for _, e := range entries {
				read++
				if keep(e) || read >= maxWordMatches {
					return nil
				}
			}
		}
		// Fewer than asked and no continuation: the range is exhausted.
		if last == "" || (len(resp.Entities) < int(t) && !pager.More()) {
			return nil
		}
		lower = "RowKey gt " + odataString(last)
	}
	return nil
}
