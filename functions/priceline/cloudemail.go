package priceline

import "context"

// MaxCloudEmailAccounts bounds how many cloud accounts CloudEmailAccounts
// returns for one address, so a lookup costs the same few reads however many
// accounts an address was given.
const MaxCloudEmailAccounts = 10

// CloudEmailStore remembers which cloud accounts have which address, only
// for addresses their identity provider said are verified. It exists so
// that "forgot password" can point such an account at the provider's own
// reset; it is a list of user IDs and nothing more. It never signs anyone
// in, never finds an account for any other purpose, and is kept apart from
// the local email index: a local account and any number of cloud accounts
// may share an address, and no entry here ever blocks or claims one there.
type CloudEmailStore interface {
	// PutCloudEmail records that the cloud account userID has the
	// normalised, provider-verified address email. Recording it again is
	// not an error. KindInvalid for an empty or unusable address or a
	// malformed user ID.
	PutCloudEmail(ctx context.Context, email, userID string) error
	// DeleteCloudEmail forgets that userID has email; forgetting what was
	// never recorded is not an error.
	DeleteCloudEmail(ctx context.Context, email, userID string) error
	// CloudEmailAccounts returns the IDs of the cloud accounts recorded
	// for email (compared exactly), in no particular order and at most
	// MaxCloudEmailAccounts of them; none is an empty list, not an error.
	// The accounts may have changed since: callers check each user record.
	CloudEmailAccounts(ctx context.Context, email string) ([]string, error)
}

// ValidCloudEmail checks the arguments of PutCloudEmail.
func ValidCloudEmail(email, userID string) error {
	if email == "" {
		return Errorf(KindInvalid, "email_required", "An address is required.")
	}
	if err := CheckText("email", email); err != nil {
		return err
	}
	if !IsLowerHex(userID, 32) {
		return Errorf(KindInvalid, "user_id_invalid", "The user ID is malformed.")
	}
	return nil
}
