package tablestorage

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

func newLocalUser(email string) *priceline.User {
	return &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: email, PasswordHash: "$argon2id$h"}
}

// writeOrphanIndex simulates a registration that crashed after writing its
// index and before writing its user.
func writeOrphanIndex(t *testing.T, c *Client, pk string, fields entity, created time.Time) string {
	t.Helper()
	orphanID := priceline.NewUserID()
	e := entity{"PartitionKey": pk, "RowKey": indexRowKey, "UserID": orphanID}
	for k, v := range fields {
		e[k] = v
	}
	e.setTime("CreatedAt", created)
	body, _ := json.Marshal(e)
	if _, err := c.users.AddEntity(context.Background(), body, nil); err != nil {
		t.Fatalf("write orphan index: %v", err)
	}
	return orphanID
}

func TestHalfWrittenRegistrationRecovers(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	users := c.Users()
	email := "half' or PartitionKey ne '@example.com"
	now := time.Now()
	c.now = func() time.Time { return now }
	orphanID := writeOrphanIndex(t, c, emailIndexKey(email), entity{"Email": email}, now)

	// The orphan is invisible to lookups.
	if _, err := users.UserByEmail(ctx, email); !priceline.IsNotFound(err) {
		t.Fatalf("UserByEmail with orphan index: err = %v, want not found", err)
	}
	if _, err := users.UserByID(ctx, orphanID); !priceline.IsNotFound(err) {
		t.Fatalf("UserByID(orphan) err = %v", err)
	}
	// Inside the orphan window the email stays reserved: the first
	// registration may still be writing its user.
	early := newLocalUser(email)
	if err := users.CreateUser(ctx, early); priceline.ErrorCode(err) != "email_taken" {
		t.Fatalf("CreateUser inside orphan window: err = %v, want email_taken", err)
	}
	// After the window a new registration takes the index over.
	now = now.Add(c.orphanAfter + time.Second)
	late := newLocalUser(email)
	if err := users.CreateUser(ctx, late); err != nil {
		t.Fatalf("CreateUser after orphan window: %v", err)
	}
	got, err := users.UserByEmail(ctx, email)
	if err != nil || got.ID != late.ID {
		t.Fatalf("UserByEmail after takeover = %v, %v; want %s", got, err, late.ID)
	}
	// The takeover does not reopen the email to anyone else.
	if err := users.CreateUser(ctx, newLocalUser(email)); priceline.ErrorCode(err) != "email_taken" {
		t.Fatalf("CreateUser after takeover: err = %v, want email_taken", err)
	}
}

func TestHalfWrittenCloudRegistrationRecovers(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	c.orphanAfter = 0
	subject := "sub/\\#?\x00"
	writeOrphanIndex(t, c, subjectIndexKey(priceline.ProviderB2C, subject), entity{"Provider": priceline.ProviderB2C, "Subject": subject}, time.Now().Add(-time.Second))
	if _, err := c.Users().UserBySubject(ctx, priceline.ProviderB2C, subject); !priceline.IsNotFound(err) {
		t.Fatalf("UserBySubject with orphan index: err = %v", err)
	}
	u := &priceline.User{ID: priceline.NewUserID(), Provider: priceline.ProviderB2C, Subject: subject}
	if err := c.Users().CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser over orphan: %v", err)
	}
	if got, err := c.Users().UserBySubject(ctx, priceline.ProviderB2C, subject); err != nil || got.ID != u.ID {
		t.Fatalf("UserBySubject = %v, %v", got, err)
	}
}

func TestFailedUserWriteReleasesIndex(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	users := c.Users()
	first := newLocalUser("first@example.com")
	if err := users.CreateUser(ctx, first); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	// Same ID, new email: the index insert succeeds, the user insert fails.
	clash := newLocalUser("second@example.com")
	clash.ID = first.ID
	if err := users.CreateUser(ctx, clash); !priceline.IsConflict(err) {
		t.Fatalf("CreateUser with an existing ID: err = %v, want conflict", err)
	}
	// With the default one-minute window, only an immediate release of the
	// index lets the email register again now.
	again := newLocalUser("second@example.com")
	if err := users.CreateUser(ctx, again); err != nil {
		t.Fatalf("CreateUser after a failed registration: %v", err)
	}
	if got, err := users.UserByID(ctx, first.ID); err != nil || got.Email != "first@example.com" {
		t.Fatalf("first user changed: %v, %v", got, err)
	}
}

func TestInvalidTextRejectedBeforeWriting(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	for _, u := range []*priceline.User{
		newLocalUser("bad\xffutf8@example.com"),
		{ID: priceline.NewUserID(), Provider: priceline.ProviderLocal, Email: "long@example.com", Name: strings.Repeat("n", 40*1024)},
	} {
		if err := c.Users().CreateUser(ctx, u); priceline.ErrorKind(err) != priceline.KindInvalid {
			t.Errorf("CreateUser(%.30q): err = %v, want invalid", u.Email, err)
		}
		if _, err := c.Users().UserByEmail(ctx, u.Email); !priceline.IsNotFound(err) {
			t.Errorf("rejected user %.30q was written: %v", u.Email, err)
		}
	}
}

func TestASVS_V6_3_1_FailuresFromSeveralInstancesAllCounted(t *testing.T) {
	// Two clients stand in for two Functions instances sharing the table.
	a := newTestClient(t)
	b, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: strings.TrimSuffix(a.tableNames[0], usersTable)})
	if err != nil {
		t.Fatalf("second client: %v", err)
	}
	ctx := context.Background()
	key := "acct:target@example.com"
	var wg sync.WaitGroup
	for i := range 20 {
		store := a.Attempts()
		if i%2 == 1 {
			store = b.Attempts()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := store.Reserve(ctx, key, time.Now(), 0, nil); err != nil {
				t.Errorf("Reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := b.Attempts().Attempts(ctx, key)
	if err != nil || got.Failures != 20 {
		t.Fatalf("Attempts = %v, %v; want 20 failures", got, err)
	}
}

func TestAttemptKeyIsNotStoredInTheClear(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	key := "acct:private.person@example.com"
	if _, err := c.Attempts().Reserve(ctx, key, time.Now(), 0, nil); err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	pk, rk := attemptKeys(key)
	resp, err := c.attempts.GetEntity(ctx, pk, rk, nil)
	if err != nil {
		t.Fatalf("GetEntity: %v", err)
	}
	if strings.Contains(string(resp.Value), "private.person") {
		t.Errorf("attempt entity holds the raw key: %s", resp.Value)
	}
}

func TestTimesKeep100nsPrecision(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	created := time.Date(2026, 2, 3, 4, 5, 6, 123456789, time.FixedZone("X", -5*3600))
	s := &priceline.Session{
		Key: priceline.SessionKey("p"), UserID: priceline.NewUserID(), CreatedAt: created, LastSeenAt: created,
		IdleExpiresAt: created.Add(time.Minute), ExpiresAt: created.Add(time.Hour),
	}
	if err := c.Sessions().CreateSession(ctx, s); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	got, err := c.Sessions().Session(ctx, s.UserID, s.Key)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	want := created.UTC().Truncate(100 * time.Nanosecond)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want)
	}
}

func TestSweepDeletesMoreThanOneBatchPerPartition(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	sessions := c.Sessions()
	user := priceline.NewUserID()
	now := time.Now()
	const n = batchSize + 30
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s := &priceline.Session{
				Key: priceline.SessionKey(priceline.NewSessionID()), UserID: user,
				CreatedAt: now.Add(-time.Hour), LastSeenAt: now.Add(-time.Hour),
				IdleExpiresAt: now.Add(-time.Duration(i+1) * time.Second), ExpiresAt: now.Add(time.Hour),
			}
			if err := sessions.CreateSession(ctx, s); err != nil {
				t.Errorf("CreateSession: %v", err)
			}
		}()
	}
	wg.Wait()
	live := &priceline.Session{Key: priceline.SessionKey("live"), UserID: user, CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}
	if err := sessions.CreateSession(ctx, live); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	list, err := sessions.UserSessions(ctx, user)
	if err != nil || len(list) != n+1 {
		t.Fatalf("UserSessions = %d, %v; want %d", len(list), err, n+1)
	}
	got, err := sessions.DeleteExpiredSessions(ctx, now)
	if err != nil || got != n {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want %d", got, err, n)
	}
	rest, err := sessions.UserSessions(ctx, user)
	if err != nil || len(rest) != 1 || rest[0].Key != live.Key {
		t.Fatalf("after sweep %d sessions remain, %v", len(rest), err)
	}
}

func TestDeleteBatchToleratesConcurrentDeletes(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	user := priceline.NewUserID()
	now := time.Now()
	var keys []string
	for range 5 {
		s := &priceline.Session{Key: priceline.SessionKey(priceline.NewSessionID()), UserID: user, CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now, ExpiresAt: now}
		if err := c.Sessions().CreateSession(ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		keys = append(keys, s.Key)
	}
	if err := c.Sessions().DeleteSession(ctx, user, keys[2]); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	n, err := deleteKeys(ctx, c.Sessions().t.Client, user, keys, unitWeights(len(keys)), "expired session")
	if err != nil || n != 4 {
		t.Fatalf("deleteKeys of sessions with one key already gone = %d, %v; want 4", n, err)
	}
}

func TestEnsureTablesIdempotentAndPing(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatalf("second EnsureTables: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	missing, err := NewFromConnectionString(azurite.Shared(t).ConnectionString(), Options{TablePrefix: "never" + strings.TrimSuffix(c.tableNames[0], usersTable)})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := missing.Ping(ctx); priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Errorf("Ping without tables: err = %v, want unavailable", err)
	}
}

func TestStoppedAzuriteFailsFastAsUnavailable(t *testing.T) {
	t.Parallel() // it has its own emulator; overlap its start-up with other tests
	srv, err := azurite.Start(context.Background(), azurite.Options{})
	if err != nil {
		azurite.Unavailable(t, err)
	}
	c, err := NewFromConnectionString(srv.ConnectionString(), Options{TablePrefix: "down"})
	if err != nil {
		srv.Stop()
		t.Fatalf("client: %v", err)
	}
	if _, err := c.Users().UserByID(context.Background(), priceline.NewUserID()); priceline.ErrorKind(err) == priceline.KindUnavailable {
		srv.Stop()
		t.Fatalf("Azurite unreachable while running: %v", err)
	}
	srv.Stop()

	ctx := context.Background()
	uid := priceline.NewUserID()
	calls := map[string]func() error{
		"Ping":        func() error { return c.Ping(ctx) },
		"UserByID":    func() error { _, err := c.Users().UserByID(ctx, uid); return err },
		"UserByEmail": func() error { _, err := c.Users().UserByEmail(ctx, "a@example.com"); return err },
		"CreateUser":  func() error { return c.Users().CreateUser(ctx, newLocalUser("a@example.com")) },
		"Session":     func() error { _, err := c.Sessions().Session(ctx, uid, priceline.SessionKey("x")); return err },
		"TouchSession": func() error {
			return c.Sessions().TouchSession(ctx, &priceline.Session{UserID: uid, Key: priceline.SessionKey("x"), Version: "v"})
		},
		"Reserve": func() error { _, err := c.Attempts().Reserve(ctx, "ip:x", time.Now(), 0, nil); return err },
		"Sweep":   func() error { _, err := c.Sessions().DeleteExpiredSessions(ctx, time.Now()); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := call()
			took := time.Since(start)
			var pe *priceline.Error
			if !errors.As(err, &pe) || pe.Kind != priceline.KindUnavailable {
				t.Fatalf("err = %v, want unavailable", err)
			}
			if pe.Code != "storage_unavailable" || pe.RetryAfter != 2*time.Second {
				t.Errorf("code %q, retry after %v", pe.Code, pe.RetryAfter)
			}
			if strings.Contains(pe.Message, "127.0.0.1") || strings.Contains(pe.Message, "refused") {
				t.Errorf("message reveals internals: %q", pe.Message)
			}
			if took > 3*time.Second {
				t.Errorf("took %v to fail; want under 3s", took)
			}
		})
	}
}

func BenchmarkSessionPointRead(b *testing.B) {
	c := newTestClient(b)
	ctx := context.Background()
	now := time.Now()
	s := &priceline.Session{Key: priceline.SessionKey("bench"), UserID: priceline.NewUserID(), CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}
	if err := c.Sessions().CreateSession(ctx, s); err != nil {
		b.Fatalf("CreateSession: %v", err)
	}
	store := c.Sessions()
	b.ResetTimer()
	for b.Loop() {
		if _, err := store.Session(ctx, s.UserID, s.Key); err != nil {
			b.Fatal(err)
		}
	}
}
