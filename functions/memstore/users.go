package memstore

import (
	"context"
	"crypto/subtle"
	"sort"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Users is an in-memory priceline.UserStore. Like the real store it keeps an
// email index for local users, with a copy of the password hash
// (PasswordHint), and a subject index for cloud users.
type Users struct {
	// Now is the clock for CreatedAt and UpdatedAt; nil means time.Now.
	Now func() time.Time

	base
	byID      table[string, priceline.User]
	byEmail   table[string, emailIndex]
	bySubject table[subjectKey, string]
}

var _ priceline.UserStore = (*Users)(nil)

// NewUsers returns an empty user store.
func NewUsers() *Users { return &Users{} }

// emailIndex is the email index's entry: the user and a copy of its hash.
type emailIndex struct {
	userID, hash string
}

// subjectKey is a cloud user's identity: provider and subject.
type subjectKey struct{ provider, subject string }

// CreateUser stores u and its index, or nothing.
func (m *Users) CreateUser(_ context.Context, u *priceline.User) error {
	return m.write("CreateUser", priceline.ValidUser(u), func() error {
		if u.Provider == priceline.ProviderLocal {
			if _, ok := m.byEmail[u.Email]; ok {
				return priceline.EmailTaken.Err()
			}
		} else if _, ok := m.bySubject[subjectKey{u.Provider, u.Subject}]; ok {
			return priceline.SubjectTaken.Err()
		}
		if _, ok := m.byID[u.ID]; ok {
			return priceline.UserExists.Err()
		}
		now := stored(clock(m.Now))
		if u.CreatedAt.IsZero() {
			u.CreatedAt = now
		}
		if u.UpdatedAt.IsZero() {
			u.UpdatedAt = u.CreatedAt
		}
		rec := *u
		rec.CreatedAt, rec.UpdatedAt = stored(u.CreatedAt), stored(u.UpdatedAt)
		if u.Provider == priceline.ProviderLocal {
			m.byEmail.put(u.Email, emailIndex{userID: u.ID, hash: u.PasswordHash})
		} else {
			m.bySubject.put(subjectKey{u.Provider, u.Subject}, u.ID)
		}
		m.byID.put(u.ID, rec)
		return nil
	})
}

func (m *Users) get(id string) (*priceline.User, error) {
	u, ok := m.byID[id]
	if !ok || !validUserID(id) {
		return nil, priceline.UserNotFound.Err()
	}
	return &u, nil
}

// update reads the user with id, lets change check and edit it, and writes
// it back with UpdatedAt stamped: the read-modify-write every change to a
// user is, done under the lock as the real store's conditional update is.
func (m *Users) update(id string, change func(u *priceline.User) error) error {
	u, err := m.get(id)
	if err != nil {
		return err
	}
	if err := change(u); err != nil {
		return err
	}
	u.UpdatedAt = stored(clock(m.Now))
	m.byID[id] = *u
	return nil
}

// UserByID returns the user with id.
func (m *Users) UserByID(_ context.Context, id string) (*priceline.User, error) {
	return answer(&m.base, "UserByID", func() (*priceline.User, error) { return m.get(id) })
}

// indexed returns the user an index entry names, when the user still is
// what the index says (see matches): an index can outlive its user or be
// left naming one that changed, as in the real store.
func (m *Users) indexed(id string, ok bool, matches func(*priceline.User) bool) (*priceline.User, error) {
	if !ok {
		return nil, priceline.UserNotFound.Err()
	}
	u, err := m.get(id)
	if err != nil {
		return nil, err
	}
	if !matches(u) {
		return nil, priceline.UserNotFound.Err()
	}
	return u, nil
}

// UserByEmail finds a local user through the email index.
func (m *Users) UserByEmail(_ context.Context, email string) (*priceline.User, error) {
	return answer(&m.base, "UserByEmail", func() (*priceline.User, error) {
		idx, ok := m.byEmail[email]
		return m.indexed(idx.userID, ok && email != "", func(u *priceline.User) bool {
			return u.Provider == priceline.ProviderLocal && u.Email == email
		})
	})
}

// PasswordHint reads the email index: the user's ID and its copy of the hash.
func (m *Users) PasswordHint(_ context.Context, email string) (string, string, error) {
	idx, err := answer(&m.base, "PasswordHint", func() (emailIndex, error) {
		idx, ok := m.byEmail[email]
		if !ok || email == "" {
			return idx, priceline.UserNotFound.Err()
		}
		return idx, nil
	})
	if err != nil {
		return "", "", err
	}
	return idx.userID, idx.hash, nil
}

// RepairPasswordHint copies the user's hash into the index that names it.
func (m *Users) RepairPasswordHint(_ context.Context, userID string) error {
	return m.run("RepairPasswordHint", func() error {
		u, err := m.get(userID)
		if err != nil {
			return err
		}
		m.syncHint(u)
		return nil
	})
}

// syncHint writes u's hash into u's email index when the index names u.
func (m *Users) syncHint(u *priceline.User) {
	if u.Provider != priceline.ProviderLocal || u.Email == "" {
		return
	}
	if idx, ok := m.byEmail[u.Email]; ok && idx.userID == u.ID {
		m.byEmail[u.Email] = emailIndex{userID: u.ID, hash: u.PasswordHash}
	}
}

// UserBySubject finds a cloud user through the subject index.
func (m *Users) UserBySubject(_ context.Context, provider, subject string) (*priceline.User, error) {
	return answer(&m.base, "UserBySubject", func() (*priceline.User, error) {
		id, ok := m.bySubject[subjectKey{provider, subject}]
		return m.indexed(id, ok && provider != "" && subject != "", func(u *priceline.User) bool {
			return u.Provider == provider && u.Subject == subject
		})
	})
}

// UpdatePasswordHash replaces the hash if it is still oldHash.
func (m *Users) UpdatePasswordHash(_ context.Context, userID, oldHash, newHash string) error {
	return m.write("UpdatePasswordHash", priceline.CheckText("password hash", newHash), func() error {
		return m.update(userID, func(u *priceline.User) error {
			if u.PasswordHash != oldHash {
				return priceline.PasswordChanged.Err()
			}
			u.PasswordHash = newHash
			m.syncHint(u)
			return nil
		})
	})
}

// UpdateProfile replaces the display name and email.
func (m *Users) UpdateProfile(_ context.Context, userID, name, email string) error {
	return m.write("UpdateProfile", priceline.ValidProfile(name, email), func() error {
		return m.update(userID, func(u *priceline.User) error {
			if u.Provider == priceline.ProviderLocal && email != u.Email {
				return priceline.EmailChangeNotSupported.Err()
			}
			u.Name, u.Email = name, email
			return nil
		})
	})
}

// DropUserRecord removes a user record and leaves its index behind, as a
// registration that failed half-way does in the real store. For tests.
func (m *Users) DropUserRecord(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byID, id)
}

// SetPasswordHint overwrites the copy of the hash in email's index, as a
// lost or raced index write leaves it. For tests.
func (m *Users) SetPasswordHint(email, hash string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if idx, ok := m.byEmail[email]; ok {
		idx.hash = hash
		m.byEmail[email] = idx
	}
}

// localWithEmail refuses, as EmailChanged, a user that is no longer the
// local user with email: the condition of every change keyed by an address.
func localWithEmail(u *priceline.User, email string) error {
	if u.Provider != priceline.ProviderLocal || u.Email != email {
		return priceline.EmailChanged.Err()
	}
	return nil
}

// MarkEmailVerified sets EmailVerified when the user's email is still email.
func (m *Users) MarkEmailVerified(_ context.Context, userID, email string) error {
	return m.run("MarkEmailVerified", func() error {
		return m.update(userID, func(u *priceline.User) error {
			if err := localWithEmail(u, email); err != nil {
				return err
			}
			u.EmailVerified = true
			return nil
		})
	})
}

// ChangeEmail moves a local user and its index to newEmail, verified.
func (m *Users) ChangeEmail(_ context.Context, userID, oldEmail, newEmail string) error {
	return m.write("ChangeEmail", priceline.ValidNewEmail(newEmail), func() error {
		return m.update(userID, func(u *priceline.User) error {
			if err := localWithEmail(u, oldEmail); err != nil {
				return err
			}
			if idx, ok := m.byEmail[newEmail]; ok && idx.userID != userID {
				return priceline.EmailTaken.Err()
			}
			m.byEmail.put(newEmail, emailIndex{userID: userID, hash: u.PasswordHash})
			if idx, ok := m.byEmail[oldEmail]; ok && idx.userID == userID && oldEmail != newEmail {
				delete(m.byEmail, oldEmail)
			}
			u.Email, u.EmailVerified = newEmail, true
			return nil
		})
	})
}

// DeleteUser removes the user and the index that names it.
func (m *Users) DeleteUser(_ context.Context, userID string) error {
	return m.do("DeleteUser", func() {
		u, ok := m.byID[userID]
		if !ok {
			return
		}
		delete(m.byID, userID)
		if idx, ok := m.byEmail[u.Email]; ok && idx.userID == userID {
			delete(m.byEmail, u.Email)
		}
		k := subjectKey{u.Provider, u.Subject}
		if id, ok := m.bySubject[k]; ok && id == userID {
			delete(m.bySubject, k)
		}
	})
}

// AccountTokens is an in-memory priceline.AccountTokenStore: one token per
// (user, purpose), as in the real store.
type AccountTokens struct {
	base
	tokens table[[2]string, priceline.AccountToken]
}

var _ priceline.AccountTokenStore = (*AccountTokens)(nil)

// NewAccountTokens returns an empty token store.
func NewAccountTokens() *AccountTokens { return &AccountTokens{} }

// PutAccountToken stores t, replacing the user's token of that purpose.
func (m *AccountTokens) PutAccountToken(_ context.Context, t *priceline.AccountToken) error {
	return m.write("PutAccountToken", priceline.ValidAccountToken(t), func() error {
		c := *t
		c.CreatedAt, c.ExpiresAt = stored(t.CreatedAt), stored(t.ExpiresAt)
		m.tokens.put([2]string{t.UserID, t.Purpose}, c)
		return nil
	})
}

// TakeAccountToken returns and deletes the token if its hash matches.
func (m *AccountTokens) TakeAccountToken(_ context.Context, userID, purpose, hash string) (*priceline.AccountToken, error) {
	return answer(&m.base, "TakeAccountToken", func() (*priceline.AccountToken, error) {
		k := [2]string{userID, purpose}
		t, ok := m.tokens[k]
		if !ok || subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 {
			return nil, priceline.TokenNotFound.Err()
		}
		delete(m.tokens, k)
		return &t, nil
	})
}

// DeleteAccountTokens removes every token of the user.
func (m *AccountTokens) DeleteAccountTokens(_ context.Context, userID string) error {
	return m.do("DeleteAccountTokens", func() {
		m.tokens.deleteWhere(func(k [2]string, _ *priceline.AccountToken) bool { return k[0] == userID })
	})
}

// DeleteExpiredAccountTokens removes every token that expired at or before
// now and returns how many.
func (m *AccountTokens) DeleteExpiredAccountTokens(_ context.Context, now time.Time) (int, error) {
	return answer(&m.base, "DeleteExpiredAccountTokens", func() (int, error) {
		return m.tokens.sweep(now, (*priceline.AccountToken).Expired), nil
	})
}

// CloudEmails is an in-memory priceline.CloudEmailStore: a set of user IDs
// per address, apart from the users' email index as in the real store.
type CloudEmails struct {
	base
	byEmail table[string, map[string]struct{}]
}

var _ priceline.CloudEmailStore = (*CloudEmails)(nil)

// NewCloudEmails returns an empty store.
func NewCloudEmails() *CloudEmails { return &CloudEmails{} }

// PutCloudEmail records userID under email.
func (m *CloudEmails) PutCloudEmail(_ context.Context, email, userID string) error {
	return m.write("PutCloudEmail", priceline.ValidCloudEmail(email, userID), func() error {
		ids := m.byEmail[email]
		if ids == nil {
			ids = map[string]struct{}{}
			m.byEmail.put(email, ids)
		}
		ids[userID] = struct{}{}
		return nil
	})
}

// DeleteCloudEmail forgets userID under email.
func (m *CloudEmails) DeleteCloudEmail(_ context.Context, email, userID string) error {
	return m.do("DeleteCloudEmail", func() {
		if ids := m.byEmail[email]; ids != nil {
			delete(ids, userID)
			if len(ids) == 0 {
				delete(m.byEmail, email)
			}
		}
	})
}

// CloudEmailAccounts lists the user IDs under email, sorted, at most
// priceline.MaxCloudEmailAccounts.
func (m *CloudEmails) CloudEmailAccounts(_ context.Context, email string) ([]string, error) {
	return answer(&m.base, "CloudEmailAccounts", func() ([]string, error) {
		out := []string{}
		for id := range m.byEmail[email] {
			out = append(out, id)
		}
		sort.Strings(out)
		return out[:min(len(out), priceline.MaxCloudEmailAccounts)], nil
	})
}
