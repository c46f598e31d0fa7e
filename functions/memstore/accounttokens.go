package memstore

import (
	"context"
	"crypto/subtle"
	"time"

	"hospitalpriceline/functions/priceline"
)

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
