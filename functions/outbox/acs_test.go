package outbox

import (
	"context"
	"net/http"
	"testing"
	"time"

	"hospitalpriceline/functions/acsmail"
	"hospitalpriceline/functions/acsmail/acsmailtest"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

// The Azure path end to end: the outbox, the real acsmail client with the
// app's managed-identity credential, and the ACS double.
func TestACSOutageAndCrashesNeitherLoseNorDuplicateMail(t *testing.T) {
	mi := keyvaulttest.NewManagedIdentity(t)
	mi.Setenv(t)
	const from = "DoNotReply@0000-test.azurecomm.net"
	svc := acsmailtest.New(t, acsmailtest.Options{
		Sender:    from,
		Authorize: func(token string) bool { return mi.Valid(token, acsmailtest.Resource) },
	})
	cred, err := keyvault.Credential(keyvaulttest.NewClientID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := acsmail.New(acsmail.Options{Endpoint: svc.Endpoint, Sender: from, Credential: cred,
		ClientOptions: svc.ClientOptions(), PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s, store, c, _ := newSender(t, mailer)
	ctx := context.Background()

	// ACS throttles: the request that queued the message is not failed,
	// and the message waits at least as long as ACS asked.
	svc.FailNext(1, http.StatusTooManyRequests, 90*time.Second)
	e, err := s.Queue(ctx, message(priceline.MailVerifyEmail), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Deliver(ctx, e); got != Retry {
		t.Fatalf("Deliver during throttling = %v", got)
	}
	if due, _ := store.DueOutbox(ctx, c.now().Add(89*time.Second), 10); len(due) != 0 {
		t.Fatal("retried before ACS's Retry-After")
	}

	// ACS accepts, but the instance dies before it records that.
	c.add(90 * time.Second)
	store.Fail = memstore.FailOn(priceline.Errorf(priceline.KindUnavailable, "storage_unavailable", "down"), "MarkOutboxSent")
	if r, _ := s.Run(ctx); r.Sent != 1 {
		t.Fatalf("run: %+v", r)
	}
	store.Fail = nil
	// A later run after the lease sends it again, under the same
	// Operation-Id, and ACS does not send it a second time.
	c.add(DefaultLease)
	if r, _ := s.Run(ctx); r.Sent != 1 || len(store.Entries()) != 0 {
		t.Fatalf("rerun: %+v, left %d", r, len(store.Entries()))
	}
	if n, d := len(svc.Sent()), svc.Duplicates(); n != 1 || d != 1 {
		t.Errorf("ACS sent %d (duplicates answered %d); want 1 and 1", n, d)
	}
}
