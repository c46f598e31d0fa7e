package tablestorage

// store is what every store of this package is made of: the client (its
// clock, its settings, the other stores) and the one table the store keeps
// its entities in. Each store type embeds it and adds only methods.
type store struct {
	c *Client
	t table
}

// storeOf is a store of the named table, opened with its rule for a table
// that does not exist.
func (c *Client) storeOf(name string, missingIsOutage bool) store {
	return store{c: c, t: c.openTable(name, missingIsOutage)}
}

// What a missing table means to a store (see table.outage).
const (
	missingIsAbsence = false
	missingIsOutage  = true
)

// Which domain interface each store implements is checked where it is
// used: the contract tests (contract_test.go, outbox_test.go) run every
// store, as its priceline interface, through that interface's contract, and
// cmd/handler wires each into a field of its interface type, so a store
// that drifts does not build.

// The users, sessions and attempts tables are opened once with the client
// (Ping and the tests read them too); the other tables are opened by their
// store's constructor, each with its rule for a table that does not exist
// (see table.outage).

// Users returns the user store.
func (c *Client) Users() *UserStore { return &UserStore{store{c, c.users}} }

// AccountTokens returns the account-token store, which shares the users table.
func (c *Client) AccountTokens() *AccountTokenStore { return &AccountTokenStore{store{c, c.users}} }

// CloudEmails returns the store of cloud accounts' verified addresses, which
// shares the users table.
func (c *Client) CloudEmails() *CloudEmailStore { return &CloudEmailStore{store{c, c.users}} }

// Sessions returns the session store.
func (c *Client) Sessions() *SessionStore { return &SessionStore{store{c, c.sessions}} }

// Attempts returns the login-attempt store.
func (c *Client) Attempts() *AttemptStore { return &AttemptStore{store{c, c.attempts}} }

// AuthFlows returns the B2C sign-in flow store.
func (c *Client) AuthFlows() *AuthFlowStore {
	return &AuthFlowStore{c.storeOf(authFlowsTable, missingIsOutage)}
}

// TokenCaches returns the per-session token cache store.
func (c *Client) TokenCaches() *TokenCacheStore {
	return &TokenCacheStore{c.storeOf(tokenCachesTable, missingIsOutage)}
}

// Challenges returns the challenge store.
func (c *Client) Challenges() *ChallengeStore {
	return &ChallengeStore{c.storeOf(challengesTable, missingIsOutage)}
}

// Outbox returns the outbox store.
func (c *Client) Outbox() *OutboxStore { return &OutboxStore{c.storeOf(outboxTable, missingIsOutage)} }

// Passkeys returns the passkey store.
func (c *Client) Passkeys() *PasskeyStore {
	return &PasskeyStore{c.storeOf(passkeysTable, missingIsAbsence)}
}

// MFA returns the second-factor store.
func (c *Client) MFA() *MFAStore { return &MFAStore{c.storeOf(mfaTable, missingIsAbsence)} }
