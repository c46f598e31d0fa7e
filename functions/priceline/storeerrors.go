package priceline

import "errors"

// The refusals every implementation of a store returns, written once so the
// in-memory stores and the Table Storage ones cannot drift apart in code or
// wording; the contract tests (pricelinetest) hold both to the codes. Each
// call makes a new *Error, so no caller can change another's. The refusals
// of challenges, passkeys, TOTP enrolments, recovery codes and sign-in flows
// sit beside their types (mfa.go, identity.go).

// WithCause returns err with cause kept as the cause of its *Error, for an
// adapter that answers with one of the refusals here and keeps what its
// backend said for the log; err is returned as is when cause is nil or err
// is no *Error.
func WithCause(err, cause error) error {
	var e *Error
	if cause == nil || !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Err = cause
	return &c
}

// UserNotFound is the error for a user, or an index entry, that is not there.
func UserNotFound() error { return Errorf(KindNotFound, "user_not_found", "No such user.") }

// UserExists is the error for a new user whose ID is taken.
func UserExists() error {
	return Errorf(KindConflict, "user_exists", "A user with that ID already exists.")
}

// EmailTaken is the error for a local account's address that another
// account has.
func EmailTaken() error {
	return Errorf(KindConflict, "email_taken", "An account with that email address already exists.")
}

// SubjectTaken is the error for a cloud identity that another account has.
func SubjectTaken() error {
	return Errorf(KindConflict, "subject_taken", "An account for that identity already exists.")
}

// EmailChanged is the error for a change keyed by an address the account
// no longer has.
func EmailChanged() error {
	return Errorf(KindConflict, "email_changed", "The account's email address changed meanwhile.")
}

// PasswordChanged is the error for a password change that lost to another.
func PasswordChanged() error {
	return Errorf(KindConflict, "password_changed", "The password was changed meanwhile.")
}

// EmailChangeNotSupported is the error for a profile edit that would move
// a local account to another address, which only ChangeEmail may do.
func EmailChangeNotSupported() error {
	return Errorf(KindInvalid, "email_change_not_supported",
		"The email address of an account with a password here is how you sign in, and cannot be changed this way.")
}

// SessionNotFound is the error for a session that is not there.
func SessionNotFound() error {
	return Errorf(KindNotFound, "session_not_found", "The session has ended. Please sign in again.")
}

// SessionExists is the error for a new session whose key is taken.
func SessionExists() error {
	return Errorf(KindConflict, "session_exists", "The session already exists.")
}

// SessionChanged is the error for a session write that lost to another
// request's.
func SessionChanged() error {
	return Errorf(KindConflict, "session_changed", "The session was changed by another request.")
}

// TokenNotFound is the error for an account token that is missing, used or
// not the one presented.
func TokenNotFound() error { return Errorf(KindNotFound, "token_not_found", "No such token.") }

// TokenCacheNotFound is the error for a session without live provider tokens.
func TokenCacheNotFound() error {
	return Errorf(KindNotFound, "token_cache_not_found", "No provider tokens are kept for this session.")
}

// AuthFlowExists is the error for a new sign-in flow whose ID is taken.
func AuthFlowExists() error {
	return Errorf(KindConflict, "auth_flow_exists", "This sign-in attempt already exists.")
}

// ChallengeExists is the error for a new challenge whose ID is taken.
func ChallengeExists() error {
	return Errorf(KindConflict, "challenge_exists", "This challenge exists already.")
}

// TOTPChanged is the error for an enrolment write that lost to another
// request's.
func TOTPChanged() error {
	return Errorf(KindConflict, "totp_changed", "The authenticator app was changed by another request.")
}

// PasskeyChanged is the error for a passkey write or delete that lost to
// another request's.
func PasskeyChanged() error {
	return Errorf(KindConflict, "passkey_changed", "The passkey was used by another request. Please try again.")
}

// OutboxExists is the error for a queued message whose ID is taken.
func OutboxExists() error {
	return Errorf(KindConflict, "outbox_exists", "The message is already queued.")
}

// OutboxNotFound is the error for a queued message that is gone (sent or
// deleted).
func OutboxNotFound() error {
	return Errorf(KindNotFound, "outbox_not_found", "The message is no longer queued.")
}

// OutboxChanged is the error for a queued message's write that lost to
// another sender's.
func OutboxChanged() error {
	return Errorf(KindConflict, "outbox_changed", "The queued message was changed by another sender.")
}

// SavedLimit is the error for a saved estimate over MaxSavedEstimates.
func SavedLimit() error {
	return Errorf(KindConflict, "saved_limit",
		"You can keep at most %d saved estimates. Delete one to save another.", MaxSavedEstimates)
}

// SavedNotFound is the error for a saved estimate the user does not have.
func SavedNotFound() error {
	return Errorf(KindNotFound, "saved_not_found", "That saved estimate was not found.")
}

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
