package auth

import (
	"context"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// MailNotices returns the Notifier that sends the two-step sign-in notices
// by the account mail path: queued in the outbox like the other account
// notices and delivered right after the request (or by the timer). Wire it
// as MFAConfig.Notifier.
func (s *Service) MailNotices() Notifier { return mailNotices{s: s} }

// mailNotices queues a notice through the Service's Mail.
type mailNotices struct{ s *Service }

// Notify queues the notice of kind to u's address. Without a mail path it
// logs the kind only, as an unwired Notifier does.
func (n mailNotices) Notify(ctx context.Context, u *priceline.User, kind string) error {
	s := n.s
	subject, text, ok := s.mfaNoticeText(kind)
	if !ok {
		return fmt.Errorf("notice: unknown kind %q", kind)
	}
	if s.Mail == nil || s.Mail.Outbox == nil {
		s.log().Info("security notice (no mail path wired)", "user_id", u.ID, "kind", kind)
		return nil
	}
	q, err := s.queueMail(ctx, kind, u.Email, subject, text, time.Time{})
	if err != nil {
		return err
	}
	s.deliverSoon(ctx, q)
	return nil
}

// mfaNotices holds, for each notice kind, its subject and what it says
// changed.
var mfaNotices = map[string]struct{ subject, what string }{
	NoticeMFAEnabled:         {"Two-step sign-in was turned on", "An authenticator app was set up for two-step sign-in to your Hospital Priceline account, and new recovery codes were made."},
	NoticeMFADisabled:        {"Your authenticator app was removed", "The authenticator app was removed from your Hospital Priceline account; sign-in no longer asks for its codes."},
	NoticeRecoveryCodesRenew: {"New recovery codes were made", "New recovery codes were made for your Hospital Priceline account. The old ones no longer work."},
	NoticeRecoveryCodeUsed:   {"A recovery code was used to sign in", "Someone signed in to your Hospital Priceline account with your password and one of your recovery codes. That code no longer works."},
	NoticePasskeyAdded:       {"A passkey was added", "A passkey was added to your Hospital Priceline account. It can sign in without your password."},
	NoticePasskeyRemoved:     {"A passkey was removed", "A passkey was removed from your Hospital Priceline account; it no longer signs in."},
}

// mfaNoticeText is the message for a notice kind. Each says what changed,
// when it is nothing to worry about, and what to do if it was not the owner.
func (s *Service) mfaNoticeText(kind string) (subject, text string, ok bool) {
	n, ok := mfaNotices[kind]
	if !ok {
		return "", "", false
	}
	notYou := "\n\nIf you did not do this, someone else may know your password: reset it at once at " +
		s.siteURL() + "/forgot-password, then check the security section of your account at " + s.siteURL() + "/account."
	return n.subject, "Hello,\n\n" + n.what + " If you did this, there is nothing more to do." + notYou + signature, true
}
