package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// Unauthenticated is the answer to every request whose cookie, if any,
// does not lead to a live session, whatever the reason, which is kept only
// as the cause (Unauthenticated.Wrap).
var Unauthenticated = priceline.Refusal{Kind: priceline.KindUnauthorized, Code: "unauthenticated", Message: "Please sign in."}

// StartSession creates a new session for u and signs its cookie. Login, B2C
// sign-in and password change all end here, so every authentication gets a
// fresh session ID (ASVS 5.0 V7.2.4).
func (s *Service) StartSession(ctx context.Context, u *priceline.User, method string, c Client) (*Result, error) {
	if u == nil || u.ID == "" {
		return nil, errors.New("start session: no user")
	}
	if !knownMethod(method) { // knownMethod: mfa.go
		return nil, fmt.Errorf("start session: unknown method %q", method)
	}
	cfg := s.config()
	now := s.now()
	id := priceline.NewSessionID()
	sess := &priceline.Session{
		Key:           priceline.SessionKey(id),
		UserID:        u.ID,
		Method:        method,
		CSRFToken:     priceline.NewToken(32),
		UserAgent:     c.UserAgent, // CreateSession cuts it (priceline.TruncateUserAgent): one limit for every store
		CreatedAt:     now,
		LastSeenAt:    now,
		IdleExpiresAt: now.Add(cfg.IdleTimeout),
		ExpiresAt:     now.Add(cfg.Lifetime),
	}
	if sess.IdleExpiresAt.After(sess.ExpiresAt) {
		sess.IdleExpiresAt = sess.ExpiresAt
	}
	// Sign first: if no signing key is loaded there is no point in writing
	// a record no cookie will ever name.
	cookie, err := s.Tokens.Sign(token.Claims{SessionID: id, UserID: u.ID, IssuedAt: now, ExpiresAt: sess.ExpiresAt})
	if err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	if err := s.Sessions.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	s.log().Info("session started", "user_id", u.ID, "session", keyPrefix(sess.Key), "method", method)
	return &Result{User: u, Session: sess, Cookie: cookie}, nil
}

// Authenticate returns the user and live session a cookie names, sliding the
// idle deadline forward. Any cookie that does not lead to a live session is
// KindUnauthorized "unauthenticated"; storage failures pass through
// unchanged so that the caller can answer 503 rather than sign the user out.
func (s *Service) Authenticate(ctx context.Context, cookie string) (*priceline.User, *priceline.Session, error) {
	claims, err := s.Tokens.Verify(cookie)
	if err != nil {
		if priceline.ErrorKind(err) == priceline.KindUnauthorized {
			return nil, nil, Unauthenticated.Wrap(err)
		}
		return nil, nil, err
	}
	key := priceline.SessionKey(claims.SessionID)
	cache := s.sessionCache()
	var epoch uint64
	if cache != nil {
		if u, sess, ok := cache.get(claims.UserID, key, s.now()); ok {
			return s.authenticateCached(ctx, cache, u, sess)
		}
		epoch = cache.begin()
	}
	readAt := s.now()
	// The store is partitioned by user, so a session ID presented with
	// another user's ID is simply not found there.
	sess, err := s.liveSession(ctx, claims.UserID, key)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.userByID(ctx, sess.UserID)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, nil, Unauthenticated.Wrap(errors.New("session user no longer exists"))
		}
		return nil, nil, fmt.Errorf("authenticate: load user: %w", err)
	}
	sess, err = s.touch(ctx, sess)
	if err != nil {
		return nil, nil, err
	}
	if cache != nil {
		cache.put(u, sess, readAt, epoch)
	}
	return u, sess, nil
}

// authenticateCached finishes Authenticate for a cache hit: the deadlines
// and the sliding refresh are applied to the cached record exactly as to a
// fresh one, so the cache never lets a session outlive its idle or absolute
// timeout; a touch that finds the record gone refuses the session at once.
func (s *Service) authenticateCached(ctx context.Context, cache *sessionCache, u *priceline.User, sess *priceline.Session) (*priceline.User, *priceline.Session, error) {
	if !sess.Live(s.now()) {
		cache.forget(sess.UserID, sess.Key)
		if err := s.Sessions.DeleteSession(ctx, sess.UserID, sess.Key); err != nil {
			s.log().Warn("delete expired session", "session", keyPrefix(sess.Key), "error", err)
		}
		return nil, nil, Unauthenticated.Wrap(errors.New("session expired"))
	}
	epoch := cache.begin()
	next, err := s.touch(ctx, sess)
	if err != nil {
		if priceline.ErrorKind(err) == priceline.KindUnauthorized {
			cache.forget(sess.UserID, sess.Key)
		}
		return nil, nil, err
	}
	if next != sess {
		cache.update(next, epoch)
	}
	return u, next, nil
}

// liveSession reads a session and checks it is live, deleting it if it has
// expired so that it is gone even before the timer function runs.
func (s *Service) liveSession(ctx context.Context, userID, key string) (*priceline.Session, error) {
	sess, err := s.Sessions.Session(ctx, userID, key)
	if err != nil {
		if priceline.IsNotFound(err) {
			return nil, Unauthenticated.Wrap(errors.New("no such session"))
		}
		return nil, fmt.Errorf("authenticate: read session: %w", err)
	}
	if sess.UserID != userID || sess.Key != key {
		// A store that ignored part of the key must not hand one user
		// another's session.
		return nil, Unauthenticated.Wrap(errors.New("session record does not match its key"))
	}
	if !sess.Live(s.now()) {
		if err := s.Sessions.DeleteSession(ctx, userID, key); err != nil {
			s.log().Warn("delete expired session", "session", keyPrefix(key), "error", err)
		}
		return nil, Unauthenticated.Wrap(errors.New("session expired"))
	}
	return sess, nil
}

// touch slides the idle deadline when the last write is at least
// TouchInterval old. A conflict means a parallel request of the same browser
// touched it first, which is success; the record is re-read so the caller
// sees the current version.
func (s *Service) touch(ctx context.Context, sess *priceline.Session) (*priceline.Session, error) {
	cfg := s.config()
	now := s.now()
	if now.Sub(sess.LastSeenAt) < cfg.TouchInterval {
		return sess, nil
	}
	next := *sess
	next.LastSeenAt = now
	next.IdleExpiresAt = now.Add(cfg.IdleTimeout)
	if next.IdleExpiresAt.After(next.ExpiresAt) {
		next.IdleExpiresAt = next.ExpiresAt
	}
	err := s.Sessions.TouchSession(ctx, &next)
	switch {
	case err == nil:
		return &next, nil
	case priceline.IsConflict(err):
		return s.liveSession(ctx, sess.UserID, sess.Key)
	case priceline.IsNotFound(err):
		return nil, Unauthenticated.Wrap(errors.New("session deleted while in use"))
	default:
		return nil, fmt.Errorf("authenticate: touch session: %w", err)
	}
}

// Logout deletes the session record, so its cookie is refused from the next
// request on.
func (s *Service) Logout(ctx context.Context, sess *priceline.Session) error {
	if sess == nil {
		return nil
	}
	if err := s.Sessions.DeleteSession(ctx, sess.UserID, sess.Key); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.forgetSession(sess.UserID, sess.Key)
	s.log().Info("session ended", "user_id", sess.UserID, "session", keyPrefix(sess.Key), "reason", "logout")
	return nil
}

// ListSessions returns the user's live sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, userID string) ([]*priceline.Session, error) {
	all, err := s.Sessions.UserSessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	now := s.now()
	live := make([]*priceline.Session, 0, len(all))
	for _, sess := range all {
		if sess.UserID == userID && sess.Live(now) {
			live = append(live, sess)
		}
	}
	slices.SortFunc(live, func(a, b *priceline.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return live, nil
}

// RevokeSession ends one of the user's sessions by its key. It fails with
// KindNotFound "session_not_found" when the user has no such session, which
// includes every key of another user's session.
func (s *Service) RevokeSession(ctx context.Context, userID, key string) error {
	notFound := priceline.Errorf(priceline.KindNotFound, "session_not_found", "That session does not exist or has already ended.")
	if !isSessionKey(key) {
		return notFound
	}
	if _, err := s.Sessions.Session(ctx, userID, key); err != nil {
		if priceline.IsNotFound(err) {
			return notFound
		}
		return fmt.Errorf("revoke session: %w", err)
	}
	if err := s.Sessions.DeleteSession(ctx, userID, key); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.forgetSession(userID, key)
	s.log().Info("session ended", "user_id", userID, "session", keyPrefix(key), "reason", "revoked")
	return nil
}

// RevokeOtherSessions ends every session of the user except currentKey and
// returns how many live ones it ended. Expired records are deleted too but
// not counted.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID, currentKey string) (int, error) {
	return s.deleteSessions(ctx, userID, currentKey, "revoked")
}

// deleteSessions deletes every session of userID except keep ("" keeps
// none) and returns how many live ones it deleted.
func (s *Service) deleteSessions(ctx context.Context, userID, keep, reason string) (int, error) {
	// Dropped from the cache after the store deletes, whether or not they
	// all succeed, so that no read racing them can cache a deleted record.
	defer s.forgetUserSessions(userID, keep)
	all, err := s.Sessions.UserSessions(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	now := s.now()
	n := 0
	for _, sess := range all {
		if sess.Key == keep {
			continue
		}
		if err := s.Sessions.DeleteSession(ctx, userID, sess.Key); err != nil {
			return n, fmt.Errorf("end sessions: %w", err)
		}
		if sess.Live(now) {
			n++
		}
	}
	s.log().Info("sessions ended", "user_id", userID, "count", n, "reason", reason)
	return n, nil
}

// CleanupExpired deletes every expired session record; the timer function
// calls it. Expired sessions are refused without it, so this only reclaims
// storage.
func (s *Service) CleanupExpired(ctx context.Context) (int, error) {
	n, err := s.sweep(ctx, "clean up expired sessions", s.Sessions.DeleteExpiredSessions)
	if err != nil {
		return n, err
	}
	s.log().Info("expired sessions deleted", "count", n)
	return n, nil
}

func isSessionKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	return strings.Trim(key, "0123456789abcdef") == ""
}
