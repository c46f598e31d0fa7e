package memstore

import (
	"context"
	"sort"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Outbox is an in-memory priceline.OutboxStore with the real store's
// version checks, so two senders cannot both claim one entry.
type Outbox struct {
	base
	entries table[string, priceline.OutboxEntry]
}

var _ priceline.OutboxStore = (*Outbox)(nil)

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox { return &Outbox{} }

// PutOutbox stores e; KindInvalid if priceline.ValidOutboxEntry refuses
// it, KindConflict if its ID exists.
func (m *Outbox) PutOutbox(_ context.Context, e *priceline.OutboxEntry) error {
	return m.write("PutOutbox", priceline.ValidOutboxEntry(e), func() error {
		if _, ok := m.entries[e.ID]; ok {
			return priceline.OutboxExists.Err()
		}
		e.Version = m.nextVersion()
		m.entries.put(e.ID, *e)
		return nil
	})
}

// DueOutbox lists up to limit entries due at now, oldest first.
func (m *Outbox) DueOutbox(_ context.Context, now time.Time, limit int) ([]*priceline.OutboxEntry, error) {
	return answer(&m.base, "DueOutbox", func() ([]*priceline.OutboxEntry, error) {
		var out []*priceline.OutboxEntry
		for _, e := range m.entries {
			if !e.NextAttemptAt.After(now) {
				c := e
				out = append(out, &c)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Message.Created.Before(out[j].Message.Created) })
		if len(out) > limit {
			out = out[:limit]
		}
		return out, nil
	})
}

// validOutboxID reports whether id is of the form priceline.OutboxID
// makes, as the real store checks a key before it sends one.
func validOutboxID(id string) bool { return priceline.IsLowerHex(id, 64) }

// update writes e over the stored entry under the version check. Like the
// real store it refuses what it could never have stored: no entry or a
// malformed ID is not found, no version or no next attempt a conflict.
func (m *Outbox) update(op string, e *priceline.OutboxEntry) error {
	return m.run(op, func() error {
		if e == nil || !validOutboxID(e.ID) {
			return priceline.OutboxNotFound.Err()
		}
		if e.Version == "" || e.NextAttemptAt.IsZero() {
			return priceline.OutboxChanged.Err()
		}
		cur, err := m.entries.get(e.ID, priceline.OutboxNotFound.Err)
		return m.ifMatch(err, &cur.Version, &e.Version, priceline.OutboxChanged.Err, func() { m.entries[e.ID] = *e })
	})
}

// ClaimOutbox records the start of an attempt under the version check.
func (m *Outbox) ClaimOutbox(_ context.Context, e *priceline.OutboxEntry) error {
	return m.update("ClaimOutbox", e)
}

// MarkOutboxFailed records a failed attempt under the version check.
func (m *Outbox) MarkOutboxFailed(_ context.Context, e *priceline.OutboxEntry) error {
	return m.update("MarkOutboxFailed", e)
}

// MarkOutboxSent removes a delivered entry.
func (m *Outbox) MarkOutboxSent(_ context.Context, id string) error {
	return m.do("MarkOutboxSent", func() { delete(m.entries, id) })
}

// DeleteOutbox removes an entry; a missing one is fine.
func (m *Outbox) DeleteOutbox(_ context.Context, id string) error {
	return m.do("DeleteOutbox", func() { delete(m.entries, id) })
}

// Entries returns a copy of every queued entry. For tests.
func (m *Outbox) Entries() []priceline.OutboxEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]priceline.OutboxEntry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, e)
	}
	return out
}
