package auth

import (
	"context"
	"fmt"
	"time"

	"hospitalpriceline/functions/priceline"
)

// syncCloudEmail keeps the lookup of cloud accounts' verified addresses
// (Service.CloudEmails) in step with what the provider just said in id
// about the cloud account userID, whose stored address went from oldEmail
// to newEmail ("" for none). An entry exists only while the latest token
// says the stored address is verified: the address moved, or the token
// names another address, or it does not say "verified", and the entry
// goes. The lookup only ever sends a harmless pointer to the provider's
// reset, so a failure here is logged and does not stop the sign-in.
func (s *Service) syncCloudEmail(ctx context.Context, userID, oldEmail, newEmail string, id *priceline.ExternalIdentity) {
	if s.CloudEmails == nil {
		return
	}
	if oldEmail != "" && oldEmail != newEmail {
		if err := s.CloudEmails.DeleteCloudEmail(ctx, oldEmail, userID); err != nil {
			s.log().Warn("forget a cloud account's old address", "user_id", userID, "error", err)
		}
	}
	if newEmail == "" {
		return
	}
	var err error
	if id.EmailVerified && priceline.NormalizeEmail(id.Email) == newEmail {
		err = s.CloudEmails.PutCloudEmail(ctx, newEmail, userID)
	} else {
		err = s.CloudEmails.DeleteCloudEmail(ctx, newEmail, userID)
	}
	if err != nil {
		s.log().Warn("record a cloud account's verified address", "user_id", userID, "error", err)
	}
}

// sendCloudResetPointer sends the pointer to the provider's password reset
// when email, which no local account has, is the provider-verified address
// of a cloud account, and returns that account's ID ("" if none). The
// message carries no token and no link that changes anything here, so it
// is safe even if the address has since changed hands; an address the
// provider did not verify is not in the lookup and gets nothing. Several
// accounts may share the address: one message serves them all, counted
// against the first whose hourly allowance is not used up.
func (s *Service) sendCloudResetPointer(ctx context.Context, email string) (string, error) {
	if s.CloudEmails == nil {
		return "", nil
	}
	ids, err := s.CloudEmails.CloudEmailAccounts(ctx, email)
	if err != nil {
		return "", fmt.Errorf("find cloud accounts: %w", err)
	}
	owner := ""
	for _, id := range ids {
		u, err := s.Users.UserByID(ctx, id)
		if priceline.IsNotFound(err) {
			continue // deleted meanwhile; its entry is gone or going
		}
		if err != nil {
			return "", fmt.Errorf("read cloud account: %w", err)
		}
		// The user record is the authority: the entry may lag a profile edit.
		if u.Provider == priceline.ProviderLocal || u.Email != email {
			continue
		}
		if owner == "" {
			owner = u.ID
		}
		err = s.countMail(ctx, mailKeyAccount(u.ID))
		if priceline.ErrorKind(err) == priceline.KindTooManyRequests {
			continue // this account has mail enough this hour
		}
		if err != nil {
			return "", err
		}
		subject, text := s.resetCloudText()
		q, err := s.queueMail(ctx, priceline.MailPasswordResetB2C, email, subject, text, time.Time{})
		if err != nil {
			return "", err
		}
		s.deliverSoon(ctx, q)
		return u.ID, nil
	}
	return owner, nil
}
