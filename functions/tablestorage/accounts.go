package tablestorage

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// The account-lifecycle half of UserStore: verified addresses, email
// changes and deletion. Account tokens live in the users table too, in the
// user's own partition (<userID> / "token-"+purpose), so that deleting a
// user is one partition's work and no other table needs to be created.

// MarkEmailVerified merges EmailVerified into the record, conditional on
// the ETag of the read that found the email unchanged.
func (s *UserStore) MarkEmailVerified(ctx context.Context, userID, email string) error {
	u, etag, err := s.readUser(ctx, userID)
	if err != nil {
		return err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != email {
		return priceline.EmailChanged.Err()
	}
	err = s.mergeUser(ctx, userID, etag, entity{"EmailVerified": true}, "mark email verified")
	if priceline.IsConflict(err) {
		return s.MarkEmailVerified(ctx, userID, email) // changed meanwhile: check again
	}
	return err
}

// ChangeEmail claims the new address's index (the uniqueness check, as in
// CreateUser), then changes the record conditionally, then releases the old
// index. A crash between the steps leaves an index that names a user with
// another address, which every lookup ignores and a later registration
// takes over after the orphan window (see claimIndex), so no crash can give
// one address to two accounts or leave one bound to none for long.
func (s *UserStore) ChangeEmail(ctx context.Context, userID, oldEmail, newEmail string) error {
	if err := priceline.ValidNewEmail(newEmail); err != nil {
		return err
	}
	u, etag, err := s.readUser(ctx, userID)
	if err != nil {
		return err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != oldEmail {
		return priceline.EmailChanged.Err()
	}
	if newEmail == oldEmail {
		return s.mergeUser(ctx, userID, etag, entity{"EmailVerified": true}, "change email")
	}
	idx := entity{"PartitionKey": emailIndexKey(newEmail), "RowKey": indexRowKey, "UserID": userID, "Email": newEmail, "PasswordHash": u.PasswordHash}
	idx.setTime("CreatedAt", s.c.now())
	idxETag, err := s.claimIndex(ctx, idx, priceline.EmailTaken.Err())
	if err != nil {
		return err
	}
	if err := s.mergeUser(ctx, userID, etag, entity{"Email": newEmail, "EmailVerified": true}, "change email"); err != nil {
		s.releaseIndex(ctx, idx, idxETag)
		if priceline.IsConflict(err) {
			return priceline.EmailChanged.Err()
		}
		return err
	}
	// Release the old index if it still names this user. If this fails the
	// index is an orphan (it names a user with another address now).
	if old, oldETag, err := s.readIndex(ctx, emailIndexKey(oldEmail)); err == nil && old.UserID == userID {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = s.t.DeleteEntity(dctx, emailIndexKey(oldEmail), indexRowKey, &aztables.DeleteEntityOptions{IfMatch: &oldETag})
	}
	return nil
}

// DeleteUser deletes the account tokens and the user record, then the
// lookup index if it still names the user. Record before index: a crash in
// between leaves an index without a user, which lookups ignore and a new
// registration takes over (see claimIndex).
func (s *UserStore) DeleteUser(ctx context.Context, userID string) error {
	u, _, err := s.readUser(ctx, userID)
	if priceline.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.c.AccountTokens().DeleteAccountTokens(ctx, userID); err != nil {
		return err
	}
	if err := deleteEntity(ctx, s.t, userID, userRowKey, "delete user"); err != nil {
		return err
	}
	pk := emailIndexKey(u.Email)
	if u.Provider != priceline.ProviderLocal {
		pk = subjectIndexKey(u.Provider, u.Subject)
	}
	idx, etag, err := s.readIndex(ctx, pk)
	if priceline.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if idx.UserID != userID {
		return nil
	}
	if _, err := s.t.DeleteEntity(ctx, pk, indexRowKey, &aztables.DeleteEntityOptions{IfMatch: &etag}); err != nil && !isStatus(err, 404) && !isConflictStatus(err) {
		return translate(err, "delete index")
	}
	return nil
}

// AccountTokenStore keeps priceline.AccountToken records in the users
// table: <userID> / "token-"+purpose → Hash, Email, CreatedAt, ExpiresAt.
// One row per purpose is what makes a new token replace the old one.
type AccountTokenStore struct{ store }

const tokenRowPrefix = "token-"

var tokenPurposes = []string{priceline.TokenVerifyEmail, priceline.TokenChangeEmail, priceline.TokenResetPassword, priceline.TokenReauth}

type tokenRecord struct {
	Hash      string
	Email     string
	CreatedAt edmTime
	ExpiresAt edmTime
}

// tokenErrors: a token another request took first is simply gone.
var tokenErrors = entityErrors{what: "account token", notFound: priceline.TokenNotFound, changed: priceline.TokenNotFound}

// PutAccountToken upserts the user's row for the purpose.
func (s *AccountTokenStore) PutAccountToken(ctx context.Context, t *priceline.AccountToken) error {
	if err := priceline.ValidAccountToken(t); err != nil {
		return err
	}
	e := entity{"PartitionKey": t.UserID, "RowKey": tokenRowPrefix + t.Purpose, "Hash": t.Hash, "Email": t.Email}
	e.setTime("CreatedAt", t.CreatedAt)
	e.setTime("ExpiresAt", t.ExpiresAt)
	return upsertEntity(ctx, s.t, tokenErrors, e, nil)
}

// TakeAccountToken reads the row, compares the hash in constant time and
// deletes the row conditional on the ETag it read: of racing takers, one
// delete succeeds and the others get 412, which is "not found".
func (s *AccountTokenStore) TakeAccountToken(ctx context.Context, userID, purpose, hash string) (*priceline.AccountToken, error) {
	if !validUserID(userID) || priceline.TokenPurpose(purpose) == "" || !validSessionKey(hash) {
		return nil, priceline.TokenNotFound.Err()
	}
	rec, etag, err := readEntity[tokenRecord](ctx, s.t, tokenErrors, userID, tokenRowPrefix+purpose)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(rec.Hash), []byte(hash)) != 1 {
		return nil, priceline.TokenNotFound.Err()
	}
	if err := deleteIf(ctx, s.t, tokenErrors, userID, tokenRowPrefix+purpose, etag, "take account token"); err != nil {
		return nil, err
	}
	return &priceline.AccountToken{
		UserID: userID, Purpose: purpose, Hash: rec.Hash, Email: rec.Email,
		CreatedAt: rec.CreatedAt.Time, ExpiresAt: rec.ExpiresAt.Time,
	}, nil
}

// DeleteAccountTokens deletes the user's row of every purpose.
func (s *AccountTokenStore) DeleteAccountTokens(ctx context.Context, userID string) error {
	if !validUserID(userID) {
		return nil
	}
	for _, p := range tokenPurposes {
		if err := deleteEntity(ctx, s.t, userID, tokenRowPrefix+p, "delete account tokens"); err != nil {
			return err
		}
	}
	return nil
}

// DeleteExpiredAccountTokens deletes the token rows, of every user, whose
// ExpiresAt is at or before now. The rows share the users table with the
// user records and the email index, so the query names the token rows'
// RowKey range ("token-" up to "token."); only keys are read.
func (s *AccountTokenStore) DeleteExpiredAccountTokens(ctx context.Context, now time.Time) (int, error) {
	filter := "RowKey ge '" + tokenRowPrefix + "' and RowKey lt 'token.' and ExpiresAt le " + odataDateTime(now)
	// Conditional on the version listed: a new token of the same purpose
	// written since (same row, later expiry) must survive.
	return deleteListed(ctx, s.t.Client, filter, "account token", true)
}
