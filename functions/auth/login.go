package auth

import (
	"context"
	"fmt"

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
// starts a new session. See the package doc for the throttling rules.
func (s *Service) Login(ctx context.Context, email, password string, c Client) (*Result, error) {
	email = priceline.NormalizeEmail(email)
	keys := throttleKeys{account: accountKey(email), ip: s.ipKey(c.IP)}

	unlock, err := s.locks.lock(ctx, keys.account)
	if err != nil {
		return nil, err
	}
	defer unlock()

	// The account lookup runs alongside the throttle check: they are
	// independent reads, and a login's latency is its chain of round trips.
	lookupCtx, cancelLookup := context.WithCancel(ctx)
	defer cancelLookup()
	found := make(chan userLookup, 1)
	go func() { found <- s.lookupUser(lookupCtx, email, keys.account != "") }()

	failures, err := s.checkThrottle(ctx, keys, s.now())
	if err != nil {
		return nil, err
	}
	u, needsRehash, err := s.checkCredentials(ctx, <-found, password)
	if err != nil {
		return nil, err
	}
	if u == nil {
		if err := s.recordFailure(ctx, keys, s.now()); err != nil {
			// Failing closed: an attempt we could not count must not look
			// like an ordinary wrong password that can be retried at once.
			return nil, fmt.Errorf("login: %w", err)
		}
		return nil, errInvalidCredentials()
	}
	if failures > 0 {
		if err := s.Attempts.ResetAttempts(ctx, keys.account); err != nil {
			// The user proved the password; a stale counter only means
			// they get fewer free failures next time.
			s.log().Warn("login: reset failure counter", "user_id", u.ID, "error", err)
		}
	}
	if needsRehash {
		s.rehash(ctx, u, password)
	}
	return s.StartSession(ctx, u, priceline.MethodPassword, c)
}

// userLookup is the result of looking up a login's account.
type userLookup struct {
	user *priceline.User // nil when there is no such local account
	err  error           // a failure of the system, not "not found"
}

// lookupUser finds the local account for a normalised email.
func (s *Service) lookupUser(ctx context.Context, email string, validEmail bool) userLookup {
	if !validEmail {
		return userLookup{}
	}
	u, err := s.Users.UserByEmail(ctx, email)
	switch {
	case err == nil:
		return userLookup{user: u}
	case priceline.IsNotFound(err):
		return userLookup{}
	default:
		return userLookup{err: fmt.Errorf("login: look up user: %w", err)}
	}
}

// checkCredentials returns the user whose password matches, or nil after
// doing the same hashing work when there is none. Errors are only for
// failures of the system (storage down, hasher busy, corrupt hash).
func (s *Service) checkCredentials(ctx context.Context, found userLookup, password string) (*priceline.User, bool, error) {
	if found.err != nil {
		return nil, false, found.err
	}
	u := found.user
	if u == nil || u.PasswordHash == "" {
		err := s.hasher().VerifyDummy(ctx, password)
		if err != nil && priceline.ErrorKind(err) != priceline.KindInvalid {
			return nil, false, fmt.Errorf("login: %w", err)
		}
		return nil, false, nil
	}
	ok, needsRehash, err := s.hasher().Verify(ctx, password, u.PasswordHash)
	if err != nil {
		// An unusable password (too long, not UTF-8) cannot be anyone's
		// password, so it is a wrong password, not a different answer.
		if priceline.ErrorKind(err) == priceline.KindInvalid {
			return nil, false, nil
		}
		if priceline.ErrorCode(err) == "bad_hash" {
			s.log().Error("login: stored password hash is unusable", "user_id", u.ID)
		}
		return nil, false, fmt.Errorf("login: verify password: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	return u, needsRehash, nil
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
