package outbox

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

// memStore is an in-memory priceline.OutboxStore for tests, with the same
// version checks as the Table Storage one.
type memStore struct {
	mu      sync.Mutex
	entries map[string]priceline.OutboxEntry
	seq     int
	// failSent makes MarkOutboxSent fail, as a crash right after the
	// provider accepted a message would.
	failSent bool
}

func newMemStore() *memStore { return &memStore{entries: map[string]priceline.OutboxEntry{}} }

var _ priceline.OutboxStore = (*memStore)(nil)

func (m *memStore) version() string { m.seq++; return strconv.Itoa(m.seq) }

func (m *memStore) PutOutbox(_ context.Context, e *priceline.OutboxEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[e.ID]; ok {
		return priceline.Errorf(priceline.KindConflict, "outbox_exists", "exists")
	}
	e.Version = m.version()
	m.entries[e.ID] = *e
	return nil
}

func (m *memStore) DueOutbox(_ context.Context, now time.Time, limit int) ([]*priceline.OutboxEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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
}

func (m *memStore) update(e *priceline.OutboxEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.entries[e.ID]
	if !ok {
		return priceline.Errorf(priceline.KindNotFound, "outbox_not_found", "gone")
	}
	if cur.Version != e.Version {
		return priceline.Errorf(priceline.KindConflict, "outbox_changed", "changed")
	}
	e.Version = m.version()
	m.entries[e.ID] = *e
	return nil
}

func (m *memStore) ClaimOutbox(_ context.Context, e *priceline.OutboxEntry) error { return m.update(e) }

func (m *memStore) MarkOutboxFailed(_ context.Context, e *priceline.OutboxEntry) error {
	return m.update(e)
}

func (m *memStore) MarkOutboxSent(ctx context.Context, id string) error {
	m.mu.Lock()
	fail := m.failSent
	m.mu.Unlock()
	if fail {
		return priceline.Errorf(priceline.KindUnavailable, "storage_unavailable", "down")
	}
	return m.DeleteOutbox(ctx, id)
}

func (m *memStore) DeleteOutbox(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, id)
	return nil
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func TestMemStoreKeepsTheOutboxContract(t *testing.T) {
	pricelinetest.TestOutboxStore(t, func(t *testing.T) priceline.OutboxStore { return newMemStore() })
}
