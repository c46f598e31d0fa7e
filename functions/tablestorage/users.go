package tablestorage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// UserStore keeps accounts in the users table: one entity per user
// (PartitionKey = user ID, RowKey = "user") plus one index entity per local
// email or cloud (provider, subject), keyed by its hash and holding the ID.
type UserStore struct{ store }

type userRecord struct {
	Provider      string
	Subject       string
	Email         string
	Name          string
	PasswordHash  string
	EmailVerified bool
	CreatedAt     edmTime
	UpdatedAt     edmTime
}

type indexRecord struct {
	UserID    string
	Email     string
	Provider  string
	Subject   string
	CreatedAt string
	// PasswordHash copies the local user's hash (see PasswordHint); absent
	// in indexes written before the copy existed.
	PasswordHash string
}

// The user record and the lookup index. A lost conditional write to the
// record stays the generic conflict: its callers each turn it into their
// own answer (see MarkEmailVerified, ChangeEmail).
var (
	userErrors  = entityErrors{what: "user", notFound: priceline.UserNotFound}
	indexErrors = entityErrors{what: "index", notFound: priceline.UserNotFound}
)

// CreateUser writes the lookup index first and the user record second.
//
// Table Storage cannot write two partitions atomically, so the order decides
// what a crash between the writes leaves behind. Index first: AddEntity on
// the index is the uniqueness check (a conflict means "email_taken" or
// "subject_taken"), and a crash leaves only an index without a user, which
// every lookup treats as not found and which a later registration may take
// over once it is older than the orphan window (an ETag-conditional replace,
// so only one registration wins). User first would instead risk two users
// with one email, or a user nobody can sign in as. If the user write fails
// the index is deleted again at once.
func (s *UserStore) CreateUser(ctx context.Context, u *priceline.User) error {
	if err := priceline.ValidUser(u); err != nil {
		return err
	}
	now := s.c.now().UTC()
	idx := entity{"RowKey": indexRowKey, "UserID": u.ID}
	taken := priceline.EmailTaken.Err()
	if u.Provider == priceline.ProviderLocal {
		idx["PartitionKey"] = emailIndexKey(u.Email)
		idx["Email"] = u.Email
		idx["PasswordHash"] = u.PasswordHash
	} else {
		taken = priceline.SubjectTaken.Err()
		idx["PartitionKey"] = subjectIndexKey(u.Provider, u.Subject)
		idx["Provider"] = u.Provider
		idx["Subject"] = u.Subject
	}
	idx.setTime("CreatedAt", now)

	idxETag, err := s.claimIndex(ctx, idx, taken)
	if err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	rec := entity{
		"PartitionKey": u.ID, "RowKey": userRowKey,
		"Provider": u.Provider, "Subject": u.Subject, "Email": u.Email, "Name": u.Name, "PasswordHash": u.PasswordHash,
		"EmailVerified": u.EmailVerified,
	}
	rec.setTime("CreatedAt", u.CreatedAt)
	rec.setTime("UpdatedAt", u.UpdatedAt)
	body, err := json.Marshal(rec)
	if err != nil {
		s.releaseIndex(ctx, idx, idxETag)
		return translate(err, "encode user")
	}
	if _, err := s.t.AddEntity(ctx, body, nil); err != nil {
		// Even if the write did land despite the error, releasing the index
		// is safe: a user without an index is unreachable, never duplicated.
		s.releaseIndex(ctx, idx, idxETag)
		if isStatus(err, 409) {
			return conflict(priceline.UserExists, err)
		}
		return translate(err, "add user")
	}
	// A registration stalled for longer than the orphan window may find that
	// its index was taken over meanwhile; then its user is unreachable and is
	// removed. If this read fails the index is ours with near certainty, so
	// the registration stands.
	cur, _, err := s.readIndex(ctx, idx["PartitionKey"].(string))
	if err == nil && cur.UserID != u.ID {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = s.t.DeleteEntity(dctx, u.ID, userRowKey, nil)
		return taken
	}
	return nil
}

// claimIndex inserts the index entity, or takes over an orphaned one, and
// returns its ETag.
func (s *UserStore) claimIndex(ctx context.Context, idx entity, taken error) (azcore.ETag, error) {
	body, err := json.Marshal(idx)
	if err != nil {
		return "", translate(err, "encode index")
	}
	pk := idx["PartitionKey"].(string)
	for range 3 {
		resp, err := s.t.AddEntity(ctx, body, nil)
		if err == nil {
			return resp.ETag, nil
		}
		if !isStatus(err, 409) {
			return "", translate(err, "add index")
		}
		cur, etag, err := s.readIndex(ctx, pk)
		if priceline.IsNotFound(err) {
			continue // deleted since our insert failed: try again
		}
		if err != nil {
			return "", err
		}
		if u, err := s.UserByID(ctx, cur.UserID); err == nil && indexHolds(cur, u) {
			return "", taken
		} else if err != nil && !priceline.IsNotFound(err) {
			return "", err
		}
		created, perr := parseTime(cur.CreatedAt)
		if perr == nil && s.c.now().Sub(created) < s.c.orphanAfter {
			// Probably a registration still in flight; it keeps the email.
			return "", taken
		}
		upd, err := s.t.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
		if err == nil {
			return upd.ETag, nil
		}
		if isConflictStatus(err) || isStatus(err, 404) {
			return "", taken
		}
		return "", translate(err, "take over index")
	}
	return "", taken
}

// indexHolds reports whether idx still belongs to u: an email index whose
// user has moved to another address (an email change that stopped after
// claiming the new index, or before releasing the old one) is an orphan
// like an index without a user.
func indexHolds(idx *indexRecord, u *priceline.User) bool {
	if idx.Email != "" {
		return u.Provider == priceline.ProviderLocal && u.Email == idx.Email
	}
	return u.Provider == idx.Provider && u.Subject == idx.Subject
}

// releaseIndex undoes claimIndex after a failed user write. It runs even if
// ctx is cancelled, and only deletes the index if it is still ours.
func (s *UserStore) releaseIndex(ctx context.Context, idx entity, etag azcore.ETag) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = s.t.DeleteEntity(ctx, idx["PartitionKey"].(string), indexRowKey, &aztables.DeleteEntityOptions{IfMatch: &etag})
}

func (s *UserStore) readIndex(ctx context.Context, pk string) (*indexRecord, azcore.ETag, error) {
	rec, etag, err := readEntity[indexRecord](ctx, s.t, indexErrors, pk, indexRowKey)
	if err != nil {
		return nil, "", err
	}
	return &rec, etag, nil
}

// UserByID is a point read of the user record.
func (s *UserStore) UserByID(ctx context.Context, id string) (*priceline.User, error) {
	u, _, err := s.readUser(ctx, id)
	return u, err
}

func (s *UserStore) readUser(ctx context.Context, id string) (*priceline.User, azcore.ETag, error) {
	if !validUserID(id) {
		return nil, "", priceline.UserNotFound.Err()
	}
	rec, etag, err := readEntity[userRecord](ctx, s.t, userErrors, id, userRowKey)
	if err != nil {
		return nil, "", err
	}
	return &priceline.User{
		ID: id, Provider: rec.Provider, Subject: rec.Subject, Email: rec.Email, Name: rec.Name,
		PasswordHash: rec.PasswordHash, EmailVerified: rec.EmailVerified,
		CreatedAt: rec.CreatedAt.Time, UpdatedAt: rec.UpdatedAt.Time,
	}, etag, nil
}

// UserByEmail reads the email index, then the user it names. An index whose
// user is missing (a half-written registration) counts as not found.
func (s *UserStore) UserByEmail(ctx context.Context, email string) (*priceline.User, error) {
	if email == "" {
		return nil, priceline.UserNotFound.Err()
	}
	idx, _, err := s.readIndex(ctx, emailIndexKey(email))
	if priceline.IsNotFound(err) {
		// A found email costs two reads (index, then user); spend the
		// second read on a miss too, so that the time this lookup takes
		// does not tell whether the email has an account. (Login uses
		// PasswordHint, and auth evens out its reads itself.)
		_, _ = s.UserByID(ctx, absentUserID)
		return nil, priceline.UserNotFound.Err()
	}
	if err != nil {
		return nil, err
	}
	if idx.Email != email {
		return nil, priceline.UserNotFound.Err()
	}
	u, err := s.UserByID(ctx, idx.UserID)
	if err != nil {
		return nil, err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != email {
		return nil, priceline.UserNotFound.Err()
	}
	return u, nil
}

// PasswordHint reads the email index: the user it names and the copy of
// that user's password hash. An index written before copies existed gets
// its copy from the user record here, once, so that every later login
// finds it.
func (s *UserStore) PasswordHint(ctx context.Context, email string) (string, string, error) {
	if email == "" {
		return "", "", priceline.UserNotFound.Err()
	}
	pk := emailIndexKey(email)
	idx, etag, err := s.readIndex(ctx, pk)
	if err != nil {
		return "", "", err
	}
	if idx.Email != email {
		return "", "", priceline.UserNotFound.Err()
	}
	if idx.PasswordHash == "" {
		if u, err := s.UserByID(ctx, idx.UserID); err == nil && u.Provider == priceline.ProviderLocal && u.Email == email && u.PasswordHash != "" {
			_ = s.copyHash(ctx, pk, etag, u.PasswordHash)
			return idx.UserID, u.PasswordHash, nil
		}
	}
	return idx.UserID, idx.PasswordHash, nil
}

// copyHash writes hash into the email index pk if it still has etag. It is
// a copy for speed, never the authority, so callers may ignore a failure:
// the next login checks the user record and repairs the copy.
func (s *UserStore) copyHash(ctx context.Context, pk string, etag azcore.ETag, hash string) error {
	body, err := json.Marshal(entity{"PartitionKey": pk, "RowKey": indexRowKey, "PasswordHash": hash})
	if err != nil {
		return translate(err, "encode index")
	}
	_, err = s.t.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeMerge})
	if err != nil {
		return translate(err, "copy password hash")
	}
	return nil
}

// absentUserID is a well-formed user ID that NewUserID never returns (the
// chance is 2^-128), read on an email miss to match a hit's two reads.
const absentUserID = "00000000000000000000000000000000"

// UserBySubject reads the subject index, then the user it names.
func (s *UserStore) UserBySubject(ctx context.Context, provider, subject string) (*priceline.User, error) {
	if provider == "" || subject == "" {
		return nil, priceline.UserNotFound.Err()
	}
	idx, _, err := s.readIndex(ctx, subjectIndexKey(provider, subject))
	if err != nil {
		return nil, err
	}
	if idx.Provider != provider || idx.Subject != subject {
		return nil, priceline.UserNotFound.Err()
	}
	u, err := s.UserByID(ctx, idx.UserID)
	if err != nil {
		return nil, err
	}
	if u.Provider != provider || u.Subject != subject {
		return nil, priceline.UserNotFound.Err()
	}
	return u, nil
}

// UpdatePasswordHash replaces the hash if it is still oldHash, with a merge
// conditional on the ETag of that read: it can never recreate a user deleted
// meanwhile, nor overwrite a password changed meanwhile (KindConflict).
func (s *UserStore) UpdatePasswordHash(ctx context.Context, userID, oldHash, hash string) error {
	if err := priceline.CheckText("password hash", hash); err != nil {
		return err
	}
	cur, etag, err := s.readUser(ctx, userID)
	if err != nil {
		return err
	}
	if cur.PasswordHash != oldHash {
		return priceline.PasswordChanged.Err()
	}
	if err := s.mergeUser(ctx, userID, etag, entity{"PasswordHash": hash}, "update password hash"); err != nil {
		return err
	}
	// Then the email index's copy. A crash or a race in between leaves a
	// stale copy, which logins detect and repair.
	cur.PasswordHash = hash
	_ = s.syncHint(ctx, cur)
	return nil
}

// RepairPasswordHint copies the user's current hash into its email index.
func (s *UserStore) RepairPasswordHint(ctx context.Context, userID string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.syncHint(ctx, u)
}

// syncHint writes u's hash into u's email index if the index names u and
// its copy differs, conditional on the index not changing meanwhile.
func (s *UserStore) syncHint(ctx context.Context, u *priceline.User) error {
	if u.Provider != priceline.ProviderLocal || u.Email == "" {
		return nil
	}
	pk := emailIndexKey(u.Email)
	idx, etag, err := s.readIndex(ctx, pk)
	if err != nil || idx.UserID != u.ID || idx.PasswordHash == u.PasswordHash {
		return err
	}
	return s.copyHash(ctx, pk, etag, u.PasswordHash)
}

// mergeUser merges fields into the user record if it still has etag: it
// never recreates a user deleted meanwhile (KindNotFound) and reports a
// concurrent change as KindConflict. The error names what was merged but
// not whose record: user IDs are partition keys, which error texts keep out
// of the logs (see redactKeys).
func (s *UserStore) mergeUser(ctx context.Context, userID string, etag azcore.ETag, fields entity, what string) error {
	fields["PartitionKey"], fields["RowKey"] = userID, userRowKey
	fields.setTime("UpdatedAt", s.c.now())
	version := string(etag)
	return mergeIf(ctx, s.t, userErrors, fields, what+" of a user", &version)
}

// UpdateProfile replaces the display name and email with a merge that is
// conditional on the ETag just read, like UpdatePasswordHash: it never
// recreates a deleted user, and a concurrent change is KindConflict. The
// lookup indexes are untouched: a cloud user is found by subject, and a
// local user's email (its index key) may not change here.
func (s *UserStore) UpdateProfile(ctx context.Context, userID, name, email string) error {
	if err := priceline.ValidProfile(name, email); err != nil {
		return err
	}
	u, etag, err := s.readUser(ctx, userID)
	if err != nil {
		return err
	}
	if u.Provider == priceline.ProviderLocal && email != u.Email {
		return priceline.EmailChangeNotSupported.Err()
	}
	return s.mergeUser(ctx, userID, etag, entity{"Name": name, "Email": email}, "update profile")
}
