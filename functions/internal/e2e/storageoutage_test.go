package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/handlerproc"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/tablestorage"
)

// outageDeadline is the longest any request may take while storage is
// down: the table client tries three times with short timeouts and waits,
// so a dead dependency must become a 503 well within it.
const outageDeadline = 5 * time.Second

// azuriteTableDB is the file in which Azurite's on-disk mode keeps its
// tables (its DEFAULT_TABLE_LOKI_DB_PATH): a LokiJS database that it writes
// whole every 5 s while there are changes, to a temporary file renamed over
// this one.
const azuriteTableDB = "__azurite_db_table__.json"

// saveWatch follows the completed snapshots of Azurite's table database by
// its file's modification time. A snapshot is taken only after the one
// before it has been written (LokiJS queues a save that comes while one is
// running), so a write acknowledged before one snapshot's file was written
// is in every later snapshot.
type saveWatch struct {
	path  string
	times []time.Time // distinct modification times seen, oldest first
}

// poll records the file's modification time if it is new. Polling often
// enough sees every snapshot (they are seconds apart); one missed makes
// durableBefore earlier, never later.
func (w *saveWatch) poll() {
	fi, err := os.Stat(w.path)
	if err != nil {
		return
	}
	if n := len(w.times); n == 0 || !fi.ModTime().Equal(w.times[n-1]) {
		w.times = append(w.times, fi.ModTime())
	}
}

// durableBefore is a time before which every acknowledged write is in the
// newest snapshot seen: when the snapshot before it was written. Zero until
// two have been seen.
func (w *saveWatch) durableBefore() time.Time {
	if len(w.times) < 2 {
		return time.Time{}
	}
	return w.times[len(w.times)-2]
}

// waitFor polls cond until it holds, failing the test when ctx ends first.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// outcome is one request made under load, with when it started relative to
// the outage.
type outcome struct {
	kind   string // "register", "save", "me", "health"
	phase  string // "before", "down", "after"
	reply  *reply
	err    error
	client int       // which client (and account) sent it
	email  string    // the registration's email, or the saved estimate's ID
	acked  time.Time // when the answer arrived
}

// TestStorageOutageFailsFastAndRecoversWithoutRestart runs mixed traffic
// (registrations, saved estimates, session-checked /api/me, health) against
// one handler process, stops Azurite in the middle, restarts it on the same
// port from its on-disk data, and checks that:
//   - during the outage every request is answered, within outageDeadline,
//     with 503 and Retry-After and a body that names no internals; nothing
//     is ever a 500;
//   - the same handler process serves again once storage is back, with no
//     restart;
//   - every registration and saved estimate acknowledged with 201 early
//     enough to be in the emulator's last completed snapshot (it keeps no
//     more; see saveWatch) is there, and no user record exists without its
//     email index (the index is written first, so an interrupted
//     registration can only leave an orphan index, which lookups ignore);
//   - the session made before the outage still works after it.
func TestStorageOutageFailsFastAndRecoversWithoutRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := handlerproc.FreePort(t)
	az, err := azurite.Start(context.Background(), azurite.Options{Port: port, DataDir: dir})
	if err != nil {
		azurite.Unavailable(t, err)
	}
	current := az
	t.Cleanup(func() { current.Stop() })

	mailDir := t.TempDir()
	in := startInstance(t, "instance", az.ConnectionString(), "PRICELINE_DEV_MAIL_DIR="+mailDir)
	c := newAPI(in.URL)
	c.client.Timeout = 2 * outageDeadline
	// One account per client, each with a session made before the outage.
	// Each client keeps its saved estimates under the per-user limit of 50:
	// at most savesBefore before the outage, so that some are left for
	// after it, and maxSaves in all.
	const clients, savesBefore, maxSaves = 4, 15, 40
	var owners []string
	var sessions []*session
	for range clients {
		owner := uniqueEmail(t, "outage-owner")
		c.register(t, owner, testPassword)
		// More than 3 saved estimates need a verified address.
		c.verifyByMail(t, mailDir, owner)
		owners = append(owners, owner)
		sessions = append(sessions, c.login(t, owner, testPassword))
	}

	var phaseMu sync.Mutex
	phase := "before"
	currentPhase := func() string {
		phaseMu.Lock()
		defer phaseMu.Unlock()
		return phase
	}
	setPhase := func(p string) {
		phaseMu.Lock()
		defer phaseMu.Unlock()
		phase = p
	}

	var mu sync.Mutex
	var results []outcome
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, saves := sessions[w], 0
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := outcome{phase: currentPhase()}
				kind := i % 4
				if kind == 3 && (saves >= maxSaves || (o.phase == "before" && saves >= savesBefore)) {
					kind = 1
				}
				switch kind {
				case 3:
					o.kind = "save"
					o.reply, o.err = c.do("POST", "/api/me/saved", map[string]string{"code": "70551", "codeType": "CPT", "label": fmt.Sprintf("outage %d-%d", w, i)}, s)
					if o.err == nil && o.reply.status == http.StatusCreated {
						var body struct {
							Saved struct{ ID string } `json:"saved"`
						}
						if err := json.Unmarshal(o.reply.body, &body); err != nil || body.Saved.ID == "" {
							o.err = fmt.Errorf("saved estimate reply without an id: %s", o.reply.body)
						}
						o.email = body.Saved.ID
						saves++
					}
				case 0:
					o.kind = "register"
					o.email = fmt.Sprintf("outage-%d-%d-%d@example.com", time.Now().UnixNano(), w, i)
					o.reply, o.err = c.do("POST", "/api/register", map[string]string{"email": o.email, "password": testPassword, "name": "Outage Tester"}, nil)
				case 1:
					o.kind = "me"
					o.reply, o.err = c.do("GET", "/api/me", nil, s)
				default:
					o.kind = "health"
					o.reply, o.err = c.do("GET", "/api/health", nil, nil)
				}
				o.acked = time.Now()
				o.client = w
				mu.Lock()
				results = append(results, o)
				mu.Unlock()
			}
		}()
	}

	// Every wait below is for something the test can see happen, bounded by
	// the test's own deadline: on a loaded machine each step takes as long
	// as it takes, and no fixed sleep is long enough for all of them.
	ctx := untilTestDeadline(t)
	finish := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer finish() // also when a wait fails: the clients must not outlive the test
	succeeded := func(phase, kind string, before time.Time) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(results, func(o outcome) bool {
			return o.phase == phase && o.kind == kind && o.err == nil && o.reply.status < 300 && o.acked.Before(before)
		})
	}
	refused := func(phase, kind string) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(results, func(o outcome) bool {
			return o.phase == phase && o.kind == kind && o.err == nil && o.reply.status == http.StatusServiceUnavailable
		})
	}

	// Azurite's on-disk mode (LokiJS) writes a snapshot every 5 s and
	// nothing on stop, so it loses what it acknowledged since its last
	// snapshot; real Table Storage is durable when it answers. Watching its
	// data file tells which acknowledged writes a completed snapshot must
	// hold. Run the load until that set has a registration and a saved
	// estimate in it.
	saves := &saveWatch{path: filepath.Join(dir, azuriteTableDB)}
	waitFor(ctx, t, "a registration and a saved estimate in a completed snapshot of "+saves.path, func() bool {
		saves.poll()
		durable := saves.durableBefore()
		return succeeded("before", "register", durable) && succeeded("before", "save", durable)
	})
	setPhase("down")
	stopStart := time.Now()
	az.Stop()
	saves.poll() // the emulator has exited: the file on disk is final
	durable := saves.durableBefore()
	t.Logf("Azurite stopped in %s; %d snapshots seen", time.Since(stopStart).Round(time.Millisecond), len(saves.times))
	// Down for at least downFor, and until both a session check and a
	// registration have met the outage.
	downFor := 2 * time.Second
	time.Sleep(downFor)
	waitFor(ctx, t, "503 answers to /api/me and /api/register while storage is down", func() bool {
		return refused("down", "me") && refused("down", "register")
	})
	downFor = time.Since(stopStart)
	startStart := time.Now()
	restarted, err := azurite.Start(ctx, azurite.Options{Port: port, DataDir: dir})
	t.Logf("Azurite restarted in %s", time.Since(startStart).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("restart Azurite from %s: %v", dir, err)
	}
	current = restarted
	up := time.Now()
	in.WaitHealthy(t, 30*time.Second)
	recovered := time.Since(up)
	setPhase("after")
	waitFor(ctx, t, "a session check, a registration and a saved estimate to succeed after recovery", func() bool {
		end := time.Now().Add(time.Hour)
		return succeeded("after", "me", end) && succeeded("after", "register", end) && succeeded("after", "save", end)
	})
	finish()

	select {
	case <-in.Done():
		t.Fatal("the handler process exited during the outage")
	default:
	}
	t.Logf("storage down %s; /api/health 200 again %s after Azurite restarted; %d requests", downFor, recovered.Round(time.Millisecond), len(results))

	var acknowledged, lateAcks []string
	savedIDs := make([][]string, clients)
	lateSaved := 0
	count := map[string]map[int]int{}
	refusals := map[string]int{} // by phase, route and error code
	var slowest time.Duration
	for _, o := range results {
		if o.err != nil {
			t.Errorf("%s during %s: transport error %v (the handler must answer, not hang up)", o.kind, o.phase, o.err)
			continue
		}
		r := o.reply
		key := o.phase + " " + o.kind
		if count[key] == nil {
			count[key] = map[int]int{}
		}
		count[key][r.status]++
		if r.status >= 300 {
			refusals[key+" "+r.errorCode()]++
		}
		if o.phase == "down" {
			slowest = max(slowest, r.took)
		}
		// The deadline is the outage's; before and after it an answer takes
		// what the machine's load makes it take.
		if o.phase == "down" && r.took > outageDeadline {
			t.Errorf("%s during %s took %s, over the %s deadline", o.kind, o.phase, r.took, outageDeadline)
		}
		if r.status >= 500 && r.status != http.StatusServiceUnavailable {
			t.Errorf("%s during %s = %s; only 503 may report an outage", o.kind, o.phase, r)
		}
		if r.status == http.StatusServiceUnavailable {
			if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
				t.Errorf("%s during %s: 503 without a usable Retry-After (%q)", o.kind, o.phase, r.header.Get("Retry-After"))
			}
		}
		if mentionsInternals(r.body) {
			t.Errorf("%s during %s: body names internals: %s", o.kind, o.phase, r.body)
		}
		if o.phase != "down" && r.status != http.StatusOK && r.status != http.StatusCreated {
			// Requests that began just before the stop may still fail, so only
			// "after" is held to full success.
			if o.phase == "after" {
				t.Errorf("%s after recovery = %s, want success", o.kind, r)
			}
		}
		if o.kind == "save" && r.status == http.StatusCreated {
			if o.acked.Before(durable) {
				savedIDs[o.client] = append(savedIDs[o.client], o.email)
			} else {
				lateSaved++
			}
		}
		if o.kind == "register" && r.status == http.StatusCreated {
			if o.acked.Before(durable) {
				acknowledged = append(acknowledged, o.email)
			} else {
				lateAcks = append(lateAcks, o.email)
			}
		}
	}
	t.Logf("answers by phase and route: %v; refusals by code: %v; slowest answer while down: %s", count, refusals, slowest.Round(time.Millisecond))
	if count["down me"][http.StatusServiceUnavailable] == 0 || count["down register"][http.StatusServiceUnavailable] == 0 {
		t.Errorf("no 503 for /api/me or /api/register while storage was down (answers %v): the outage did not take effect", count)
	}
	if count["after me"][http.StatusOK] == 0 || count["after register"][http.StatusCreated] == 0 || count["after save"][http.StatusCreated] == 0 {
		t.Errorf("no successful /api/me or /api/register after recovery (answers %v)", count)
	}
	for i, s := range sessions {
		if r := c.must(t, "GET", "/api/me", nil, s); r.status != http.StatusOK {
			t.Errorf("session %d made before the outage, after it = %s, want 200", i, r)
		}
	}

	store, err := tablestorage.NewFromConnectionString(restarted.ConnectionString(), tablestorage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkAcknowledged(t, store.Users(), append(acknowledged, owners...))
	total := 0
	for i, s := range sessions {
		checkSaved(t, c, s, savedIDs[i])
		total += len(savedIDs[i])
	}
	if total == 0 {
		t.Error("no saved estimate was acknowledged before the outage")
	}
	t.Logf("%d acknowledged saved estimates all present", total)
	t.Logf("saved estimates acknowledged too late to be sure of a completed snapshot: %d (not checked)", lateSaved)
	kept := 0
	for _, email := range lateAcks {
		if _, err := store.Users().UserByEmail(context.Background(), email); err == nil {
			kept++
		}
	}
	t.Logf("registrations acknowledged too late to be sure of a completed snapshot: %d, of which %d survived the emulator's restart", len(lateAcks), kept)
	checkNoUserWithoutIndex(t, restarted.ConnectionString(), store.Users())
}

// checkSaved lists the owner's saved estimates through the API: every
// acknowledged one must be there.
func checkSaved(t *testing.T, c *api, s *session, ids []string) {
	t.Helper()
	r := c.must(t, "GET", "/api/me/saved", nil, s)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/me/saved after recovery = %s", r)
	}
	var body struct {
		Saved []struct{ ID string } `json:"saved"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("GET /api/me/saved: %v: %s", err, r.body)
	}
	have := map[string]bool{}
	for _, e := range body.Saved {
		have[e.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			t.Errorf("acknowledged saved estimate %s is missing after the outage", id)
		}
	}
}

// checkAcknowledged reads back every registration the service acknowledged.
func checkAcknowledged(t *testing.T, users *tablestorage.UserStore, emails []string) {
	t.Helper()
	ctx := context.Background()
	for _, email := range emails {
		if _, err := users.UserByEmail(ctx, email); err != nil {
			t.Errorf("acknowledged registration %s is missing after the outage: %v", email, err)
		}
	}
	t.Logf("%d acknowledged registrations all present", len(emails))
}

// checkNoUserWithoutIndex lists every user record in the users table and
// looks each one up by its email: the index must lead back to the same
// user.
func checkNoUserWithoutIndex(t *testing.T, conn string, users *tablestorage.UserStore) {
	t.Helper()
	ctx := context.Background()
	svc, err := aztables.NewServiceClientFromConnectionString(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	filter := "RowKey eq 'user'"
	pager := svc.NewClient("users").NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	var ids []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Entities {
			var e aztables.EDMEntity
			if err := e.UnmarshalJSON(raw); err != nil {
				t.Fatal(err)
			}
			if p, _ := e.Properties["Provider"].(string); p != priceline.ProviderLocal {
				continue
			}
			email, _ := e.Properties["Email"].(string)
			u, err := users.UserByEmail(ctx, email)
			if err != nil || u.ID != e.PartitionKey {
				t.Errorf("user %s (%s) has no email index leading to it: %v", e.PartitionKey, email, err)
			}
			ids = append(ids, e.PartitionKey)
		}
	}
	if slices.Contains(ids, "") || len(ids) == 0 {
		t.Errorf("user listing found %d records", len(ids))
	}
	t.Logf("%d user records, each with its email index", len(ids))
}
