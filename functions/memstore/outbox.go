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
		rec := *e
		rec.Message.Created, rec.NextAttemptAt, rec.ExpiresAt = stored(e.Message.Created), stored(e.NextAttemptAt), stored(e.ExpiresAt)
		m.entries.put(e.ID, rec)
		return nil
	})
}

// DueOutbox lists up to limit entries due at now, oldest first.
func (m *Outbox) DueOutbox(_ context.Context, now time.Time, limit int) ([]*priceline.OutboxEntry, error) {
	return answer(&m.base, "DueOutbox", func() ([]*priceline.OutboxEntry, error) {
		if limit <= 0 {
			return nil, nil // as the real store answers
		}
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

// update merges the attempt count, the last error and the next attempt's
// time into the stored entry under the version check, as the real store's
// merge does: the message and the expiry stay as they were queued. Like the
// real store it refuses, first, what priceline.ValidOutboxUpdate refuses.
func (m *Outbox) update(op string, e *priceline.OutboxEntry) error {
	return m.write(op, priceline.ValidOutboxUpdate(e), func() error {
		cur, err := m.entries.get(e.ID, priceline.OutboxNotFound.Err)
		return m.ifMatch(err, &cur.Version, &e.Version, priceline.OutboxChanged.Err, func() {
			cur.Attempts, cur.LastError, cur.NextAttemptAt = e.Attempts, e.LastError, stored(e.NextAttemptAt)
			m.entries[e.ID] = cur
		})
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
