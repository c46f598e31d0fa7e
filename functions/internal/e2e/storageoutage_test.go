package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// autosaveWindow is how much acknowledged data Azurite's on-disk mode can
// lose when it stops: its LokiJS store saves every 5 s (see
// LokiTableMetadataStore's autosaveInterval), plus a margin for the save.
const autosaveWindow = 6 * time.Second

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
//   - every registration and saved estimate acknowledged with 201 (longer
//     ago than Azurite's own loss window, autosaveWindow) is there, and no
//     user record exists without its email index (the index is written
//     first, so an interrupted registration can only leave an orphan index,
//     which lookups ignore);
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

	// Azurite's on-disk mode (LokiJS) writes a snapshot every 5 s and
	// nothing on stop, so it loses what it acknowledged in the last
	// autosaveWindow before stopping; real Table Storage is durable when it
	// answers. Running the load for longer than that window before the stop
	// gives a set of acknowledged writes the emulator must have kept.
	time.Sleep(autosaveWindow + 2*time.Second)
	setPhase("down")
	stoppedAt := time.Now()
	stopStart := time.Now()
	az.Stop()
	t.Logf("Azurite stopped in %s", time.Since(stopStart).Round(time.Millisecond))
	downFor := 2 * time.Second
	time.Sleep(downFor)
	startStart := time.Now()
	restarted, err := azurite.Start(context.Background(), azurite.Options{Port: port, DataDir: dir})
	t.Logf("Azurite restarted in %s", time.Since(startStart).Round(time.Millisecond))
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("restart Azurite from %s: %v", dir, err)
	}
	current = restarted
	up := time.Now()
	in.WaitHealthy(t, 30*time.Second)
	recovered := time.Since(up)
	setPhase("after")
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

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
		if o.phase == "down" {
			slowest = max(slowest, r.took)
		}
		if r.took > outageDeadline {
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
			if o.acked.Before(stoppedAt.Add(-autosaveWindow)) {
				savedIDs[o.client] = append(savedIDs[o.client], o.email)
			} else {
				lateSaved++
			}
		}
		if o.kind == "register" && r.status == http.StatusCreated {
			if o.acked.Before(stoppedAt.Add(-autosaveWindow)) {
				acknowledged = append(acknowledged, o.email)
			} else {
				lateAcks = append(lateAcks, o.email)
			}
		}
	}
	t.Logf("answers by phase and route: %v; slowest answer while down: %s", count, slowest.Round(time.Millisecond))
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
	t.Logf("saved estimates acknowledged within the emulator's loss window: %d (not checked)", lateSaved)
	kept := 0
	for _, email := range lateAcks {
		if _, err := store.Users().UserByEmail(context.Background(), email); err == nil {
			kept++
		}
	}
	t.Logf("registrations acknowledged within Azurite's last %s before the stop: %d, of which %d survived the emulator's restart", autosaveWindow, len(lateAcks), kept)
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
