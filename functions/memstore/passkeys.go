package memstore

import (
	"context"
	"slices"
	"sort"

	"hospitalpriceline/functions/priceline"
)

// Passkeys is an in-memory priceline.PasskeyStore with ETag-like versions.
type Passkeys struct {
	// Fail, when set, is called with the method name before each call.
	Fail func(op string) error

	guarded // Calls, Succeeded and the lock
	byID    map[string]priceline.Passkey
}

var _ priceline.PasskeyStore = (*Passkeys)(nil)

// NewPasskeys returns an empty store.
func NewPasskeys() *Passkeys { return &Passkeys{} }

func clonePasskey(p priceline.Passkey) *priceline.Passkey {
	p.PublicKey = slices.Clone(p.PublicKey)
	p.AAGUID = slices.Clone(p.AAGUID)
	p.Transports = slices.Clone(p.Transports)
	return &p
}

// AddPasskey stores p; a credential ID registered to anyone is a conflict.
func (m *Passkeys) AddPasskey(_ context.Context, p *priceline.Passkey) (err error) {
	defer m.call(m.Fail, "AddPasskey", &err)()
	if err != nil {
		return err
	}
	if err := priceline.ValidPasskey(p); err != nil {
		return err
	}
	if err := priceline.CheckText("passkey name", p.Name); err != nil {
		return err
	}
	m.byID = ensure(m.byID)
	if _, ok := m.byID[p.ID]; ok {
		return priceline.PasskeyExists()
	}
	rec := *clonePasskey(*p)
	rec.CreatedAt, rec.LastUsedAt = stored(p.CreatedAt), stored(p.LastUsedAt)
	if p.LastUsedAt.IsZero() {
		rec.LastUsedAt = p.LastUsedAt
	}
	rec.Version = m.nextVersion()
	m.byID[p.ID] = rec
	p.Version = rec.Version
	return nil
}

// PasskeyByID finds a passkey by credential ID.
func (m *Passkeys) PasskeyByID(_ context.Context, id string) (_ *priceline.Passkey, err error) {
	defer m.call(m.Fail, "PasskeyByID", &err)()
	if err != nil {
		return nil, err
	}
	p, ok := m.byID[id]
	if !ok {
		return nil, priceline.PasskeyNotFound()
	}
	return clonePasskey(p), nil
}

// UserPasskeys lists the user's passkeys, oldest first.
func (m *Passkeys) UserPasskeys(_ context.Context, userID string) (_ []*priceline.Passkey, err error) {
	defer m.call(m.Fail, "UserPasskeys", &err)()
	if err != nil {
		return nil, err
	}
	var out []*priceline.Passkey
	for _, p := range m.byID {
		if p.UserID == userID {
			out = append(out, clonePasskey(p))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// UpdatePasskeyUse writes the use fields if the version still matches.
func (m *Passkeys) UpdatePasskeyUse(_ context.Context, p *priceline.Passkey) (err error) {
	defer m.call(m.Fail, "UpdatePasskeyUse", &err)()
	if err != nil {
		return err
	}
	rec, ok := m.byID[p.ID]
	if !ok || rec.UserID != p.UserID {
		return priceline.PasskeyNotFound()
	}
	if rec.Version != p.Version {
		return priceline.Errorf(priceline.KindConflict, "passkey_changed", "The passkey was used by another request.")
	}
	rec.SignCount, rec.BackupState, rec.LastUsedAt = p.SignCount, p.BackupState, stored(p.LastUsedAt)
	rec.Version = m.nextVersion()
	m.byID[p.ID] = rec
	p.Version = rec.Version
	return nil
}

// DeletePasskey removes the user's passkey.
func (m *Passkeys) DeletePasskey(_ context.Context, userID, id string) (err error) {
	defer m.call(m.Fail, "DeletePasskey", &err)()
	if err != nil {
		return err
	}
	p, ok := m.byID[id]
	if !ok || p.UserID != userID {
		return priceline.PasskeyNotFound()
	}
	delete(m.byID, id)
	return nil
}

// DeleteUserPasskeys removes all the user's passkeys.
func (m *Passkeys) DeleteUserPasskeys(_ context.Context, userID string) (err error) {
	defer m.count("DeleteUserPasskeys", &err)
	if err := hook(m.Fail, "DeleteUserPasskeys"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, p := range m.byID {
		if p.UserID == userID {
			delete(m.byID, id)
		}
	}
	return nil
}
