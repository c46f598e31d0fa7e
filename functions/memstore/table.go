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

// expiring is the pointer to a record that ends at a time, as a sign-in
// flow or a challenge does.
type expiring[V any] interface {
	*V
	Expired(now time.Time) bool
}

// once is a store of records each taken at most once, and refused (deleted
// all the same) when taken after it expired: what makes a sign-in flow or a
// challenge complete once and only in time. A store embeds it, so each of
// its methods only names its op, its record's ID and its refusals; the
// zero value is ready to use.
type once[V any, P expiring[V]] struct {
	base
	rows table[string, V]
}

// put keeps the record keep makes of rec (its ID and the copy the store
// keeps): a create, as the real store's insert, which invalid (the domain's
// check) or a taken ID (exists()) refuses.
func (o *once[V, P]) put(op string, invalid error, rec P, keep func(P) (string, V), exists func() error) error {
	return o.write(op, invalid, func() error {
		id, v := keep(rec)
		return o.rows.add(id, v, exists)
	})
}

// take deletes and returns the record under id, or notFound(); one expired
// at now() is refused with late().
func (o *once[V, P]) take(op, id string, now func() time.Time, notFound, late func() error) (*V, error) {
	return answer(&o.base, op, func() (*V, error) {
		v, err := o.rows.take(id, notFound)
		if err != nil {
			return nil, err
		}
		if P(&v).Expired(clock(now)) {
			return nil, late()
		}
		return &v, nil
	})
}

// deleteExpired deletes the records expired at now and returns how many, as
// the real store's clean-up does.
func (o *once[V, P]) deleteExpired(op string, now time.Time) (int, error) {
	return answer(&o.base, op, func() (int, error) {
		return o.rows.sweep(now, func(v *V, now time.Time) bool { return P(v).Expired(now) }), nil
	})
}

// Len returns how many records are stored, expired ones included: what a
// test reads to see that a record was kept or taken. For tests.
func (o *once[V, P]) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.rows)
}
