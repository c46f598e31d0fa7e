package tablestorage

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// SessionStore keeps sessions in the sessions table: PartitionKey = user ID,
// RowKey = session key (hex SHA-256 of the secret ID), so a session is one
// point read and a user's sessions are one partition.
type SessionStore struct{ store }

type sessionRecord struct {
	PartitionKey  string
	RowKey        string
	ETag          string `json:"odata.etag"` // set in listings only
	Method        string
	CSRFToken     string
	UserAgent     string
	CreatedAt     edmTime
	LastSeenAt    edmTime
	IdleExpiresAt edmTime
	ExpiresAt     edmTime
}

var sessionErrors = entityErrors{
	what:     "session",
	notFound: priceline.SessionNotFound,
	changed:  priceline.SessionChanged,
	exists:   priceline.SessionExists,
}

// CreateSession inserts s; an existing record with the same key is a
// conflict, never overwritten.
func (s *SessionStore) CreateSession(ctx context.Context, sess *priceline.Session) error {
	if err := priceline.ValidSession(sess); err != nil {
		return err
	}
	sess.UserAgent = priceline.TruncateUserAgent(sess.UserAgent)
	e := entity{
		"PartitionKey": sess.UserID, "RowKey": sess.Key,
		"Method": sess.Method, "CSRFToken": sess.CSRFToken, "UserAgent": sess.UserAgent,
	}
	e.setTime("CreatedAt", sess.CreatedAt)
	e.setTime("LastSeenAt", sess.LastSeenAt)
	e.setTime("IdleExpiresAt", sess.IdleExpiresAt)
	e.setTime("ExpiresAt", sess.ExpiresAt)
	return addEntity(ctx, s.t, sessionErrors, e, &sess.Version)
}

// Session is a point read by (userID, key).
func (s *SessionStore) Session(ctx context.Context, userID, key string) (*priceline.Session, error) {
	if !validUserID(userID) || !validSessionKey(key) {
		return nil, priceline.SessionNotFound.Err()
	}
	rec, etag, err := readEntity[sessionRecord](ctx, s.t, sessionErrors, userID, key)
	if err != nil {
		return nil, err
	}
	rec.PartitionKey, rec.RowKey = userID, key
	return rec.session(etag), nil
}

func (rec *sessionRecord) session(etag azcore.ETag) *priceline.Session {
	return &priceline.Session{
		Key: rec.RowKey, UserID: rec.PartitionKey, Method: rec.Method, CSRFToken: rec.CSRFToken,
		UserAgent: rec.UserAgent, Version: string(etag),
		CreatedAt: rec.CreatedAt.Time, LastSeenAt: rec.LastSeenAt.Time,
		IdleExpiresAt: rec.IdleExpiresAt.Time, ExpiresAt: rec.ExpiresAt.Time,
	}
}

// TouchSession merges the new activity times only if the record still has
// s.Version, so two instances refreshing one session cannot both win.
func (s *SessionStore) TouchSession(ctx context.Context, sess *priceline.Session) error {
	if sess == nil || !validUserID(sess.UserID) || !validSessionKey(sess.Key) {
		return priceline.SessionNotFound.Err()
	}
	if sess.Version == "" {
		return priceline.SessionChanged.Err()
	}
	e := entity{"PartitionKey": sess.UserID, "RowKey": sess.Key}
	e.setTime("LastSeenAt", sess.LastSeenAt)
	e.setTime("IdleExpiresAt", sess.IdleExpiresAt)
	return mergeIf(ctx, s.t, sessionErrors, e, "touch session", &sess.Version)
}

// DeleteSession removes a record; a missing one is fine.
func (s *SessionStore) DeleteSession(ctx context.Context, userID, key string) error {
	if !validUserID(userID) || !validSessionKey(key) {
		return nil // no such record can exist
	}
	return deleteEntity(ctx, s.t, userID, key, "delete session")
}

// UserSessions lists one partition. The user ID is checked to be 32 hex
// characters before it goes into the filter, and is quoted anyway.
func (s *SessionStore) UserSessions(ctx context.Context, userID string) ([]*priceline.Session, error) {
	if !validUserID(userID) {
		return nil, nil
	}
	filter := "PartitionKey eq " + odataString(userID)
	var out []*priceline.Session
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter}, "list sessions", "decode session", func(rec sessionRecord) error {
		out = append(out, rec.session(azcore.ETag(rec.ETag)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expiredFilter selects sessions past either deadline at now. The only values
// in it are times this package formats itself.
func expiredFilter(now time.Time) string {
	lit := odataDateTime(now)
	return fmt.Sprintf("ExpiresAt le %s or IdleExpiresAt le %s", lit, lit)
}

// DeleteExpiredSessions deletes every session whose absolute or idle expiry
// is at or before now, in transactions of up to 100 per user partition, and
// returns how many it removed.
func (s *SessionStore) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	filter := expiredFilter(now)
	sel := "PartitionKey,RowKey"
	// Collect first: deleting while paging could move continuation tokens.
	byPartition := map[string][]string{}
	var order []string
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list expired sessions", "decode session key", func(k entityKey) error {
			if _, ok := byPartition[k.PartitionKey]; !ok {
				order = append(order, k.PartitionKey)
			}
			byPartition[k.PartitionKey] = append(byPartition[k.PartitionKey], k.RowKey)
			return nil
		})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, pk := range order {
		d, err := deleteKeys(ctx, s.t.Client, pk, byPartition[pk], unitWeights(len(byPartition[pk])), "expired session")
		deleted += d
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}
