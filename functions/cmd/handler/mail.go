package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"hospitalpriceline/functions/acsmail"
	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/devmail"
	"hospitalpriceline/functions/hibp"
	"hospitalpriceline/functions/outbox"
	"hospitalpriceline/functions/priceline"
)

// newMailer builds where mail goes from the settings: ACS with the app's
// credential in Azure, .eml files locally, and otherwise a mailer that only
// logs that a message would have gone out (its kind and ID, never the
// address or the text, which may hold a link as good as a password).
func newMailer(cfg *config, cred azcore.TokenCredential, logger *slog.Logger) (priceline.Mailer, error) {
	switch {
	case cfg.MailEndpoint != "":
		m, err := acsmail.New(acsmail.Options{Endpoint: cfg.MailEndpoint, Sender: cfg.MailSender, Credential: cred})
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_MAIL_ENDPOINT: %w", err)
		}
		return m, nil
	case cfg.DevMailDir != "":
		m, err := devmail.New(cfg.DevMailDir, "priceline@localhost")
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_DEV_MAIL_DIR: %w", err)
		}
		logger.Warn("mail is written to files (PRICELINE_DEV_MAIL_DIR): for local development only")
		return m, nil
	default:
		logger.Warn("no mail is sent: set PRICELINE_MAIL_ENDPOINT and PRICELINE_MAIL_SENDER, or PRICELINE_DEV_MAIL_DIR locally")
		return &logMailer{logger: logger}, nil
	}
}

// logMailer accepts every message and logs only its kind and ID.
type logMailer struct{ logger *slog.Logger }

func (m *logMailer) Send(_ context.Context, msg priceline.Message) error {
	m.logger.Warn("mail not sent (no mail provider configured)", "kind", msg.Kind, "message_id", msg.MessageID)
	return nil
}

// newAccountMail is the flows' mail: the outbox in Table Storage, delivered
// by mailer.
func newAccountMail(cfg *config, store priceline.OutboxStore, mailer priceline.Mailer, logger *slog.Logger) *auth.Mail {
	sender := outbox.New(store, mailer)
	sender.Logger = logger
	return &auth.Mail{Outbox: sender, PublicURL: cfg.PublicURL}
}

// newBreachCheck is the breached-password check, nil when it is off.
func newBreachCheck(cfg *config, logger *slog.Logger) priceline.BreachedPasswords {
	if cfg.BreachedPasswords != "hibp" {
		return nil
	}
	return hibp.New(hibp.Options{Logger: logger})
}
