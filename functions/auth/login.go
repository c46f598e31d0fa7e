package auth

import (
	"context"
	"fmt"
	"sync"

	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
)

// errInvalidCredentials is the one answer to every failed login, whatever
// failed, so that it cannot tell an attacker which emails have accounts.
func errInvalidCredentials() error {
	return &priceline.Error{
		Kind:    priceline.KindUnauthorized,
		Code:    "invalid_credentials",
		Message: "Email or password is incorrect.",
	}
}

// Login checks an email and password and, if they match a local account,
// starts a new session and issues a device cookie for the account. See the
// package doc for the throttling rules: the attempt is counted before the
// password is checked, on the device cookie's counter when c.Device is a
// trusted device cookie for this account, else on the account's and the
// address's.
func (s *Service) Login(ctx context.Context, email, password string, c Client) (*Result, error) {
	email = priceline.NormalizeEmail(email)
	account := accountKey(email)

	// The account lookup runs alongside the reservation: they are
	// independent, and a login's latency is its chain of round trips.
	lookupCtx, cancelLookup := context.WithCancel(ctx)
	defer cancelLookup()
	found := make(chan userLookup, 1)
	go func() { found <- s.lookupUser(lookupCtx, email, account != "") }()

	counted, err := s.reserveLogin(ctx, account, c)
	if err != nil {
		s.noteThrottled(ctx, err, "sign_in", c, "")
		return nil, err
	}
	lookup := <-found
	u, needsRehash, err := s.checkCredentials(ctx, lookup, password)
	if err != nil {
		counted.cancel(ctx)
		return nil, err
	}
	if u == nil {
		// Counted when reserved.
		reason := "wrong_password"
		if lookup.userID == "" {
			reason = "unknown_account"
		}
		s.event(ctx, EventSignIn, OutcomeFailure, reason, c, lookup.userID)
		return nil, errInvalidCredentials()
	}
	if needsRehash {
		s.rehash(ctx, u, password)
	}
	var settled sync.WaitGroup
	settled.Go(func() { counted.succeeded(ctx) })
	// A session, or a pending sign-in when the account has a second factor
	// (mfa_login.go).
	res, err := s.passwordProved(ctx, u, c)
	settled.Wait()
	if err != nil {
		return nil, err
	}
	if res.Pending != nil {
		s.event(ctx, EventSignIn, OutcomeSuccess, "password_second_factor_required", c, u.ID)
		return res, nil
	}
	s.event(ctx, EventSignIn, OutcomeSuccess, "password", c, u.ID)
	return res, nil
}

// userLookup is the result of looking up a login's email.
type userLookup struct {
	email  string // normalised
	userID string // "" when there is no such local account
	hint   string // the email index's copy of the password hash; may be stale or ""
	err    error  // a failure of the system, not "not found"
}

// lookupUser reads the email index of a normalised email.
func (s *Service) lookupUser(ctx context.Context, email string, validEmail bool) userLookup {
	if !validEmail {
		return userLookup{}
	}
	id, hint, err := s.Users.PasswordHint(ctx, email)
	switch {
	case err == nil:
		return userLookup{email: email, userID: id, hint: hint}
	case priceline.IsNotFound(err):
		return userLookup{}
	default:
		return userLookup{err: fmt.Errorf("login: look up user: %w", err)}
	}
}

// absentUserID is a well-formed user ID that NewUserID never returns (the
// chance is 2^-128).
const absentUserID = "00000000000000000000000000000000"

// userRead is the result of reading the user record a lookup named.
type userRead struct {
	user *priceline.User
	err  error
}

// checkCredentials returns the user whose password matches, or nil after
// doing the same hashing work when there is none. Errors are only for
// failures of the system (storage down, hasher busy, corrupt hash).
//
// The hash check starts from the email index's copy of the hash while the
// user record is read, so a login costs the hash plus two round trips (the
// index, the new session) rather than three. The record decides: a match
// counts only if the record still has the hash that matched; otherwise (a
// password change the copy missed, or no copy) the password is checked
// against the record's hash.
func (s *Service) checkCredentials(ctx context.Context, found userLookup, password string) (*priceline.User, bool, error) {
	if found.err != nil {
		return nil, false, found.err
	}
	if found.userID == "" {
		// Read a user that never exists alongside the dummy check, so that
		// an unknown email costs the same reads and time as a known one.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = s.Users.UserByID(ctx, absentUserID)
		}()
		err := s.dummyVerify(ctx, password)
		<-done
		return nil, false, err
	}
	read := make(chan userRead, 1)
	go func() {
		u, err := s.Users.UserByID(ctx, found.userID)
		read <- userRead{u, err}
	}()
	var v verdict
	if found.hint != "" {
		v = s.verify(ctx, password, found.userID, found.hint)
	}
	r := <-read
	if r.err != nil && !priceline.IsNotFound(r.err) {
		return nil, false, fmt.Errorf("login: read user: %w", r.err)
	}
	u := r.user
	if u == nil || u.Provider != priceline.ProviderLocal || u.Email != found.email || u.PasswordHash == "" {
		// A half-written registration or a mismatched index: no account.
		if found.hint == "" {
			return nil, false, s.dummyVerify(ctx, password)
		}
		return nil, false, nil
	}
	if found.hint != u.PasswordHash {
		v = s.verify(ctx, password, u.ID, u.PasswordHash)
		// Repair the copy, so that this account's next login costs one
		// check again (and takes the time every other login takes).
		if err := s.Users.RepairPasswordHint(ctx, u.ID); err != nil {
			s.log().Warn("login: repair the email index's copy of the password hash", "user_id", u.ID, "error", err)
		}
	}
	if v.err != nil || !v.ok {
		return nil, false, v.err
	}
	return u, v.needsRehash, nil
}

// verdict is the outcome of one password check.
type verdict struct {
	ok, needsRehash bool
	err             error
}

// verify checks the password given against encoded, the hash of user userID.
func (s *Service) verify(ctx context.Context, given, userID, encoded string) verdict {
	ok, needsRehash, err := s.hasher().Verify(ctx, given, encoded)
	if err != nil {
		// An unusable password (too long, not UTF-8) cannot be anyone's
		// password, so it is a wrong password, not a different answer.
		if priceline.ErrorKind(err) == priceline.KindInvalid {
			return verdict{}
		}
		if password.BadHash.In(err) {
			s.log().Error("login: stored password hash is unusable", "user_id", userID)
		}
		return verdict{err: fmt.Errorf("login: verify password: %w", err)}
	}
	return verdict{ok: ok, needsRehash: needsRehash}
}

// dummyVerify spends a password check's time when there is no hash to check.
func (s *Service) dummyVerify(ctx context.Context, password string) error {
	err := s.hasher().VerifyDummy(ctx, password)
	if err != nil && priceline.ErrorKind(err) != priceline.KindInvalid {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}

// rehash stores a hash made with the current parameters while the password
// is at hand. Failure is logged, not returned: the old hash still works.
func (s *Service) rehash(ctx context.Context, u *priceline.User, password string) {
	h, err := s.hasher().Hash(ctx, password)
	if err != nil {
		s.log().Warn("login: rehash password", "user_id", u.ID, "error", err)
		return
	}
	if err := s.Users.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, h); err != nil {
		s.log().Warn("login: store rehashed password", "user_id", u.ID, "error", err)
		return
	}
	u.PasswordHash = h
}
