package auth

import "hospitalpriceline/functions/priceline"

// The texts of the messages the flows send. Plain text with links written
// out in full; no message says more about the account than its owner knows.

const signature = "\n\n— Hospital Priceline\n"

func (s *Service) verifyText(name, link string) (subject, text string) {
	return "Confirm your email address",
		"Hello " + name + ",\n\nPlease confirm that this is your email address by opening this link:\n\n" + link +
			"\n\nThe link works once, for " + priceline.LifetimeText(priceline.VerifyTokenLifetime) +
			". If you did not create an account, ignore this message." + signature
}

func (s *Service) registrationAttemptText() (subject, text string) {
	return "Someone tried to create an account with your address",
		"Hello,\n\nSomeone tried to create a Hospital Priceline account with this email address, which already has one. " +
			"No new account was created and nothing about your account changed.\n\n" +
			"If it was you: sign in at " + s.siteURL() + "/login, or if you forgot your password, reset it at " +
			s.siteURL() + "/forgot-password.\n\nIf it was not you, you need do nothing." + signature
}

func (s *Service) resetText(link string) (subject, text string) {
	return "Reset your password", askedLinkText("reset the password of your Hospital Priceline account",
		"choose a new password", link, "If you did not ask, ignore this message: your password stays as it is.")
}

func (s *Service) resetCloudText() (subject, text string) {
	return "Reset your password",
		"Hello,\n\nSomeone (we hope you) asked to reset the password of a Hospital Priceline account with this address. " +
			"That account signs in with our cloud sign-in, which keeps its password, so we cannot reset it here. " +
			"To reset it there, open " + s.cloudResetURL() +
			" and follow the steps.\n\nIf you did not ask, ignore this message: nothing has changed." + signature
}

func (s *Service) passwordChangedText() (subject, text string) {
	return "Your password was reset",
		"Hello,\n\nThe password of your Hospital Priceline account was just reset, and every session of the account was signed out. " +
			"If you did this, there is nothing more to do.\n\nIf you did not, reset your password at once at " +
			s.siteURL() + "/forgot-password." + signature
}

func (s *Service) emailChangeText(link string) (subject, text string) {
	return "Confirm your new email address", askedLinkText("use this address for a Hospital Priceline account",
		"confirm", link, "Until it is used, nothing changes. If you did not ask, ignore this message.")
}

// askedLinkText is the text of a message sent because someone asked, by
// this address, for a change that a one-use link makes: what was asked,
// the link that does it, how long it works (priceline.AccountTokenLifetime)
// and what to do if the reader did not ask.
func askedLinkText(asked, toDo, link, ifNotAsked string) string {
	return "Hello,\n\nSomeone (we hope you) asked to " + asked + ". To " + toDo + ", open this link:\n\n" + link +
		"\n\nThe link works once, for " + priceline.LifetimeText(priceline.AccountTokenLifetime) + ". " + ifNotAsked + signature
}

func (s *Service) emailChangedText(newEmail string) (subject, text string) {
	return "Your email address was changed",
		"Hello,\n\nThe email address of your Hospital Priceline account was changed to " + maskEmail(newEmail) +
			". You will now sign in with the new address.\n\nIf you did not do this, contact us at once." + signature
}

func (s *Service) accountDeletedText() (subject, text string) {
	return "Your account was deleted",
		"Hello,\n\nYour Hospital Priceline account and everything saved in it (sessions, saved estimates) were deleted, as asked. " +
			"Thank you for using Hospital Priceline." + signature
}

// maskEmail shows enough of an address for its owner to recognise it and
// too little for anyone else to use: "a•••@example.org".
func maskEmail(email string) string {
	email = priceline.NormalizeEmail(email)
	at := len(email)
	for i := range email {
		if email[i] == '@' {
			at = i
		}
	}
	if at == 0 || at == len(email) {
		return "•••"
	}
	return email[:1] + "•••" + email[at:]
}

// siteURL is the site's origin as messages name it.
func (s *Service) siteURL() string {
	if s.Mail == nil {
		return ""
	}
	return s.Mail.PublicURL
}

// cloudResetURL is where a cloud account resets its password: the route
// that starts the provider's password-reset user flow, unless Mail.ResetURL
// names another place.
func (s *Service) cloudResetURL() string {
	if s.Mail == nil {
		return ""
	}
	if s.Mail.ResetURL != "" {
		return s.Mail.ResetURL
	}
	return s.Mail.PublicURL + "/api/auth/b2c/reset-password"
}
