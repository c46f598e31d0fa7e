package memstore

import (
	"context"
	"slices"
	"time"

	"hospitalpriceline/functions/priceline"
)

func cloneTOTP(e priceline.TOTPEnrolment) *priceline.TOTPEnrolment {
	e.SealedSecret = slices.Clone(e.SealedSecret)
	return &e
}

// PutTOTP replaces the user's enrolment.
func (m *MFA) PutTOTP(_ context.Context, e *priceline.TOTPEnrolment) error {
	return m.write("PutTOTP", priceline.ValidTOTP(e), func() error {
		rec := *cloneTOTP(*e)
		rec.CreatedAt = stored(e.CreatedAt)
		m.stamp(&rec.Version, &e.Version)
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

// UpdateTOTP writes Confirmed and LastStep if the version still matches.
func (m *MFA) UpdateTOTP(_ context.Context, e *priceline.TOTPEnrolment) error {
	return m.run("UpdateTOTP", func() error {
		rec, err := m.totp.get(e.UserID, priceline.TOTPNotFound.Err)
		if err != nil {
			return err
		}
		if err := m.swap(&rec.Version, &e.Version, priceline.TOTPChanged.Err); err != nil {
			return err
		}
		rec.Confirmed, rec.LastStep = e.Confirmed, e.LastStep
		m.totp[e.UserID] = rec
		return nil
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
