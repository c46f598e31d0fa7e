package priceline

import (
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxTextUnits is the most UTF-16 code units one stored text may have:
// Table Storage's limit for a string property (64 KiB), which every store
// enforces so that a fake keeps no more than the real store can.
const MaxTextUnits = 32 * 1024

// CheckText refuses what a store could not keep exactly: invalid UTF-8
// (JSON would silently replace it) and text over MaxTextUnits. name is the
// field as the message names it.
func CheckText(name, v string) error {
	if !utf8.ValidString(v) {
		return Errorf(KindInvalid, "invalid_text", "The %s is not valid text.", name)
	}
	if len(v) > MaxTextUnits && len(utf16.Encode([]rune(v))) > MaxTextUnits {
		return Errorf(KindInvalid, "too_long", "The %s is too long.", name)
	}
	return nil
}

// checkTexts runs CheckText over name/value pairs, first error wins.
func checkTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := CheckText(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// ValidUser is what a store checks before it keeps u: a well-formed ID, a
// known provider with the identifier that provider needs, and storable text.
func ValidUser(u *User) error {
	invalid := func(code, msg string) error { return Errorf(KindInvalid, code, "%s", msg) }
	if u == nil {
		return invalid("invalid_user", "No user was given.")
	}
	if !IsLowerHex(u.ID, 32) {
		return invalid("invalid_user_id", "The user ID must be 32 lowercase hex characters.")
	}
	switch u.Provider {
	case ProviderLocal:
		if u.Email == "" {
			return invalid("invalid_email", "A local account needs an email address.")
		}
	case ProviderB2C:
		if u.Subject == "" {
			return invalid("invalid_subject", "A cloud account needs a subject.")
		}
	default:
		return invalid("invalid_provider", "The identity provider is not known.")
	}
	return checkTexts("email", u.Email, "subject", u.Subject, "name", u.Name, "password hash", u.PasswordHash)
}

// ValidAuthFlow is what a store checks before it keeps f: the ID shape
// NewToken(32) makes, the values the callback needs, an expiry (a flow
// without one would be valid forever and never swept) and storable text.
func ValidAuthFlow(f *AuthFlow) error {
	if f == nil || !IsLowerHex(f.ID, 64) {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no valid ID.")
	}
	if f.State == "" || f.Nonce == "" || f.PKCEVerifier == "" {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no state, nonce or PKCE verifier.")
	}
	if f.ExpiresAt.IsZero() || !f.ExpiresAt.After(f.CreatedAt) {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no valid expiry.")
	}
	if f.MaxAge < 0 || f.MaxAge%time.Second != 0 || f.MaxAge > 24*time.Hour {
		return Errorf(KindInvalid, "invalid_auth_flow", "The sign-in attempt has no valid maximum age.")
	}
	return checkTexts("state", f.State, "nonce", f.Nonce, "PKCE verifier", f.PKCEVerifier,
		"return path", f.ReturnTo, "policy", f.Policy, "action", f.Action, "user ID", f.UserID)
}

// ValidSession is what a store checks before it creates s: well-formed
// keys, both deadlines (a record without them would never match the expiry
// sweep) and storable text.
func ValidSession(s *Session) error {
	if s == nil || !IsLowerHex(s.UserID, 32) || !IsLowerHex(s.Key, 64) {
		return Errorf(KindInvalid, "invalid_session", "The session has no valid user ID or key.")
	}
	if s.ExpiresAt.IsZero() || s.IdleExpiresAt.IsZero() {
		return Errorf(KindInvalid, "invalid_session", "The session has no expiry.")
	}
	return checkTexts("method", s.Method, "CSRF token", s.CSRFToken)
}

// ValidTokenCache is what a store checks before it keeps blob for a
// session at now: a valid session's keys, a size within MaxTokenCacheSize
// and a future expiry (an entry without one would outlive every session and
// never be swept by age).
func ValidTokenCache(userID, sessionKey string, blob []byte, expiresAt, now time.Time) error {
	if !IsLowerHex(userID, 32) || !IsLowerHex(sessionKey, 64) {
		return Errorf(KindInvalid, "invalid_token_cache_key", "The token cache must belong to a valid session.")
	}
	if len(blob) == 0 {
		return Errorf(KindInvalid, "invalid_token_cache", "The token cache is empty.")
	}
	if len(blob) > MaxTokenCacheSize {
		return Errorf(KindInvalid, "token_cache_too_large",
			"The token cache is %d bytes, over the %d-byte limit.", len(blob), MaxTokenCacheSize)
	}
	if !expiresAt.After(now) {
		return Errorf(KindInvalid, "invalid_token_cache", "The token cache has no future expiry.")
	}
	return nil
}

// ValidOutboxEntry is what a store checks before it queues e: the key
// OutboxID makes from the Message-ID (so an entry cannot be stored under a
// key another message owns), a recipient, the times a sender lists it by,
// and text that fits in one Table Storage entity.
func ValidOutboxEntry(e *OutboxEntry) error {
	if e == nil || !ValidOutboxID(e.ID) || e.ID != OutboxID(e.Message.MessageID) {
		return Errorf(KindInvalid, "invalid_outbox_entry", "The queued message has no valid ID.")
	}
	if e.Message.To == "" || e.NextAttemptAt.IsZero() || e.Message.Created.IsZero() {
		return Errorf(KindInvalid, "invalid_outbox_entry", "The queued message has no recipient or times.")
	}
	return ValidMessage(e.Message)
}

// ValidMessage is what every mailer and the outbox check before they take
// a message: MailInvalid without a Message-ID or a recipient, MailTooLarge
// when its text or subject is over what one stored entry holds.
func ValidMessage(m Message) error {
	if m.MessageID == "" || m.To == "" {
		return MailInvalid.Err()
	}
	if len(m.Text) > MaxMailTextBytes || len(m.Subject) > maxMailSubjectBytes {
		return MailTooLarge.Err()
	}
	return nil
}

// maxMailSubjectBytes bounds a subject: the flows write a few words.
const maxMailSubjectBytes = 1000

// ValidOutboxID reports whether id has the form OutboxID makes, which a
// store checks before it uses an ID as a key.
func ValidOutboxID(id string) bool { return IsLowerHex(id, 64) }

// ValidOutboxUpdate is what a store checks before it claims e or records
// its failure: an entry with no valid ID was never stored, so it is
// OutboxNotFound; one with no Version could only be written without the
// version check, and one with no NextAttemptAt would be due at once and
// for ever, so both are OutboxChanged, which a sender reads as "do not
// send".
func ValidOutboxUpdate(e *OutboxEntry) error {
	if e == nil || !ValidOutboxID(e.ID) {
		return OutboxNotFound.Err()
	}
	if e.Version == "" || e.NextAttemptAt.IsZero() {
		return OutboxChanged.Err()
	}
	return nil
}

// ValidGeneration reports whether g is an import generation ID a store
// accepts: short, and only characters that need no encoding in a key.
func ValidGeneration(g string) bool {
	if g == "" || len(g) > 64 {
		return false
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidAccountToken is what a store checks before it keeps t: the keys it
// is stored under (user, purpose), a hash of the form TokenHash makes and
// storable text.
func ValidAccountToken(t *AccountToken) error {
	if t == nil || !IsLowerHex(t.UserID, 32) || TokenPurpose(t.Purpose) == "" || !IsLowerHex(t.Hash, 64) {
		return Errorf(KindInvalid, "invalid_token", "The token is malformed.")
	}
	return CheckText("email", t.Email)
}

// invalidUserID is the refusal of a second factor for a malformed user ID.
func invalidUserID() error {
	return Errorf(KindInvalid, "invalid_user_id", "The user ID is not valid.")
}

// ValidTOTP is what a store checks before it keeps e: a user to key it by
// and a sealed secret.
func ValidTOTP(e *TOTPEnrolment) error {
	if e == nil || !IsLowerHex(e.UserID, 32) {
		return invalidUserID()
	}
	if len(e.SealedSecret) == 0 {
		return Errorf(KindInvalid, "invalid_totp", "The enrolment has no sealed secret.")
	}
	return nil
}

// ValidRecoveryCodes is what a store checks before it makes hashes the
// user's recovery codes: a user to key them by and hashes of the form
// TokenHash makes.
func ValidRecoveryCodes(userID string, hashes []string) error {
	if !IsLowerHex(userID, 32) {
		return invalidUserID()
	}
	for _, h := range hashes {
		if !IsLowerHex(h, 64) {
			return Errorf(KindInvalid, "invalid_recovery_code", "A recovery code hash is not 64 hex characters.")
		}
	}
	return nil
}

// ValidNewEmail is what a store checks before it moves a local account to
// email: an address, in storable text.
func ValidNewEmail(email string) error {
	if err := CheckText("email", email); err != nil {
		return err
	}
	if email == "" {
		return Errorf(KindInvalid, "invalid_email", "A local account needs an email address.")
	}
	return nil
}

// ValidProfile is what a store checks before it keeps a display name and
// email: storable text.
func ValidProfile(name, email string) error {
	return checkTexts("name", name, "email", email)
}

// ValidSavedEstimate is what a store checks before it keeps e: the user and
// estimate IDs it is keyed by, and an estimate that Validate accepts.
func ValidSavedEstimate(e *SavedEstimate) error {
	if e == nil || !IsLowerHex(e.UserID, 32) || !IsLowerHex(e.ID, 32) {
		return Errorf(KindInvalid, "invalid_estimate", "The estimate's identifiers are malformed.")
	}
	return e.Validate()
}

// ValidPlanBenefits is what a store checks before it keeps b for userID.
func ValidPlanBenefits(userID string, b PlanBenefits) error {
	if !IsLowerHex(userID, 32) {
		return Errorf(KindInvalid, "invalid_plan", "The user ID is malformed.")
	}
	return b.Validate()
}

// ValidImport is what a price store checks before it writes or commits
// under a hospital's import generation gen.
func ValidImport(hospitalID, gen string) error {
	if !IsLowerHex(hospitalID, 32) || !ValidGeneration(gen) {
		return invalidImport("The hospital ID or import generation is malformed.")
	}
	return nil
}

func invalidImport(format string, args ...any) error {
	return Errorf(KindInvalid, "invalid_import", format, args...)
}

// ValidChargeGroups is what a price store checks before it writes any of
// groups: ValidImport, a code and code type a group, at most
// MaxChargeBatch charges a group and at most MaxChargeTextBytes of text a
// charge. A group without a code (blank once normalised, as the importer
// never sends) would be filed under a key no read of a procedure reaches.
func ValidChargeGroups(hospitalID, gen string, groups []ChargeGroup) error {
	if err := ValidImport(hospitalID, gen); err != nil {
		return err
	}
	for _, g := range groups {
		if n := NormalizeCode(g.Code); n.Code == "" || n.Type == "" {
			return invalidImport("Every group of charges needs a code and a code type.")
		}
		if len(g.Charges) > MaxChargeBatch {
			return invalidImport("At most %d charges can be written at once.", MaxChargeBatch)
		}
		for i := range g.Charges {
			if text := g.Charges[i].TextBytes(); text > MaxChargeTextBytes {
				return Errorf(KindInvalid, "charge_too_large",
					"A charge of %s has %d bytes of text; at most %d can be stored.", g.Code.Code, text, MaxChargeTextBytes)
			}
		}
	}
	return nil
}

// ValidServiceRows is what a service index checks before it writes any of
// rows: ValidImport, at most MaxServiceRowBatch rows, and a service ID of
// at most 100 bytes a row.
func ValidServiceRows(hospitalID, gen string, rows []ServiceRow) error {
	if err := ValidImport(hospitalID, gen); err != nil {
		return err
	}
	if len(rows) > MaxServiceRowBatch {
		return invalidImport("At most %d service rows can be written at once.", MaxServiceRowBatch)
	}
	for _, r := range rows {
		if r.ServiceID == "" || len(r.ServiceID) > 100 {
			return invalidImport("A service row needs a service ID of at most 100 bytes.")
		}
	}
	return nil
}
