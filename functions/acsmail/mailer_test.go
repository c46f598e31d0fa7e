package acsmail_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/acsmail"
	"hospitalpriceline/functions/acsmail/acsmailtest"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/keyvault/keyvaulttest"
	"hospitalpriceline/functions/priceline"
)

const sender = "DoNotReply@0000-test.azurecomm.net"

// setup starts a managed-identity double and an ACS double that accepts
// only tokens that identity issued for the Communication Services audience,
// and returns a Mailer built as the app builds it: keyvault.Credential, the
// app's one credential, in its Azure (managed identity) form.
func setup(t *testing.T, audience string) (*acsmail.Mailer, *acsmailtest.Service, *keyvaulttest.ManagedIdentity) {
	t.Helper()
	mi := keyvaulttest.NewManagedIdentity(t)
	mi.Setenv(t)
	svc := acsmailtest.New(t, acsmailtest.Options{
		Sender:    sender,
		Authorize: func(token string) bool { return mi.Valid(token, audience) },
	})
	cred, err := keyvault.Credential(keyvaulttest.NewClientID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := acsmail.New(acsmail.Options{
		Endpoint: svc.Endpoint, Sender: sender, Credential: cred,
		ClientOptions: svc.ClientOptions(),
		PollInterval:  time.Millisecond, PollTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, svc, mi
}

func message() priceline.Message {
	return priceline.Message{
		To: "ada@example.org", Subject: "Verify your email address",
		Text:      "Open this link to verify your address:\nhttps://priceline.example.org/verify-email?token=abc\n",
		MessageID: priceline.NewMessageID("priceline.example.org"), Kind: priceline.MailVerifyEmail,
		Created: time.Now().Add(-time.Minute).Truncate(time.Second),
	}
}

func TestSendPostsTheDocumentedRequestWithAManagedIdentityToken(t *testing.T) {
	m, svc, mi := setup(t, acsmailtest.Resource)
	msg := message()
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := svc.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	got := sent[0]
	if got.From != sender || got.To != msg.To || got.Subject != msg.Subject || got.Text != msg.Text || got.HTML != "" {
		t.Errorf("sent %+v", got)
	}
	if got.Headers[acsmail.MessageIDHeader] != "<"+msg.MessageID+">" {
		t.Errorf("headers %v, want %s: <%s>", got.Headers, acsmail.MessageIDHeader, msg.MessageID)
	}
	if got.Tracking {
		t.Error("user engagement tracking is on: ACS would rewrite the single-use links")
	}
	if !got.FirstSent.Equal(msg.Created) || got.OperationID != acsmail.OperationID(msg.MessageID) {
		t.Errorf("first sent %v op %s, want %v %s", got.FirstSent, got.OperationID, msg.Created, acsmail.OperationID(msg.MessageID))
	}
	reqs := svc.Requests()
	if len(reqs) < 2 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/emails:send" || reqs[0].APIVersion != acsmail.APIVersion {
		t.Fatalf("requests %+v: want the send, then status reads", reqs)
	}
	for _, r := range reqs[1:] {
		if r.Method != http.MethodGet || r.Path != "/emails/operations/"+got.OperationID || !r.Authorized {
			t.Errorf("status read %+v", r)
		}
	}
	for _, tr := range mi.Requests() {
		if tr.Resource != acsmailtest.Resource {
			t.Errorf("token asked for %q, want %q", tr.Resource, acsmailtest.Resource)
		}
	}
}

func TestTokenForAnotherAudienceIsRefusedAndNothingIsSent(t *testing.T) {
	m, svc, _ := setup(t, "https://vault.azure.net")
	err := m.Send(context.Background(), message())
	if priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("err = %v, want unavailable (401 may be a role still propagating)", err)
	}
	if n := len(svc.Sent()); n != 0 {
		t.Errorf("sent %d", n)
	}
}

func TestRetryOfAnAcceptedMessageIsNotSentTwice(t *testing.T) {
	m, svc, _ := setup(t, acsmailtest.Resource)
	msg := message()
	for range 3 {
		if err := m.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if n, d := len(svc.Sent()), svc.Duplicates(); n != 1 || d != 2 {
		t.Errorf("sent %d, duplicates %d; want 1 and 2", n, d)
	}
	other := message()
	if err := m.Send(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if n := len(svc.Sent()); n != 2 {
		t.Errorf("a new Message-ID was not sent: %d", n)
	}
}

func TestThrottlingIsUnavailableWithRetryAfter(t *testing.T) {
	m, svc, _ := setup(t, acsmailtest.Resource)
	svc.FailNext(2, http.StatusTooManyRequests, 30*time.Second)
	err := m.Send(context.Background(), message())
	var pe *priceline.Error
	if !errors.As(err, &pe) || pe.Kind != priceline.KindUnavailable || pe.Code != "mail_throttled" || pe.RetryAfter != 30*time.Second {
		t.Fatalf("err = %#v, want unavailable/mail_throttled with RetryAfter 30s", err)
	}
	if n := len(svc.Sent()); n != 0 {
		t.Errorf("sent %d", n)
	}
}

func TestServerErrorsAreUnavailableAndRecover(t *testing.T) {
	m, svc, _ := setup(t, acsmailtest.Resource)
	svc.FailNext(2, http.StatusServiceUnavailable, 0)
	msg := message()
	if err := m.Send(context.Background(), msg); priceline.ErrorKind(err) != priceline.KindUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	if n := len(svc.Sent()); n != 1 {
		t.Errorf("sent %d", n)
	}
}

func TestRefusedMessageIsInvalid(t *testing.T) {
	mi := keyvaulttest.NewManagedIdentity(t)
	mi.Setenv(t)
	svc := acsmailtest.New(t, acsmailtest.Options{Sender: "someone-else@example.net"})
	cred, _ := keyvault.Credential(keyvaulttest.NewClientID(), nil)
	m, err := acsmail.New(acsmail.Options{Endpoint: svc.Endpoint, Sender: sender, Credential: cred, ClientOptions: svc.ClientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), message())
	if priceline.ErrorKind(err) != priceline.KindInvalid || priceline.ErrorCode(err) != "mail_rejected" {
		t.Fatalf("err = %v, want invalid/mail_rejected", err)
	}
	if strings.Contains(err.Error(), "ada@example.org") {
		t.Error("the error quotes the recipient")
	}
}

func TestUndeliverableMessageIsInvalid(t *testing.T) {
	m, svc, _ := setup(t, acsmailtest.Resource)
	svc.Undeliverable("ada@example.org")
	err := m.Send(context.Background(), message())
	if priceline.ErrorKind(err) != priceline.KindInvalid || priceline.ErrorCode(err) != "mail_failed" {
		t.Fatalf("err = %v, want invalid/mail_failed", err)
	}
}

func TestNewChecksItsOptions(t *testing.T) {
	cred, _ := keyvault.Credential("", nil)
	for _, o := range []acsmail.Options{
		{Endpoint: "http://x.communication.azure.com", Sender: sender, Credential: cred},
		{Endpoint: "https://x.communication.azure.com/path", Sender: sender, Credential: cred},
		{Endpoint: "https://x.communication.azure.com", Sender: "nobody", Credential: cred},
		{Endpoint: "https://x.communication.azure.com", Sender: sender},
	} {
		if _, err := acsmail.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestOperationIDIsAStableUUID(t *testing.T) {
	a, b := acsmail.OperationID("x@y"), acsmail.OperationID("x@y")
	if a != b || a == acsmail.OperationID("z@y") || len(a) != 36 || a[14] != '8' {
		t.Errorf("OperationID = %s, %s", a, b)
	}
}
