package priceline

import "fmt"

// The refusals every implementation of a store returns, written once as one
// table so the in-memory stores and the Table Storage ones cannot drift
// apart in code or wording, and so a flow checks a code through the same
// value (UserExists.In(err)) that the store answered with
// (UserExists.Err()); the contract tests (pricelinetest) hold both stores to
// the codes. The values are exported variables, so nothing but review keeps
// a caller from assigning one; what Err guarantees is that each call makes a
// new *Error, so a caller that changes its error changes no other caller's
// error and not the value here.

// The refusals of the stores, by record. Kinds, codes and messages are part
// of the store contracts (the API shows them), so change none lightly.
var (
	// Users and their email and identity index.

	// UserNotFound is a user, or an index entry, that is not there.
	UserNotFound = Refusal{KindNotFound, "user_not_found", "No such user."}
	// UserExists is a new user whose ID is taken.
	UserExists = Refusal{KindConflict, "user_exists", "A user with that ID already exists."}
	// EmailTaken is a local account's address that another account has.
	EmailTaken = Refusal{KindConflict, "email_taken", "An account with that email address already exists."}
	// SubjectTaken is a cloud identity that another account has.
	SubjectTaken = Refusal{KindConflict, "subject_taken", "An account for that identity already exists."}
	// EmailChanged is a change keyed by an address the account no longer has.
	EmailChanged = Refusal{KindConflict, "email_changed", "The account's email address changed meanwhile."}
	// PasswordChanged is a password change that lost to another.
	PasswordChanged = Refusal{KindConflict, "password_changed", "The password was changed meanwhile."}
	// EmailChangeNotSupported is a profile edit that would move a local
	// account to another address, which only ChangeEmail may do.
	EmailChangeNotSupported = Refusal{KindInvalid, "email_change_not_supported",
		"The email address of an account with a password here is how you sign in, and cannot be changed this way."}

	// Sessions, account tokens and provider token caches.

	// SessionNotFound is a session that is not there.
	SessionNotFound = Refusal{KindNotFound, "session_not_found", "The session has ended. Please sign in again."}
	// SessionExists is a new session whose key is taken.
	SessionExists = Refusal{KindConflict, "session_exists", "The session already exists."}
	// SessionChanged is a session write that lost to another request's.
	SessionChanged = Refusal{KindConflict, "session_changed", "The session was changed by another request."}
	// TokenNotFound is an account token that is missing, used or not the
	// one presented.
	TokenNotFound = Refusal{KindNotFound, "token_not_found", "No such token."}
	// TokenCacheNotFound is a session without live provider tokens.
	TokenCacheNotFound = Refusal{KindNotFound, "token_cache_not_found", "No provider tokens are kept for this session."}

	// Sign-in flows and challenges (pending sign-ins, WebAuthn ceremonies).

	// AuthFlowNotFound is a sign-in flow that is missing or used.
	AuthFlowNotFound = Refusal{KindNotFound, "auth_flow_not_found",
		"This sign-in attempt was not started here or has already been used. Please start again."}
	// AuthFlowExpired is a sign-in flow taken after its expiry.
	AuthFlowExpired = Refusal{KindNotFound, "auth_flow_expired", "This sign-in attempt took too long. Please start again."}
	// AuthFlowExists is a new sign-in flow whose ID is taken.
	AuthFlowExists = Refusal{KindConflict, "auth_flow_exists", "This sign-in attempt already exists."}
	// ChallengeNotFound is a challenge that is missing or used.
	ChallengeNotFound = Refusal{KindNotFound, "challenge_not_found",
		"This sign-in step was not started here, has already been used or has expired. Please start again."}
	// ChallengeExpired is a challenge taken after its expiry.
	ChallengeExpired = Refusal{KindNotFound, "challenge_expired", "This sign-in step took too long. Please start again."}
	// ChallengeExists is a new challenge whose ID is taken.
	ChallengeExists = Refusal{KindConflict, "challenge_exists", "This challenge exists already."}

	// Second factors: authenticator apps, recovery codes, passkeys.

	// TOTPNotFound is a user without an authenticator app.
	TOTPNotFound = Refusal{KindNotFound, "totp_not_found", "No authenticator app is set up for this account."}
	// TOTPChanged is an enrolment write that lost to another request's.
	TOTPChanged = Refusal{KindConflict, "totp_changed", "The authenticator app was changed by another request."}
	// RecoveryCodeNotFound is a recovery code unknown or used.
	RecoveryCodeNotFound = Refusal{KindNotFound, "recovery_code_not_found",
		"That recovery code is not valid or was already used."}
	// PasskeyNotFound is a passkey the user does not have.
	PasskeyNotFound = Refusal{KindNotFound, "passkey_not_found", "There is no such passkey on your account."}
	// PasskeyExists is a credential ID registered already.
	PasskeyExists = Refusal{KindConflict, "passkey_exists", "This passkey is registered already."}
	// PasskeyChanged is a passkey write or delete that lost to another
	// request's.
	PasskeyChanged = Refusal{KindConflict, "passkey_changed", "The passkey was used by another request. Please try again."}

	// The mail outbox, and the mailers that refuse a message before sending.

	// OutboxNotFound is a queued message that is gone (sent or deleted).
	OutboxNotFound = Refusal{KindNotFound, "outbox_not_found", "The message is no longer queued."}
	// OutboxExists is a queued message whose ID is taken.
	OutboxExists = Refusal{KindConflict, "outbox_exists", "The message is already queued."}
	// OutboxChanged is a queued message's write that lost to another
	// sender's.
	OutboxChanged = Refusal{KindConflict, "outbox_changed", "The queued message was changed by another sender."}
	// MailTooLarge is a message whose text or subject is over what one
	// stored entry holds (MaxMailTextBytes); mailers and the outbox refuse
	// it before they take it (ValidMessage).
	MailTooLarge = Refusal{KindInvalid, "mail_too_large", "The message is too long."}
	// MailInvalid is a message without a recipient or a Message-ID, which
	// no mailer sends.
	MailInvalid = Refusal{KindInvalid, "mail_invalid", "A message needs a recipient and a Message-ID."}

	// Saved estimates.

	// SavedNotFound is a saved estimate the user does not have.
	SavedNotFound = Refusal{KindNotFound, "saved_not_found", "That saved estimate was not found."}
	// SavedLimit is a saved estimate over MaxSavedEstimates.
	SavedLimit = Refusal{KindConflict, "saved_limit",
		fmt.Sprintf("You can keep at most %d saved estimates. Delete one to save another.", MaxSavedEstimates)}
)

// NewerFileHeld is the error for an import of hospital name whose file,
// last updated on file, is older than the one the store holds (held).
func NewerFileHeld(name, held, file string) error {
	return Errorf(KindConflict, "older_file",
		"The store already has a newer file of %s (last updated %s; this file says %s).", name, held, file)
}

// NewerFileCommitted is the error for a commit that finds a newer file of
// hospital name (last updated on held) imported meanwhile.
func NewerFileCommitted(name, held string) error {
	return Errorf(KindConflict, "older_file",
		"A newer file of %s was imported meanwhile (last updated %s).", name, held)
}
