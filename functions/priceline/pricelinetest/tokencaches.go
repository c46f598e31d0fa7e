package pricelinetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// TestTokenCacheStore runs the TokenCacheStore contract against stores made
// by newStore, which must read the time from clock. newStore also returns
// the session store whose records the store's DeleteOrphanedTokenCaches
// checks entries against.
func TestTokenCacheStore(t *testing.T, newStore func(t *testing.T, clock *Clock) (priceline.TokenCacheStore, priceline.SessionStore)) {
	ctx := context.Background()

	t.Run("PutGetReplaceDelete", func(t *testing.T) {
		clock := newClock()
		s, _ := newStore(t, clock)
		user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
		exp := clock.Now().Add(time.Hour)
		blob := []byte(`{"AccessToken":{}}` + "\x00\xff binary-safe")
		if err := s.PutTokenCache(ctx, user, key, blob, exp); err != nil {
			t.Fatalf("PutTokenCache: %v", err)
		}
		blob[0] = 'X' // the store keeps its own copy
		got, err := s.TokenCache(ctx, user, key)
		if err != nil || string(got) != `{"AccessToken":{}}`+"\x00\xff binary-safe" {
			t.Fatalf("TokenCache = %q, %v; want the stored blob", got, err)
		}
		if err := s.PutTokenCache(ctx, user, key, []byte("{}"), exp); err != nil {
			t.Fatalf("PutTokenCache again: %v", err)
		}
		if got, err := s.TokenCache(ctx, user, key); err != nil || string(got) != "{}" {
			t.Fatalf("after replace = %q, %v", got, err)
		}
		// Another session of the user, or the key under another user, is
		// another entry.
		_, err = s.TokenCache(ctx, user, priceline.SessionKey(priceline.NewSessionID()))
		wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
		_, err = s.TokenCache(ctx, priceline.NewUserID(), key)
		wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
		for i := range 2 {
			if err := s.DeleteTokenCache(ctx, user, key); err != nil {
				t.Fatalf("DeleteTokenCache #%d: %v", i+1, err)
			}
		}
		_, err = s.TokenCache(ctx, user, key)
		wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
	})

	t.Run("SizeLimit", func(t *testing.T) {
		clock := newClock()
		s, _ := newStore(t, clock)
		user := priceline.NewUserID()
		exp := clock.Now().Add(time.Hour)
		atLimit := bytes.Repeat([]byte{'a'}, priceline.MaxTokenCacheSize)
		key := priceline.SessionKey(priceline.NewSessionID())
		if err := s.PutTokenCache(ctx, user, key, atLimit, exp); err != nil {
			t.Fatalf("PutTokenCache at the limit: %v", err)
		}
		if got, err := s.TokenCache(ctx, user, key); err != nil || len(got) != len(atLimit) {
			t.Fatalf("TokenCache at the limit = %d bytes, %v", len(got), err)
		}
		other := priceline.SessionKey(priceline.NewSessionID())
		wantKind(t, s.PutTokenCache(ctx, user, other, append(atLimit, 'b'), exp), priceline.KindInvalid, "token_cache_too_large")
		_, err := s.TokenCache(ctx, user, other)
		wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
	})

	t.Run("BadInputRefused", func(t *testing.T) {
		clock := newClock()
		s, _ := newStore(t, clock)
		user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
		exp := clock.Now().Add(time.Hour)
		wantKind(t, s.PutTokenCache(ctx, user, key, nil, exp), priceline.KindInvalid, "invalid_token_cache")
		wantKind(t, s.PutTokenCache(ctx, user, key, []byte("{}"), clock.Now()), priceline.KindInvalid, "invalid_token_cache")
		for _, k := range []struct{ user, key string }{
			{"", key}, {user, ""}, {"' or 1 eq 1 or ''='", key}, {user, "../" + key[3:]},
			{user, "ABCDEF" + key[6:]}, {"ABCDEF0123456789ABCDEF0123456789", key},
		} {
			wantKind(t, s.PutTokenCache(ctx, k.user, k.key, []byte("{}"), exp), priceline.KindInvalid, "invalid_token_cache_key")
			_, err := s.TokenCache(ctx, k.user, k.key)
			wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
			if err := s.DeleteTokenCache(ctx, k.user, k.key); err != nil {
				t.Fatalf("DeleteTokenCache(%q, %q): %v", k.user, k.key, err)
			}
		}
		_, err := s.TokenCache(ctx, user, key)
		wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
	})

	t.Run("ExpiredIsNotFound", func(t *testing.T) {
		clock := newClock()
		s, _ := newStore(t, clock)
		user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
		if err := s.PutTokenCache(ctx, user, key, []byte("{}"), clock.Now().Add(time.Minute)); err != nil {
			t.Fatalf("PutTokenCache: %v", err)
		}
		clock.Advance(time.Minute - time.Millisecond)
		if _, err := s.TokenCache(ctx, user, key); err != nil {
			t.Fatalf("TokenCache just before expiry: %v", err)
		}
		clock.Advance(time.Millisecond)
		_, err := s.TokenCache(ctx, user, key)
		wantKind(t, err, priceline.KindNotFound, "token_cache_not_found")
	})
	// ASVS V10.1.1: a provider token outlives its session by at most one
	// timer period. The clean-up timer's sweep removes every entry whose own
	// expiry has come or whose session has ended in any way, and only those. The swept entries are all unexpired by the store's clock, so
	// finding them gone proves the sweep took them.
	t.Run("ASVS_V10_1_1_DeleteOrphanedTokenCaches", func(t *testing.T) {
		clock := newClock()
		s, sessions := newStore(t, clock)
		now := clock.Now()
		sweepAt := now.Add(time.Minute)
		if n, err := s.DeleteOrphanedTokenCaches(ctx, sweepAt); err != nil || n != 0 {
			t.Fatalf("sweep of an empty store = %d, %v; want 0", n, err)
		}
		ada, bob := priceline.NewUserID(), priceline.NewUserID()
		live := newSession(ada, now)
		shortCache := newSession(ada, now)
		idled := newSession(ada, now.Add(time.Minute-idle)) // idles out at sweepAt
		revoked := newSession(ada, now)
		bobs := newSession(bob, now)
		for _, sess := range []*priceline.Session{live, shortCache, idled, revoked, bobs} {
			mustCreateSession(t, sessions, sess)
		}
		if err := sessions.DeleteSession(ctx, revoked.UserID, revoked.Key); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		type entry struct{ user, key string }
		keep := []entry{{ada, live.Key}, {bob, bobs.Key}}
		swept := map[string]entry{
			"own expiry at the sweep": {ada, shortCache.Key},
			"idle-expired session":    {ada, idled.Key},
			"revoked session":         {ada, revoked.Key},
			"never a session":         {ada, priceline.SessionKey(priceline.NewSessionID())},
			"another user's session":  {bob, live.Key},
		}
		put := func(e entry, exp time.Time) {
			t.Helper()
			if err := s.PutTokenCache(ctx, e.user, e.key, []byte(`{"AccessToken":{}}`), exp); err != nil {
				t.Fatalf("PutTokenCache: %v", err)
			}
		}
		for _, e := range keep {
			put(e, now.Add(lifetime))
		}
		for name, e := range swept {
			exp := now.Add(lifetime)
			if name == "own expiry at the sweep" {
				exp = sweepAt
			}
			put(e, exp)
		}
		if n, err := s.DeleteOrphanedTokenCaches(ctx, sweepAt); err != nil || n != len(swept) {
			t.Fatalf("DeleteOrphanedTokenCaches = %d, %v; want %d", n, err, len(swept))
		}
		for name, e := range swept {
			if _, err := s.TokenCache(ctx, e.user, e.key); !priceline.IsNotFound(err) {
				t.Errorf("%s: TokenCache after the sweep = %v, want not found", name, err)
			}
		}
		for _, e := range keep {
			if _, err := s.TokenCache(ctx, e.user, e.key); err != nil {
				t.Errorf("a live session's tokens were swept: %v", err)
			}
		}
		if n, err := s.DeleteOrphanedTokenCaches(ctx, sweepAt); err != nil || n != 0 {
			t.Fatalf("second sweep = %d, %v; want 0", n, err)
		}
	})
}
