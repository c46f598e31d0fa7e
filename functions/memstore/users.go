package memstore

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Users is an in-memory priceline.UserStore. Like the real store it keeps an
// email index for local users, with a copy of the password hash
// (PasswordHint), and a subject index for cloud users.
type Users struct {
	// Now is the clock for CreatedAt and UpdatedAt; nil means time.Now.
	Now func() time.Time
	// Fail, when set, is called with the method name before each call.
	Fail func(op string) error

	guarded   // Calls, Succeeded and the lock
	byID      map[string]priceline.User
	byEmail   map[string]emailIndex
	bySubject map[subjectKey]string
}

type emailIndex struct {
	userID, hash string
}

type subjectKey struct{ provider, subject string }

var _ priceline.UserStore = (*Users)(nil)

// NewUsers returns an empty user store.
func NewUsers() *Users { return &Users{} }

func (m *Users) init() {
	if m.byID == nil {
		m.byID = map[string]priceline.User{}
		m.byEmail = map[string]emailIndex{}
		m.bySubject = map[subjectKey]string{}
	}
}

func userNotFound() error {
	return priceline.Errorf(priceline.KindNotFound, "user_not_found", "No such user.")
}

// CreateUser stores u and its index, or nothing.
func (m *Users) CreateUser(_ context.Context, u *priceline.User) (err error) {
	defer m.call(m.Fail, "CreateUser", &err)()
	if err != nil {
		return err
	}
	if err := priceline.ValidUser(u); err != nil {
		return err
	}
	m.init()
	if u.Provider == priceline.ProviderLocal {
		if _, ok := m.byEmail[u.Email]; ok {
			return priceline.Errorf(priceline.KindConflict, "email_taken", "An account with that email address already exists.")
		}
	} else if _, ok := m.bySubject[subjectKey{u.Provider, u.Subject}]; ok {
		return priceline.Errorf(priceline.KindConflict, "subject_taken", "An account for that identity already exists.")
	}
	if _, ok := m.byID[u.ID]; ok {
		return priceline.Errorf(priceline.KindConflict, "user_exists", "A user with that ID already exists.")
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
		m.byEmail[u.Email] = emailIndex{userID: u.ID, hash: u.PasswordHash}
	} else {
		m.bySubject[subjectKey{u.Provider, u.Subject}] = u.ID
	}
	m.byID[u.ID] = rec
	return nil
}

func (m *Users) get(id string) (*priceline.User, error) {
	u, ok := m.byID[id]
	if !ok || !validUserID(id) {
		return nil, userNotFound()
	}
	return &u, nil
}

// UserByID returns the user with id.
func (m *Users) UserByID(_ context.Context, id string) (_ *priceline.User, err error) {
	defer m.call(m.Fail, "UserByID", &err)()
	if err != nil {
		return nil, err
	}
	return m.get(id)
}

// UserByEmail finds a local user through the email index.
func (m *Users) UserByEmail(_ context.Context, email string) (_ *priceline.User, err error) {
	defer m.call(m.Fail, "UserByEmail", &err)()
	if err != nil {
		return nil, err
	}
	idx, ok := m.byEmail[email]
	if !ok || email == "" {
		return nil, userNotFound()
	}
	u, err := m.get(idx.userID)
	if err != nil {
		return nil, err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != email {
		return nil, userNotFound()
	}
	return u, nil
}

// PasswordHint reads the email index: the user's ID and its copy of the hash.
func (m *Users) PasswordHint(_ context.Context, email string) (_, _ string, err error) {
	defer m.call(m.Fail, "PasswordHint", &err)()
	if err != nil {
		return "", "", err
	}
	idx, ok := m.byEmail[email]
	if !ok || email == "" {
		return "", "", userNotFound()
	}
	return idx.userID, idx.hash, nil
}

// RepairPasswordHint copies the user's hash into the index that names it.
func (m *Users) RepairPasswordHint(_ context.Context, userID string) (err error) {
	defer m.call(m.Fail, "RepairPasswordHint", &err)()
	if err != nil {
		return err
	}
	u, err := m.get(userID)
	if err != nil {
		return err
	}
	m.syncHint(u)
	return nil
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
func (m *Users) UserBySubject(_ context.Context, provider, subject string) (_ *priceline.User, err error) {
	defer m.call(m.Fail, "UserBySubject", &err)()
	if err != nil {
		return nil, err
	}
	id, ok := m.bySubject[subjectKey{provider, subject}]
	if !ok || provider == "" || subject == "" {
		return nil, userNotFound()
	}
	u, err := m.get(id)
	if err != nil {
		return nil, err
	}
	if u.Provider != provider || u.Subject != subject {
		return nil, userNotFound()
	}
	return u, nil
}

// UpdatePasswordHash replaces the hash if it is still oldHash.
func (m *Users) UpdatePasswordHash(_ context.Context, userID, oldHash, newHash string) (err error) {
	defer m.call(m.Fail, "UpdatePasswordHash", &err)()
	if err != nil {
		return err
	}
	if err := priceline.CheckText("password hash", newHash); err != nil {
		return err
	}
	u, err := m.get(userID)
	if err != nil {
		return err
	}
	if u.PasswordHash != oldHash {
		return priceline.Errorf(priceline.KindConflict, "password_changed", "The password was changed meanwhile.")
	}
	u.PasswordHash, u.UpdatedAt = newHash, stored(clock(m.Now))
	m.byID[userID] = *u
	m.syncHint(u)
	return nil
}

// UpdateProfile replaces the display name and email.
func (m *Users) UpdateProfile(_ context.Context, userID, name, email string) (err error) {
	defer m.call(m.Fail, "UpdateProfile", &err)()
	if err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"name", name}, {"email", email}} {
		if err := priceline.CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	u, err := m.get(userID)
	if err != nil {
		return err
	}
	if u.Provider == priceline.ProviderLocal && email != u.Email {
		return priceline.Errorf(priceline.KindInvalid, "email_change_not_supported",
			"The email address of an account with a password here is how you sign in, and cannot be changed this way.")
	}
	u.Name, u.Email, u.UpdatedAt = name, email, stored(clock(m.Now))
	m.byID[userID] = *u
	return nil
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

func emailChanged() error {
	return priceline.Errorf(priceline.KindConflict, "email_changed", "The account's email address changed meanwhile.")
}

// MarkEmailVerified sets EmailVerified when the user's email is still email.
func (m *Users) MarkEmailVerified(_ context.Context, userID, email string) (err error) {
	defer m.call(m.Fail, "MarkEmailVerified", &err)()
	if err != nil {
		return err
	}
	u, err := m.get(userID)
	if err != nil {
		return err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != email {
		return emailChanged()
	}
	u.EmailVerified, u.UpdatedAt = true, stored(clock(m.Now))
	m.byID[userID] = *u
	return nil
}

// ChangeEmail moves a local user and its index to newEmail, verified.
func (m *Users) ChangeEmail(_ context.Context, userID, oldEmail, newEmail string) (err error) {
	defer m.call(m.Fail, "ChangeEmail", &err)()
	if err != nil {
		return err
	}
	if err := priceline.CheckText("email", newEmail); err != nil {
		return err
	}
	if newEmail == "" {
		return priceline.Errorf(priceline.KindInvalid, "invalid_email", "A local account needs an email address.")
	}
	m.init()
	u, err := m.get(userID)
	if err != nil {
		return err
	}
	if u.Provider != priceline.ProviderLocal || u.Email != oldEmail {
		return emailChanged()
	}
	if idx, ok := m.byEmail[newEmail]; ok && idx.userID != userID {
		return priceline.Errorf(priceline.KindConflict, "email_taken", "An account with that email address already exists.")
	}
	m.byEmail[newEmail] = emailIndex{userID: userID, hash: u.PasswordHash}
	if idx, ok := m.byEmail[oldEmail]; ok && idx.userID == userID && oldEmail != newEmail {
		delete(m.byEmail, oldEmail)
	}
	u.Email, u.EmailVerified, u.UpdatedAt = newEmail, true, stored(clock(m.Now))
	m.byID[userID] = *u
	return nil
}

// DeleteUser removes the user and the index that names it.
func (m *Users) DeleteUser(_ context.Context, userID string) (err error) {
	defer m.call(m.Fail, "DeleteUser", &err)()
	if err != nil {
		return err
	}
	m.init()
	u, ok := m.byID[userID]
	if !ok {
		return nil
	}
	delete(m.byID, userID)
	if idx, ok := m.byEmail[u.Email]; ok && idx.userID == userID {
		delete(m.byEmail, u.Email)
	}
	k := subjectKey{u.Provider, u.Subject}
	if id, ok := m.bySubject[k]; ok && id == userID {
		delete(m.bySubject, k)
	}
	return nil
}
