package pricelinetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// TestTokenCacheStore runs the TokenCacheStore contract against stores made
// by newStore, which must read the time from clock.
func TestTokenCacheStore(t *testing.T, newStore func(t *testing.T, clock *Clock) priceline.TokenCacheStore) {
	ctx := context.Background()

	t.Run("PutGetReplaceDelete", func(t *testing.T) {
		clock := newClock()
		s := newStore(t, clock)
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
		s := newStore(t, clock)
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
		s := newStore(t, clock)
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
		s := newStore(t, clock)
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
}
