package memstore

import (
	"context"
	"crypto/subtle"
	"time"

	"hospitalpriceline/functions/priceline"
)

// AccountTokens is an in-memory priceline.AccountTokenStore: one token per
// (user, purpose), as in the real store.
type AccountTokens struct {
	// Fail, when set, is called with the method name before each call.
	Fail func(op string) error

	guarded // Calls, Succeeded and the lock
	tokens  map[[2]string]priceline.AccountToken
}

var _ priceline.AccountTokenStore = (*AccountTokens)(nil)

// NewAccountTokens returns an empty token store.
func NewAccountTokens() *AccountTokens { return &AccountTokens{} }

func tokenNotFound() error {
	return priceline.Errorf(priceline.KindNotFound, "token_not_found", "No such token.")
}

// PutAccountToken stores t, replacing the user's token of that purpose.
func (m *AccountTokens) PutAccountToken(_ context.Context, t *priceline.AccountToken) (err error) {
	defer m.call(m.Fail, "PutAccountToken", &err)()
	if err != nil {
		return err
	}
	if err := validateAccountToken(t); err != nil {
		return err
	}
	m.tokens = ensure(m.tokens)
	c := *t
	c.CreatedAt, c.ExpiresAt = stored(t.CreatedAt), stored(t.ExpiresAt)
	m.tokens[[2]string{t.UserID, t.Purpose}] = c
	return nil
}

// TakeAccountToken returns and deletes the token if its hash matches.
func (m *AccountTokens) TakeAccountToken(_ context.Context, userID, purpose, hash string) (_ *priceline.AccountToken, err error) {
	defer m.call(m.Fail, "TakeAccountToken", &err)()
	if err != nil {
		return nil, err
	}
	k := [2]string{userID, purpose}
	t, ok := m.tokens[k]
	if !ok || subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 {
		return nil, tokenNotFound()
	}
	delete(m.tokens, k)
	return &t, nil
}

// DeleteAccountTokens removes every token of the user.
func (m *AccountTokens) DeleteAccountTokens(_ context.Context, userID string) (err error) {
	defer m.call(m.Fail, "DeleteAccountTokens", &err)()
	if err != nil {
		return err
	}
	for k := range m.tokens {
		if k[0] == userID {
			delete(m.tokens, k)
		}
	}
	return nil
}

// DeleteExpiredAccountTokens removes every token that expired at or before
// now and returns how many.
func (m *AccountTokens) DeleteExpiredAccountTokens(_ context.Context, now time.Time) (int, error) {
	if err := hook(m.Fail, "DeleteExpiredAccountTokens"); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, t := range m.tokens {
		if t.Expired(now) {
			delete(m.tokens, k)
			n++
		}
	}
	return n, nil
}

// validateAccountToken refuses a token the real store could not key or keep.
func validateAccountToken(t *priceline.AccountToken) error {
	if t == nil || !validUserID(t.UserID) || priceline.TokenPurpose(t.Purpose) == "" || !validSessionKey(t.Hash) {
		return priceline.Errorf(priceline.KindInvalid, "invalid_token", "The token is malformed.")
	}
	return priceline.CheckText("email", t.Email)
}
