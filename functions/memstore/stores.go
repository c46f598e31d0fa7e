package memstore

import (
	"time"

	"hospitalpriceline/functions/priceline"
)

// The stores, one per store interface of priceline, and what each keeps:
// the records of the real store's tables, keyed as the real store keys
// them. Every store embeds base (its Fail hook, call counts and lock); its
// methods, in the file named after it, hold only its own rules. The zero
// value of each is ready to use; its constructor is for callers that read
// better with one. Prices, the price side's store, is declared in prices.go.
var (
	_ priceline.UserStore         = (*Users)(nil)
	_ priceline.SessionStore      = (*Sessions)(nil)
	_ priceline.AttemptStore      = (*Attempts)(nil)
	_ priceline.AccountTokenStore = (*AccountTokens)(nil)
	_ priceline.CloudEmailStore   = (*CloudEmails)(nil)
	_ priceline.AuthFlowStore     = (*AuthFlows)(nil)
	_ priceline.TokenCacheStore   = (*TokenCaches)(nil)
	_ priceline.TOTPStore         = (*MFA)(nil)
	_ priceline.RecoveryCodeStore = (*MFA)(nil)
	_ priceline.PasskeyStore      = (*Passkeys)(nil)
	_ priceline.ChallengeStore    = (*Challenges)(nil)
	_ priceline.SavedStore        = (*Saved)(nil)
	_ priceline.OutboxStore       = (*Outbox)(nil)
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

// NewUsers returns an empty user store.
func NewUsers() *Users { return &Users{} }

// emailIndex is the email index's entry: the user and a copy of its hash.
type emailIndex struct {
	userID, hash string
}

// subjectKey is a cloud user's identity: provider and subject.
type subjectKey struct{ provider, subject string }

// Sessions is an in-memory priceline.SessionStore with ETag-like versions:
// TouchSession fails with KindConflict on a stale version.
type Sessions struct {
	// BeforeTouch, when set, runs before TouchSession takes the lock, so a
	// test can change the record under a touch in progress.
	BeforeTouch func(s *priceline.Session)

	base
	rows table[string, table[string, priceline.Session]] // userID → key → record
}

// NewSessions returns an empty session store.
func NewSessions() *Sessions { return &Sessions{} }

// Attempts is an in-memory priceline.AttemptStore.
type Attempts struct {
	base
	rows table[string, priceline.Attempts]
}

// NewAttempts returns an empty attempt store.
func NewAttempts() *Attempts { return &Attempts{} }

// AccountTokens is an in-memory priceline.AccountTokenStore: one token per
// (user, purpose), as in the real store.
type AccountTokens struct {
	base
	tokens table[[2]string, priceline.AccountToken]
}

// NewAccountTokens returns an empty token store.
func NewAccountTokens() *AccountTokens { return &AccountTokens{} }

// CloudEmails is an in-memory priceline.CloudEmailStore: a set of user IDs
// per address, apart from the users' email index as in the real store.
type CloudEmails struct {
	base
	byEmail table[string, map[string]struct{}]
}

// NewCloudEmails returns an empty store.
func NewCloudEmails() *CloudEmails { return &CloudEmails{} }

// AuthFlows is an in-memory priceline.AuthFlowStore: a flow is taken at
// most once, and an expired one is deleted and refused.
type AuthFlows struct {
	// Now is the clock TakeFlow checks expiry against; nil means time.Now.
	Now func() time.Time

	base
	flows table[string, priceline.AuthFlow]
}

// NewAuthFlows returns an empty flow store.
func NewAuthFlows() *AuthFlows { return &AuthFlows{} }

// TokenCaches is an in-memory priceline.TokenCacheStore.
type TokenCaches struct {
	// Now is the clock expiries are checked against; nil means time.Now.
	Now func() time.Time
	// Sessions, when set, is what DeleteOrphanedTokenCaches checks entries
	// against; without it only an entry's own expiry ends it.
	Sessions priceline.SessionStore

	base
	entries table[tokenKey, tokenEntry]
}

// NewTokenCaches returns an empty token cache store.
func NewTokenCaches() *TokenCaches { return &TokenCaches{} }

// tokenKey is a token cache's key: the session it belongs to.
type tokenKey struct{ userID, sessionKey string }

// tokenEntry is a kept token cache and when it expires.
type tokenEntry struct {
	blob      []byte
	expiresAt time.Time
}

// MFA is an in-memory priceline.TOTPStore and priceline.RecoveryCodeStore,
// with ETag-like versions on enrolments.
type MFA struct {
	base
	totp  table[string, priceline.TOTPEnrolment]
	codes table[string, map[string]bool] // user → hash → unused
}

// NewMFA returns an empty store.
func NewMFA() *MFA { return &MFA{} }

// Passkeys is an in-memory priceline.PasskeyStore with ETag-like versions.
type Passkeys struct {
	base
	byID table[string, priceline.Passkey]
}

// NewPasskeys returns an empty store.
func NewPasskeys() *Passkeys { return &Passkeys{} }

// Challenges is an in-memory priceline.ChallengeStore: a challenge is taken
// at most once, and an expired one is deleted and refused.
type Challenges struct {
	// Now is the clock TakeChallenge checks expiry against; nil means time.Now.
	Now func() time.Time

	base
	byID table[string, priceline.Challenge]
}

// NewChallenges returns an empty store.
func NewChallenges() *Challenges { return &Challenges{} }

// Saved is an in-memory priceline.SavedStore.
type Saved struct {
	base
	byUser table[string, []priceline.SavedEstimate]
	plans  table[string, priceline.PlanBenefits]
}

// NewSaved returns an empty saved-estimate store.
func NewSaved() *Saved { return &Saved{} }

// Outbox is an in-memory priceline.OutboxStore with the real store's
// version checks, so two senders cannot both claim one entry.
type Outbox struct {
	base
	entries table[string, priceline.OutboxEntry]
}

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox { return &Outbox{} }
