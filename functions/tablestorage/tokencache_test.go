package tablestorage

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

// newTokenCacheStore is a token cache store on its own tables, with the
// table created the way the app creates it.
func newTokenCacheStore(t *testing.T) (*Client, *TokenCacheStore) {
	t.Helper()
	c := newTestClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 {
		if err := c.EnsureTables(ctx); err != nil {
			t.Fatalf("EnsureTables: %v", err)
		}
	}
	return c, c.TokenCaches()
}

func wantTokenCacheErr(t *testing.T, err error, kind, code string) {
	t.Helper()
	if priceline.ErrorKind(err) != kind || priceline.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s/%s", err, kind, code)
	}
}

func TestTokenCacheStoreRoundTripAndDelete(t *testing.T) {
	ctx := context.Background()
	c, s := newTokenCacheStore(t)
	now := time.Now().UTC()
	c.now = func() time.Time { return now }
	user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
	blob := []byte(`{"AccessToken":{"k":{"secret":"x"}}}` + "\x00\xff binary-safe")
	if err := s.PutTokenCache(ctx, user, key, blob, now.Add(time.Hour)); err != nil {
		t.Fatalf("PutTokenCache: %v", err)
	}
	got, err := s.TokenCache(ctx, user, key)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("TokenCache = %q, %v; want the stored blob", got, err)
	}
	// A second put replaces the first.
	if err := s.PutTokenCache(ctx, user, key, []byte("{}"), now.Add(time.Hour)); err != nil {
		t.Fatalf("PutTokenCache again: %v", err)
	}
	if got, err := s.TokenCache(ctx, user, key); err != nil || string(got) != "{}" {
		t.Fatalf("after replace = %q, %v", got, err)
	}
	// Another session of the same user, or the same key under another
	// user, is a different entry.
	_, err = s.TokenCache(ctx, user, priceline.SessionKey(priceline.NewSessionID()))
	wantTokenCacheErr(t, err, priceline.KindNotFound, "token_cache_not_found")
	_, err = s.TokenCache(ctx, priceline.NewUserID(), key)
	wantTokenCacheErr(t, err, priceline.KindNotFound, "token_cache_not_found")

	if err := s.DeleteTokenCache(ctx, user, key); err != nil {
		t.Fatalf("DeleteTokenCache: %v", err)
	}
	_, err = s.TokenCache(ctx, user, key)
	wantTokenCacheErr(t, err, priceline.KindNotFound, "token_cache_not_found")
	if err := s.DeleteTokenCache(ctx, user, key); err != nil {
		t.Fatalf("DeleteTokenCache of a missing entry: %v", err)
	}
}

// Table Storage keeps at most 64 KiB in a binary property; a larger cache
// is refused with a clear error and nothing is written, rather than failing
// as an opaque 400.
func TestTokenCacheStoreRefusesOversizeAndBadInput(t *testing.T) {
	ctx := context.Background()
	c, s := newTokenCacheStore(t)
	now := time.Now().UTC()
	c.now = func() time.Time { return now }
	user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
	exp := now.Add(time.Hour)

	atLimit := bytes.Repeat([]byte{'a'}, priceline.MaxTokenCacheSize)
	if err := s.PutTokenCache(ctx, user, key, atLimit, exp); err != nil {
		t.Fatalf("PutTokenCache at the limit: %v", err)
	}
	if got, err := s.TokenCache(ctx, user, key); err != nil || len(got) != len(atLimit) {
		t.Fatalf("TokenCache at the limit = %d bytes, %v", len(got), err)
	}
	other := priceline.SessionKey(priceline.NewSessionID())
	wantTokenCacheErr(t, s.PutTokenCache(ctx, user, other, append(atLimit, 'b'), exp), priceline.KindInvalid, "token_cache_too_large")
	_, err := s.TokenCache(ctx, user, other)
	wantTokenCacheErr(t, err, priceline.KindNotFound, "token_cache_not_found")

	wantTokenCacheErr(t, s.PutTokenCache(ctx, user, other, nil, exp), priceline.KindInvalid, "invalid_token_cache")
	wantTokenCacheErr(t, s.PutTokenCache(ctx, user, other, []byte("{}"), now), priceline.KindInvalid, "invalid_token_cache")
	for _, k := range []struct{ user, key string }{
		{"", key}, {user, ""}, {"' or 1 eq 1 or ''='", key}, {user, "../" + key[3:]},
		{user, "ABCDEF" + key[6:]}, {"ABCDEF0123456789ABCDEF0123456789", key},
	} {
		wantTokenCacheErr(t, s.PutTokenCache(ctx, k.user, k.key, []byte("{}"), exp), priceline.KindInvalid, "invalid_token_cache_key")
		_, err := s.TokenCache(ctx, k.user, k.key)
		wantTokenCacheErr(t, err, priceline.KindNotFound, "token_cache_not_found")
		if err := s.DeleteTokenCache(ctx, k.user, k.key); err != nil {
			t.Fatalf("DeleteTokenCache(%q, %q): %v", k.user, k.key, err)
		}
	}
}

// An entry is never read after its expiry, whether or not the sweep ran.
func TestTokenCacheStoreExpiredEntryNotReturned(t *testing.T) {
	ctx := context.Background()
	c, s := newTokenCacheStore(t)
	now := time.Now().UTC()
	c.now = func() time.Time { return now }
	user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
	if err := s.PutTokenCache(ctx, user, key, []byte("{}"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now.Add(time.Minute) }
	_, err := s.TokenCache(ctx, user, key)
	wantTokenCacheErr(t, err, priceline.KindNotFound, "token_cache_not_found")
}

// The sweep keeps the caches of live sessions and removes those whose
// session was deleted, has timed out, or that have expired themselves, so
// every way a session ends also ends its tokens, at the latest at the next
// clean-up run.
func TestTokenCacheSweepFollowsSessions(t *testing.T) {
	ctx := context.Background()
	c, s := newTokenCacheStore(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	c.now = func() time.Time { return now }
	sessions := c.Sessions()
	user := priceline.NewUserID()
	newSession := func(idle time.Duration) *priceline.Session {
		sess := &priceline.Session{
			Key: priceline.SessionKey(priceline.NewSessionID()), UserID: user, Method: priceline.MethodB2C,
			CSRFToken: priceline.NewToken(32), CreatedAt: now, LastSeenAt: now,
			IdleExpiresAt: now.Add(idle), ExpiresAt: now.Add(12 * time.Hour),
		}
		if err := sessions.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if err := s.PutTokenCache(ctx, user, sess.Key, []byte("{}"), sess.ExpiresAt); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	live := newSession(time.Hour)
	deleted := newSession(time.Hour)
	idle := newSession(time.Minute)
	if err := sessions.DeleteSession(ctx, user, deleted.Key); err != nil {
		t.Fatal(err)
	}
	noSession := priceline.SessionKey(priceline.NewSessionID())
	if err := s.PutTokenCache(ctx, user, noSession, []byte("{}"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	later := now.Add(2 * time.Minute)
	n, err := s.DeleteOrphanedTokenCaches(ctx, later)
	if err != nil || n != 3 {
		t.Fatalf("DeleteOrphanedTokenCaches = %d, %v; want 3", n, err)
	}
	if _, err := s.TokenCache(ctx, user, live.Key); err != nil {
		t.Fatalf("the live session's cache was swept: %v", err)
	}
	for name, key := range map[string]string{"deleted": deleted.Key, "idle": idle.Key, "no session": noSession} {
		if _, err := s.TokenCache(ctx, user, key); !priceline.IsNotFound(err) {
			t.Errorf("%s: cache survived the sweep: %v", name, err)
		}
	}
	// Past the entry's own expiry it goes even if the session were live.
	if n, err := s.DeleteOrphanedTokenCaches(ctx, now.Add(13*time.Hour)); err != nil || n != 1 {
		t.Fatalf("sweep after expiry = %d, %v; want 1", n, err)
	}
}

// Without EnsureTables the store reports an outage, not "no
// tokens", so a missing deployment step is visible.
func TestTokenCacheStoreMissingTableIsUnavailable(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("n%d%d", time.Now().UnixNano()%1_000_000, prefixSeq.Add(1))
	c, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	s := c.TokenCaches()
	user, key := priceline.NewUserID(), priceline.SessionKey(priceline.NewSessionID())
	err = s.PutTokenCache(ctx, user, key, []byte("{}"), time.Now().Add(time.Hour))
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("PutTokenCache without the table: %v, want unavailable", err)
	}
	if _, err := s.DeleteOrphanedTokenCaches(ctx, time.Now()); priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("sweep without the table: %v, want unavailable", err)
	}
}
