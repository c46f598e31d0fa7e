package memstore

import (
	"context"
	"slices"
	"sort"
	"time"

	"hospitalpriceline/functions/priceline"
)

// MFA is an in-memory priceline.TOTPStore and priceline.RecoveryCodeStore,
// with ETag-like versions on enrolments.
type MFA struct {
	base
	totp  table[string, priceline.TOTPEnrolment]
	codes table[string, map[string]bool] // user → hash → unused
}

var (
	_ priceline.TOTPStore         = (*MFA)(nil)
	_ priceline.RecoveryCodeStore = (*MFA)(nil)
)

// NewMFA returns an empty store.
func NewMFA() *MFA { return &MFA{} }

func cloneTOTP(e priceline.TOTPEnrolment) *priceline.TOTPEnrolment {
	e.SealedSecret = slices.Clone(e.SealedSecret)
	return &e
}

// PutTOTP replaces the user's enrolment.
func (m *MFA) PutTOTP(_ context.Context, e *priceline.TOTPEnrolment) error {
	return m.write("PutTOTP", priceline.ValidTOTP(e), func() error {
		e.Version = m.nextVersion()
		rec := *cloneTOTP(*e)
		rec.CreatedAt = stored(e.CreatedAt)
		m.totp.put(e.UserID, rec)
		return nil
	})
}

// TOTP reads the user's enrolment.
func (m *MFA) TOTP(_ context.Context, userID string) (*priceline.TOTPEnrolment, error) {
	return answer(&m.base, "TOTP", func() (*priceline.TOTPEnrolment, error) {
		return m.totp.find(userID, priceline.TOTPNotFound.Err, cloneTOTP)
	})
}

// UpdateTOTP writes Confirmed and LastStep if the version still matches;
// nil is not found, as in Table Storage.
func (m *MFA) UpdateTOTP(_ context.Context, e *priceline.TOTPEnrolment) error {
	return m.run("UpdateTOTP", func() error {
		if e == nil {
			return priceline.TOTPNotFound.Err()
		}
		rec, err := m.totp.get(e.UserID, priceline.TOTPNotFound.Err)
		return m.ifMatch(err, &rec.Version, &e.Version, priceline.TOTPChanged.Err, func() {
			rec.Confirmed, rec.LastStep = e.Confirmed, e.LastStep
			m.totp[e.UserID] = rec
		})
	})
}

// DeleteTOTP removes the enrolment.
func (m *MFA) DeleteTOTP(_ context.Context, userID string) error {
	return m.do("DeleteTOTP", func() { delete(m.totp, userID) })
}

// ReplaceRecoveryCodes makes hashes the user's only codes.
func (m *MFA) ReplaceRecoveryCodes(_ context.Context, userID string, hashes []string, _ time.Time) error {
	return m.write("ReplaceRecoveryCodes", priceline.ValidRecoveryCodes(userID, hashes), func() error {
		set := map[string]bool{}
		for _, h := range hashes {
			set[h] = true
		}
		m.codes.put(userID, set)
		return nil
	})
}

// UseRecoveryCode deletes the code under the lock, so it works once.
func (m *MFA) UseRecoveryCode(_ context.Context, userID, hash string) error {
	return m.run("UseRecoveryCode", func() error {
		if !m.codes[userID][hash] {
			return priceline.RecoveryCodeNotFound.Err()
		}
		delete(m.codes[userID], hash)
		return nil
	})
}

// RecoveryCodesLeft counts the user's unused codes.
func (m *MFA) RecoveryCodesLeft(_ context.Context, userID string) (int, error) {
	return answer(&m.base, "RecoveryCodesLeft", func() (int, error) {
		return len(m.codes[userID]), nil
	})
}

// DeleteRecoveryCodes removes all the user's codes.
func (m *MFA) DeleteRecoveryCodes(_ context.Context, userID string) error {
	return m.do("DeleteRecoveryCodes", func() { delete(m.codes, userID) })
}

// Passkeys is an in-memory priceline.PasskeyStore with ETag-like versions.
type Passkeys struct {
	base
	byID table[string, priceline.Passkey]
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
func (m *Passkeys) AddPasskey(_ context.Context, p *priceline.Passkey) error {
	return m.write("AddPasskey", priceline.ValidPasskey(p), func() error {
		if _, ok := m.byID[p.ID]; ok {
			return priceline.PasskeyExists.Err()
		}
		p.Version = m.nextVersion()
		rec := *clonePasskey(*p)
		rec.CreatedAt, rec.LastUsedAt = stored(p.CreatedAt), stored(p.LastUsedAt)
		if p.LastUsedAt.IsZero() {
			rec.LastUsedAt = p.LastUsedAt
		}
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
		if p == nil {
			return priceline.PasskeyNotFound.Err() // as the real store answers
		}
		rec, err := m.owned(p.UserID, p.ID)
		return m.ifMatch(err, &rec.Version, &p.Version, priceline.PasskeyChanged.Err, func() {
			rec.SignCount, rec.BackupState, rec.LastUsedAt = p.SignCount, p.BackupState, stored(p.LastUsedAt)
			m.byID[p.ID] = rec
		})
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
