package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// DeviceCookieLifetime is how long a device cookie is trusted after the
// sign-in that issued it; every sign-in to a local account (password,
// password and second factor, passkey) issues a fresh one.
const DeviceCookieLifetime = 180 * 24 * time.Hour

// reserveLogin counts a login attempt before the password is checked.
//
// Device cookies (OWASP, "Slow down online guessing attacks with device
// cookies"): an attempt that brings a valid device cookie for this very
// account is counted on that device's own counter ("dev:" and the cookie's
// nonce), not on the account's or the address's, so an attacker who keeps
// the account locked for everyone else cannot lock out its owner on a
// browser the owner has signed in with before. The device counter has its
// own delays, and once it reaches its LockAt the cookie is no longer trusted
// until the failures are forgotten: the attempt then falls back to the
// account and address counters like any other, so a stolen device cookie
// buys an attacker at most Device.LockAt guesses a day.
func (s *Service) reserveLogin(ctx context.Context, account string, c Client) (*reservation, error) {
	cfg := s.config().Throttle
	now := s.now()
	if nonce := s.trustedDevice(c.Device, account); nonce != "" {
		dc := counter{name: "device", key: "dev:" + nonce, limit: cfg.Device, reset: true}
		a, err := s.reserveOne(ctx, dc, now)
		var th *throttled
		switch {
		case err == nil:
			return &reservation{s: s, held: []heldAttempt{{dc, a}}}, nil
		case errors.As(err, &th) && th.locked:
			s.log().Info("device cookie no longer trusted after too many failures", "failures", th.failures)
		case errors.As(err, &th):
			s.log().Info("attempt throttled", "counter", dc.name, "failures", th.failures, "locked", false, "retry_after", th.wait)
			return nil, errTooManyAttempts(th.wait)
		default:
			return nil, fmt.Errorf("login: count attempt: %w", err)
		}
	}
	r, err := s.reserve(ctx, s.guessCounters("account", account, c), now)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return r, nil
}

// trustedDevice returns the nonce of cookie when it is a valid device cookie
// for account, and "" otherwise: no cookie, a forged or expired one, or one
// another account's sign-in issued, which is ignored rather than refused.
func (s *Service) trustedDevice(cookie, account string) string {
	if cookie == "" || account == "" || s.Tokens == nil {
		return ""
	}
	nonce, ok := s.Tokens.VerifyDevice(cookie, account)
	if !ok {
		return ""
	}
	return nonce
}

// startLocalSession starts a session of method for u, a local account
// whose owner has just proved themselves, and gives the browser a fresh
// device cookie for the account. Every interactive sign-in to a local
// account ends here (a password alone, a password and a second factor, a
// passkey alone), so each leaves the browser recognised the same way: a
// passkey proves the owner at least as well as a password does. A cloud
// sign-in gets none: the account has no password here to guess or lock.
func (s *Service) startLocalSession(ctx context.Context, u *priceline.User, method string, c Client) (*Result, error) {
	res, err := s.StartSession(ctx, u, method, c)
	if err != nil {
		return nil, err
	}
	res.Device = s.issueDevice(accountKey(u.Email), u.ID)
	return res, nil
}

// issueDevice returns a fresh device cookie for account after a successful
// sign-in by userID, or "" if none can be signed (the sign-in still
// succeeds; the browser just is not known next time).
func (s *Service) issueDevice(account, userID string) string {
	if account == "" || s.Tokens == nil {
		return ""
	}
	cookie, _, err := s.Tokens.SignDevice(account, s.now().Add(DeviceCookieLifetime))
	if err != nil {
		s.log().Warn("sign-in: sign device cookie", "user_id", userID, "error", err)
		return ""
	}
	return cookie
}
