package memstore

import (
	"context"
	"slices"
	"sort"

	"hospitalpriceline/functions/priceline"
)

func clonePasskey(p priceline.Passkey) *priceline.Passkey {
	p.PublicKey = slices.Clone(p.PublicKey)
	p.AAGUID = slices.Clone(p.AAGUID)
	p.Transports = slices.Clone(p.Transports)
	return &p
}

// AddPasskey stores p; a credential ID registered to anyone is a conflict.
func (m *Passkeys) AddPasskey(_ context.Context, p *priceline.Passkey) error {
	return m.write("AddPasskey", priceline.ValidPasskey(p), func() error {
		if _, ok := m.byID[p.ID]; ok {
			return priceline.PasskeyExists.Err()
		}
		rec := *clonePasskey(*p)
		rec.CreatedAt, rec.LastUsedAt = stored(p.CreatedAt), stored(p.LastUsedAt)
		if p.LastUsedAt.IsZero() {
			rec.LastUsedAt = p.LastUsedAt
		}
		m.stamp(&rec.Version, &p.Version)
		m.byID.put(p.ID, rec)
		return nil
	})
}

// PasskeyByID finds a passkey by credential ID.
func (m *Passkeys) PasskeyByID(_ context.Context, id string) (*priceline.Passkey, error) {
	return answer(&m.base, "PasskeyByID", func() (*priceline.Passkey, error) {
		return m.byID.find(id, priceline.PasskeyNotFound.Err, clonePasskey)
	})
}

// UserPasskeys lists the user's passkeys, oldest first.
func (m *Passkeys) UserPasskeys(_ context.Context, userID string) ([]*priceline.Passkey, error) {
	return answer(&m.base, "UserPasskeys", func() ([]*priceline.Passkey, error) {
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
	})
}

// owned returns the passkey id when it is userID's; a passkey of another
// user is not found, as the real store keys passkeys under their user.
func (m *Passkeys) owned(userID, id string) (priceline.Passkey, error) {
	p, ok := m.byID[id]
	if !ok || p.UserID != userID {
		return p, priceline.PasskeyNotFound.Err()
	}
	return p, nil
}

// UpdatePasskeyUse writes the use fields if the version still matches.
func (m *Passkeys) UpdatePasskeyUse(_ context.Context, p *priceline.Passkey) error {
	return m.run("UpdatePasskeyUse", func() error {
		rec, err := m.owned(p.UserID, p.ID)
		if err != nil {
			return err
		}
		if err := m.swap(&rec.Version, &p.Version, priceline.PasskeyChanged.Err); err != nil {
			return err
		}
		rec.SignCount, rec.BackupState, rec.LastUsedAt = p.SignCount, p.BackupState, stored(p.LastUsedAt)
		m.byID[p.ID] = rec
		return nil
	})
}

// DeletePasskey removes the user's passkey.
func (m *Passkeys) DeletePasskey(_ context.Context, userID, id string) error {
	return m.run("DeletePasskey", func() error {
		if _, err := m.owned(userID, id); err != nil {
			return err
		}
		delete(m.byID, id)
		return nil
	})
}

// DeleteUserPasskeys removes all the user's passkeys.
func (m *Passkeys) DeleteUserPasskeys(_ context.Context, userID string) error {
	return m.do("DeleteUserPasskeys", func() {
		m.byID.deleteWhere(func(_ string, p *priceline.Passkey) bool { return p.UserID == userID })
	})
}
