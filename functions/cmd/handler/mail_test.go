package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"hospitalpriceline/functions/acsmail"
	"hospitalpriceline/functions/devmail"
	"hospitalpriceline/functions/hibp"
	"hospitalpriceline/functions/priceline"
)

// The mailer follows the settings: ACS, dev files, or a mailer that logs
// the kind and ID only.
func TestMailerFromSettings(t *testing.T) {
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	m, err := newMailer(&config{MailEndpoint: "https://x.communication.azure.com", MailSender: "DoNotReply@example.org"}, noCredential{}, logger)
	if _, ok := m.(*acsmail.Mailer); err != nil || !ok {
		t.Fatalf("ACS settings gave %T, %v", m, err)
	}
	dir := filepath.Join(t.TempDir(), "mail")
	m, err = newMailer(&config{DevMailDir: dir}, nil, logger)
	if _, ok := m.(*devmail.Mailer); err != nil || !ok {
		t.Fatalf("dev settings gave %T, %v", m, err)
	}
	m, err = newMailer(&config{}, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	msg := priceline.Message{To: "ada@example.org", Subject: "Reset", Text: "https://x/reset-password?token=r" + strings.Repeat("a", 96),
		MessageID: priceline.NewMessageID("x"), Kind: priceline.MailPasswordReset}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, priceline.MailPasswordReset) || strings.Contains(out, "ada@example.org") || strings.Contains(out, "token=") {
		t.Fatalf("the logging mailer logged %s", out)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dev mail folder not created: %v", err)
	}
}

// noCredential is a credential that is never asked for a token here.
type noCredential struct{}

func (noCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, nil
}

func TestBreachCheckOnlyWhenSetToHIBP(t *testing.T) {
	if newBreachCheck(&config{}, slog.Default()) != nil {
		t.Fatal("breach check on without the setting")
	}
	if _, ok := newBreachCheck(&config{BreachedPasswords: "hibp"}, slog.Default()).(*hibp.Client); !ok {
		t.Fatal("PRICELINE_BREACHED_PASSWORDS=hibp does not turn the check on")
	}
}
