package pricelinetest

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"hospitalpriceline/functions/priceline"
)

const (
	idle     = 30 * time.Minute
	lifetime = 12 * time.Hour
)

func newSession(userID string, created time.Time) *priceline.Session {
	return &priceline.Session{
		Key:           priceline.SessionKey(priceline.NewSessionID()),
		UserID:        userID,
		Method:        priceline.MethodPassword,
		CSRFToken:     priceline.NewToken(32),
		UserAgent:     "Mozilla/5.0 (test)",
		CreatedAt:     created,
		LastSeenAt:    created,
		IdleExpiresAt: created.Add(idle),
		ExpiresAt:     created.Add(lifetime),
	}
}

func mustCreateSession(t *testing.T, s priceline.SessionStore, sess *priceline.Session) {
	t.Helper()
	if err := s.CreateSession(context.Background(), sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if sess.Version == "" {
		t.Fatal("CreateSession did not set Version")
	}
}

var ignoreVersion = cmpopts.IgnoreFields(priceline.Session{}, "Version")

// TestSessionStore runs the SessionStore contract against stores made by
// newStore.
func TestSessionStore(t *testing.T, newStore func(t *testing.T) priceline.SessionStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		mustCreateSession(t, s, sess)
		got, err := s.Session(ctx, sess.UserID, sess.Key)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if diff := cmp.Diff(sess, got, ignoreVersion); diff != "" {
			t.Errorf("Session mismatch (-want, +got):\n%s", diff)
		}
		if got.Version == "" {
			t.Error("Session returned no Version")
		}
	})

	t.Run("DuplicateKeyIsConflict", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		mustCreateSession(t, s, sess)
		dup := *sess
		dup.CSRFToken = "other"
		wantKind(t, s.CreateSession(ctx, &dup), priceline.KindConflict, "")
		got, err := s.Session(ctx, sess.UserID, sess.Key)
		if err != nil || got.CSRFToken != sess.CSRFToken {
			t.Fatalf("original session overwritten: %v, %v", got, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		mustCreateSession(t, s, sess)
		for _, c := range []struct{ userID, key string }{
			{priceline.NewUserID(), sess.Key},            // right key, wrong user
			{sess.UserID, priceline.SessionKey("other")}, // right user, wrong key
			{sess.UserID, ""}, {"", sess.Key},            // empty
			{sess.UserID, "' or RowKey ne '"}, {"' or 1 eq 1 or ''='", "x"}, // filter injection
			{sess.UserID, "../" + sess.Key}, {sess.UserID, strings.ToUpper(sess.Key)},
		} {
			_, err := s.Session(ctx, c.userID, c.key)
			wantKind(t, err, priceline.KindNotFound, "")
		}
	})

	t.Run("TouchWithStaleVersionIsConflict", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		mustCreateSession(t, s, sess)
		a, err := s.Session(ctx, sess.UserID, sess.Key)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		b := *a
		oldVersion := a.Version
		a.LastSeenAt, a.IdleExpiresAt = ms(time.Minute), ms(time.Minute+idle)
		if err := s.TouchSession(ctx, a); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		if a.Version == "" || a.Version == oldVersion {
			t.Errorf("TouchSession left Version %q (was %q)", a.Version, oldVersion)
		}
		b.LastSeenAt, b.IdleExpiresAt = ms(2*time.Minute), ms(2*time.Minute+idle)
		wantKind(t, s.TouchSession(ctx, &b), priceline.KindConflict, "")
		got, err := s.Session(ctx, sess.UserID, sess.Key)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("after touch (-want, +got):\n%s", diff)
		}
		// The winner's new version works again.
		a.LastSeenAt = ms(3 * time.Minute)
		if err := s.TouchSession(ctx, a); err != nil {
			t.Fatalf("second TouchSession: %v", err)
		}
	})

	t.Run("TouchAfterDeleteIsNotFound", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		mustCreateSession(t, s, sess)
		if err := s.DeleteSession(ctx, sess.UserID, sess.Key); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		sess.LastSeenAt = ms(time.Minute)
		wantKind(t, s.TouchSession(ctx, sess), priceline.KindNotFound, "")
		_, err := s.Session(ctx, sess.UserID, sess.Key)
		wantKind(t, err, priceline.KindNotFound, "")
	})

	t.Run("DeleteIsIdempotent", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		mustCreateSession(t, s, sess)
		for i := range 2 {
			if err := s.DeleteSession(ctx, sess.UserID, sess.Key); err != nil {
				t.Fatalf("DeleteSession #%d: %v", i+1, err)
			}
		}
		if err := s.DeleteSession(ctx, priceline.NewUserID(), priceline.SessionKey("never")); err != nil {
			t.Fatalf("DeleteSession(never existed): %v", err)
		}
	})

	t.Run("UserSessionsListsOnlyThatUser", func(t *testing.T) {
		s := newStore(t)
		alice, bob := priceline.NewUserID(), priceline.NewUserID()
		var want []string
		for i := range 3 {
			sess := newSession(alice, ms(time.Duration(i)*time.Second))
			mustCreateSession(t, s, sess)
			want = append(want, sess.Key)
		}
		mustCreateSession(t, s, newSession(bob, ms(0)))
		got, err := s.UserSessions(ctx, alice)
		if err != nil {
			t.Fatalf("UserSessions: %v", err)
		}
		var keys []string
		for _, g := range got {
			if g.UserID != alice {
				t.Errorf("UserSessions(alice) returned a session of %s", g.UserID)
			}
			if g.Version == "" {
				t.Error("listed session has no Version")
			}
			keys = append(keys, g.Key)
		}
		sort.Strings(want)
		sort.Strings(keys)
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("UserSessions keys mismatch (-want, +got):\n%s", diff)
		}
		for _, id := range []string{priceline.NewUserID(), "", "' or PartitionKey ne '"} {
			none, err := s.UserSessions(ctx, id)
			if err != nil || len(none) != 0 {
				t.Errorf("UserSessions(%q) = %d sessions, %v; want none", id, len(none), err)
			}
		}
	})

	t.Run("DeleteExpiredDeletesOnlyExpired", func(t *testing.T) {
		s := newStore(t)
		now := ms(24 * time.Hour)
		user, other := priceline.NewUserID(), priceline.NewUserID()
		live := newSession(user, now.Add(-time.Hour))
		live.LastSeenAt, live.IdleExpiresAt = now.Add(-time.Minute), now.Add(idle-time.Minute)
		idleExpired := newSession(user, now.Add(-time.Hour)) // idle deadline 30 min ago
		absExpired := newSession(other, now.Add(-lifetime-time.Hour))
		absExpired.LastSeenAt, absExpired.IdleExpiresAt = now.Add(-time.Minute), now.Add(idle)
		atNow := newSession(other, now.Add(-idle)) // idle deadline exactly now
		liveOther := newSession(other, now)
		for _, sess := range []*priceline.Session{live, idleExpired, absExpired, atNow, liveOther} {
			mustCreateSession(t, s, sess)
		}
		n, err := s.DeleteExpiredSessions(ctx, now)
		if err != nil {
			t.Fatalf("DeleteExpiredSessions: %v", err)
		}
		if n != 3 {
			t.Errorf("DeleteExpiredSessions removed %d, want 3", n)
		}
		for _, sess := range []*priceline.Session{idleExpired, absExpired, atNow} {
			_, err := s.Session(ctx, sess.UserID, sess.Key)
			wantKind(t, err, priceline.KindNotFound, "")
		}
		for _, sess := range []*priceline.Session{live, liveOther} {
			if _, err := s.Session(ctx, sess.UserID, sess.Key); err != nil {
				t.Errorf("live session was removed: %v", err)
			}
		}
		if n, err := s.DeleteExpiredSessions(ctx, now); err != nil || n != 0 {
			t.Errorf("second sweep = %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("UserAgentTruncated", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(priceline.NewUserID(), ms(0))
		sess.UserAgent = strings.Repeat("ü", 5000)
		mustCreateSession(t, s, sess)
		got, err := s.Session(ctx, sess.UserID, sess.Key)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if n := utf8.RuneCountInString(got.UserAgent); n == 0 || n > 256 || !strings.HasPrefix(strings.Repeat("ü", 5000), got.UserAgent) {
			t.Errorf("stored user agent has %d characters; want a prefix of at most 256", n)
		}
	})
}
