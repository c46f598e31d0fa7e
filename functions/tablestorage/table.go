package tablestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// The point operations every store is made of: read one entity, add it,
// upsert it, merge into it if unchanged, delete it (if unchanged), take it.
// They hold the SDK call and the mapping of its answer (404, 409, 412, a
// missing table) in one place; a store keeps its keys, its record and its
// error codes, which it gives as an entityErrors.

// table is one table as a store uses it: the SDK client, and the rule for a
// table that does not exist.
type table struct {
	*aztables.Client
	// outage, when set, is the table's full name, and a missing table is an
	// outage (missingTable). The users, sessions, attempts, mfa and
	// passkeys tables leave it empty: there a missing table reads like a
	// missing entity, as it always has.
	outage string
}

// openTable is the named table under c's prefix; see table.outage.
func (c *Client) openTable(name string, missingIsOutage bool) table {
	t := table{Client: c.svc.NewClient(c.table(name))}
	if missingIsOutage {
		t.outage = c.table(name)
	}
	return t
}

// missingTable turns "the table does not exist" into an outage. Reported as
// not found it would, for example, tell the user their sign-in link was
// stale, and hide that EnsureTables never ran.
func missingTable(err error, name string) error {
	if hasErrorCode(err, aztables.TableNotFound) {
		return unavailable(fmt.Errorf("table %s is missing: %w", name, err))
	}
	return nil
}

// missing is missingTable for the tables that have the rule.
func (t table) missing(err error) error {
	if t.outage == "" {
		return nil
	}
	return missingTable(err, t.outage)
}

// entityErrors is how a store names one kind of entity in errors and
// answers for it.
type entityErrors struct {
	// what names the entity in wrapped errors: "read session", "decode session".
	what string
	// notFound answers for an entity that is not there; none (the zero
	// Refusal) means absence is no error and readEntity returns the zero
	// record with no ETag.
	notFound priceline.Refusal
	// exists answers an add whose keys are taken.
	exists priceline.Refusal
	// changed answers a conditional write or delete that lost to another
	// request's change; none leaves it the generic conflict of translate.
	changed priceline.Refusal
}

// none reports whether r is the zero Refusal: no answer of its own.
func none(r priceline.Refusal) bool { return r.Code == "" }

// conflict answers the storage conflict err with the domain's refusal r,
// keeping the storage error (keys redacted) as its cause for the log.
func conflict(r priceline.Refusal, err error) error { return r.Wrap(redactKeys(err)) }

// readEntity is a point read of (pk, rk) decoded into a T, with the ETag it
// was read at.
func readEntity[T any](ctx context.Context, t table, k entityErrors, pk, rk string) (T, azcore.ETag, error) {
	var v T
	resp, err := t.GetEntity(ctx, pk, rk, nil)
	if err := t.missing(err); err != nil {
		return v, "", err
	}
	if isStatus(err, 404) {
		if none(k.notFound) {
			return v, "", nil
		}
		return v, "", k.notFound.Err()
	}
	if err != nil {
		return v, "", translate(err, "read "+k.what)
	}
	if err := json.Unmarshal(resp.Value, &v); err != nil {
		return v, "", translate(err, "decode "+k.what)
	}
	return v, resp.ETag, nil
}

// The writes below store the entity's new version (its ETag) in *version
// when version is not nil, which is where the domain keeps it.

// addEntity inserts e, never overwriting: taken keys are k.exists.
func addEntity(ctx context.Context, t table, k entityErrors, e entity, version *string) error {
	body, err := json.Marshal(e)
	if err != nil {
		return translate(err, "encode "+k.what)
	}
	resp, err := t.AddEntity(ctx, body, nil)
	if err := t.missing(err); err != nil {
		return err
	}
	if isStatus(err, 409) {
		return conflict(k.exists, err)
	}
	if err != nil {
		return translate(err, "add "+k.what)
	}
	setVersion(version, resp.ETag)
	return nil
}

// upsertEntity writes e whole, replacing whatever entity had its keys.
func upsertEntity(ctx context.Context, t table, k entityErrors, e entity, version *string) error {
	body, err := json.Marshal(e)
	if err != nil {
		return translate(err, "encode "+k.what)
	}
	resp, err := t.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
	if err := t.missing(err); err != nil {
		return err
	}
	if err != nil {
		return translate(err, "put "+k.what)
	}
	setVersion(version, resp.ETag)
	return nil
}

// mergeIf merges e's properties into the entity only if it is still at
// *version, so it never recreates an entity deleted meanwhile (k.notFound)
// nor overwrites a change made meanwhile (k.changed). op names the write in
// errors.
func mergeIf(ctx context.Context, t table, k entityErrors, e entity, op string, version *string) error {
	body, err := json.Marshal(e)
	if err != nil {
		return translate(err, "encode "+k.what)
	}
	etag := azcore.ETag(*version)
	resp, err := t.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeMerge})
	if err := t.conditional(k, err, op); err != nil {
		return err
	}
	setVersion(version, resp.ETag)
	return nil
}

// conditional answers for a write or delete made on the condition that
// the entity is unchanged (If-Match): gone is k.notFound, changed is
// k.changed, anything else is translated with op.
func (t table) conditional(k entityErrors, err error, op string) error {
	if err := t.missing(err); err != nil {
		return err
	}
	switch {
	case isStatus(err, 404):
		return k.notFound.Err()
	case isConflictStatus(err) && !none(k.changed):
		return conflict(k.changed, err)
	case err != nil:
		return translate(err, op)
	}
	return nil
}

func setVersion(version *string, etag azcore.ETag) {
	if version != nil {
		*version = string(etag)
	}
}

// deleteEntity deletes (pk, rk) whatever its version; one already gone is
// fine. op names the delete in errors.
func deleteEntity(ctx context.Context, t table, pk, rk, op string) error {
	_, err := t.DeleteEntity(ctx, pk, rk, nil)
	if err := t.missing(err); err != nil {
		return err
	}
	if err != nil && !isStatus(err, 404) {
		return translate(err, op)
	}
	return nil
}

// deleteIf deletes (pk, rk) only if it is still at etag: one already gone is
// k.notFound, one changed meanwhile k.changed. op names the delete in errors.
func deleteIf(ctx context.Context, t table, k entityErrors, pk, rk string, etag azcore.ETag, op string) error {
	_, err := t.DeleteEntity(ctx, pk, rk, &aztables.DeleteEntityOptions{IfMatch: &etag})
	return t.conditional(k, err, op)
}

// takeEntity reads an entity and deletes it on the condition that it is
// still the version read, so of racing takers only one gets it; the others,
// and a missing entity, get k.notFound. It decodes what it took only after
// the delete, so even an entity that cannot be decoded is used up.
func takeEntity[T any](ctx context.Context, t table, k entityErrors, pk, rk string) (T, error) {
	var v T
	raw, etag, err := readEntity[json.RawMessage](ctx, t, k, pk, rk)
	if err != nil {
		return v, err
	}
	taken := k
	taken.changed = k.notFound // another request took it first
	if err := deleteIf(ctx, t, taken, pk, rk, etag, "delete "+k.what); err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, translate(err, "decode "+k.what)
	}
	return v, nil
}

// takeLive takes the entity (takeEntity), decodes it with domain, and
// refuses it, used up all the same, with late() when it has expired at the
// store's now; a record without an expiry has always expired. It is what
// makes a sign-in flow or a challenge complete at most once, and only in
// time.
func takeLive[R, V any](ctx context.Context, s store, k entityErrors, pk, rk string, domain func(R) *V, expired func(*V, time.Time) bool, late func() error) (*V, error) {
	rec, err := takeEntity[R](ctx, s.t, k, pk, rk)
	if err != nil {
		return nil, err
	}
	v := domain(rec)
	if expired(v, s.c.now()) {
		return nil, late()
	}
	return v, nil
}

// edmTime is an Edm.DateTime property of a record: decoding parses it
// (parseTime), and an absent or empty one is the zero time.
type edmTime struct{ time.Time }

// UnmarshalJSON parses the stored text of the time.
func (t *edmTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	var err error
	t.Time, err = parseTime(s)
	return err
}
