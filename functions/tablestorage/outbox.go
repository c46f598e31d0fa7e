package tablestorage

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// outboxTable holds email waiting to be delivered (see package outbox):
//
//	outbox: "outbox" / <entry ID> → To, Subject, Text, MessageID, Kind, Created,
//	        Attempts, NextAttemptAt, ExpiresAt, LastError
//
// The entry ID is the hex SHA-256 of the Message-ID (priceline.OutboxID) and
// is checked before use. One partition: the outbox is small and short-lived
// (an entry is deleted once sent), and a sender lists it with one
// single-partition query on NextAttemptAt.
const outboxTable = "outbox"

const outboxPartition = "outbox"

// OutboxStore keeps priceline.OutboxEntry records in the outbox table.
type OutboxStore struct{ store }

type outboxRecord struct {
	RowKey        string
	ETag          string `json:"odata.etag"`
	To            string
	Subject       string
	Text          string
	MessageID     string
	Kind          string
	Created       edmTime
	Attempts      int
	NextAttemptAt edmTime
	ExpiresAt     edmTime
	LastError     string
}

// outboxErrors: changed answers a write under a version another sender
// changed.
var outboxErrors = entityErrors{
	what:     "outbox entry",
	notFound: priceline.OutboxNotFound,
	changed:  priceline.OutboxChanged,
	exists:   priceline.OutboxExists,
}

// PutOutbox adds e; an existing entry with the same ID is a conflict.
func (s *OutboxStore) PutOutbox(ctx context.Context, e *priceline.OutboxEntry) error {
	if err := priceline.ValidOutboxEntry(e); err != nil {
		return err
	}
	ent := entity{
		"PartitionKey": outboxPartition, "RowKey": e.ID,
		"To": e.Message.To, "Subject": e.Message.Subject, "Text": e.Message.Text,
		"MessageID": e.Message.MessageID, "Kind": e.Message.Kind,
		"Attempts": e.Attempts, "LastError": e.LastError,
	}
	ent.setTime("Created", e.Message.Created)
	ent.setTime("NextAttemptAt", e.NextAttemptAt)
	ent.setTime("ExpiresAt", e.ExpiresAt)
	return addEntity(ctx, s.t, outboxErrors, ent, &e.Version)
}

// DueOutbox lists up to limit entries due at now. The filter holds only a
// constant and a time this package formats.
func (s *OutboxStore) DueOutbox(ctx context.Context, now time.Time, limit int) ([]*priceline.OutboxEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	filter := fmt.Sprintf("PartitionKey eq %s and NextAttemptAt le %s", odataString(outboxPartition), odataDateTime(now))
	top := int32(min(limit, 1000))
	var out []*priceline.OutboxEntry
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter, Top: &top},
		"list due outbox entries", "decode outbox entry", func(rec outboxRecord) error {
			out = append(out, rec.entry())
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	if err := s.t.missing(err); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (rec *outboxRecord) entry() *priceline.OutboxEntry {
	return &priceline.OutboxEntry{
		ID: rec.RowKey, Attempts: rec.Attempts, LastError: rec.LastError, Version: rec.ETag,
		Message: priceline.Message{
			To: rec.To, Subject: rec.Subject, Text: rec.Text, MessageID: rec.MessageID, Kind: rec.Kind,
			Created: rec.Created.Time,
		},
		NextAttemptAt: rec.NextAttemptAt.Time, ExpiresAt: rec.ExpiresAt.Time,
	}
}

// ClaimOutbox merges the attempt count and the lease's end under e.Version.
func (s *OutboxStore) ClaimOutbox(ctx context.Context, e *priceline.OutboxEntry) error {
	return s.update(ctx, e, "claim outbox entry")
}

// MarkOutboxFailed merges the failure and the next attempt's time under
// e.Version.
func (s *OutboxStore) MarkOutboxFailed(ctx context.Context, e *priceline.OutboxEntry) error {
	return s.update(ctx, e, "record outbox failure")
}

func (s *OutboxStore) update(ctx context.Context, e *priceline.OutboxEntry, op string) error {
	if err := priceline.ValidOutboxUpdate(e); err != nil {
		return err
	}
	ent := entity{"PartitionKey": outboxPartition, "RowKey": e.ID, "Attempts": e.Attempts, "LastError": e.LastError}
	ent.setTime("NextAttemptAt", e.NextAttemptAt)
	return mergeIf(ctx, s.t, outboxErrors, ent, op, &e.Version)
}

// MarkOutboxSent deletes the entry: once the provider has the message, the
// single-use link in its text must not stay in storage.
func (s *OutboxStore) MarkOutboxSent(ctx context.Context, id string) error {
	return s.DeleteOutbox(ctx, id)
}

// DeleteOutbox removes an entry; a missing one is fine.
func (s *OutboxStore) DeleteOutbox(ctx context.Context, id string) error {
	if !priceline.ValidOutboxID(id) {
		return nil
	}
	return deleteEntity(ctx, s.t, outboxPartition, id, "delete outbox entry")
}
