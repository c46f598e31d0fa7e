package memstore

import "time"

// table is the map of one kind of record a store keeps, by the key the real
// store keys it by. Its methods are the reads and writes the stores have in
// common, each with the store's own error, so a store keeps only its own
// rules. The zero table is empty and is made on first write; the caller
// holds the store's lock.
type table[K comparable, V any] map[K]V

// get returns the record under k, or notFound().
func (t table[K, V]) get(k K, notFound func() error) (V, error) {
	v, ok := t[k]
	if !ok {
		return v, notFound()
	}
	return v, nil
}

// find returns a copy of the record under k made by clone (ref for a
// record without slices), or notFound(): a point read that hands out
// nothing the store keeps.
func (t table[K, V]) find(k K, notFound func() error, clone func(V) *V) (*V, error) {
	v, err := t.get(k, notFound)
	if err != nil {
		return nil, err
	}
	return clone(v), nil
}

// ref returns a pointer to a copy of v.
func ref[V any](v V) *V { return &v }

// put stores v under k, replacing what was there.
func (t *table[K, V]) put(k K, v V) {
	if *t == nil {
		*t = table[K, V]{}
	}
	(*t)[k] = v
}

// add stores v under k unless k is taken, which is exists(): a create, as
// the real store's insert refuses an entity that is there.
func (t *table[K, V]) add(k K, v V, exists func() error) error {
	if _, ok := (*t)[k]; ok {
		return exists()
	}
	t.put(k, v)
	return nil
}

// take deletes and returns the record under k, or notFound(): a read that
// succeeds once.
func (t table[K, V]) take(k K, notFound func() error) (V, error) {
	v, err := t.get(k, notFound)
	if err == nil {
		delete(t, k)
	}
	return v, err
}

// deleteWhere deletes every record match picks and returns how many.
func (t table[K, V]) deleteWhere(match func(K, *V) bool) int {
	n := 0
	for k, v := range t {
		if match(k, &v) {
			delete(t, k)
			n++
		}
	}
	return n
}

// sweep deletes what expired says has expired at now and returns how many
// it deleted, as the real stores' clean-ups do.
func (t table[K, V]) sweep(now time.Time, expired func(*V, time.Time) bool) int {
	return t.deleteWhere(func(_ K, v *V) bool { return expired(v, now) })
}

// takeLive takes the record under k and refuses it, deleted all the same,
// when it has expired at now: what makes a sign-in flow or a challenge
// complete at most once, and only in time.
func takeLive[K comparable, V any](t table[K, V], k K, now time.Time, expired func(*V, time.Time) bool, notFound, late func() error) (*V, error) {
	v, err := t.take(k, notFound)
	if err != nil {
		return nil, err
	}
	if expired(&v, now) {
		return nil, late()
	}
	return &v, nil
}
