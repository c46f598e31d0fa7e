package priceline

import (
	"context"
	"strings"
	"time"
)

// Session methods of multi-factor sign-ins, beside MethodPassword and
// MethodB2C: how the second factor was proved is kept with the session and
// shown in the session list.
const (
	MethodPasswordTOTP     = "password+totp"     // password, then an authenticator-app code
	MethodPasswordRecovery = "password+recovery" // password, then a single-use recovery code
	MethodPasswordPasskey  = "password+passkey"  // password, then a passkey of the account as the second step
	MethodPasskey          = "passkey"           // a passkey with user verification: multi-factor on its own
)

// TOTPEnrolment is a user's authenticator app (RFC 6238). The shared secret
// is kept only sealed (AES-GCM under a key from Key Vault, see package
// auth); the store never sees it in plain text.
type TOTPEnrolment struct {
	UserID       string
	SealedSecret []byte // nonce and ciphertext of the secret
	Confirmed    bool   // a code from the app was accepted; only then does sign-in ask for one
	LastStep     int64  // the last time step whose code was accepted; codes of it or before are refused
	CreatedAt    time.Time
	Version      string // opaque store version (ETag) for conditional updates
}

// TOTPStore keeps at most one authenticator-app enrolment per user.
type TOTPStore interface {
	// PutTOTP stores e in place of any enrolment the user has and sets
	// e.Version.
	PutTOTP(ctx context.Context, e *TOTPEnrolment) error
	// TOTP returns the user's enrolment; KindNotFound if there is none.
	TOTP(ctx context.Context, userID string) (*TOTPEnrolment, error)
	// UpdateTOTP writes e.Confirmed and e.LastStep only if the stored
	// version still equals e.Version (KindConflict otherwise, so that of two
	// requests using one code only one succeeds; KindNotFound if deleted or
	// nil) and updates e.Version.
	UpdateTOTP(ctx context.Context, e *TOTPEnrolment) error
	// DeleteTOTP removes the enrolment; a missing one is not an error.
	DeleteTOTP(ctx context.Context, userID string) error
}

// RecoveryCodeStore keeps the hashes of a user's single-use recovery codes.
type RecoveryCodeStore interface {
	// ReplaceRecoveryCodes makes hashes the user's only codes.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error
	// UseRecoveryCode deletes the code with this hash atomically, so a code
	// works once: KindNotFound/"recovery_code_not_found" when the user has
	// no such code or it was already used.
	UseRecoveryCode(ctx context.Context, userID, hash string) error
	// RecoveryCodesLeft counts the user's unused codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
	// DeleteRecoveryCodes removes all the user's codes.
	DeleteRecoveryCodes(ctx context.Context, userID string) error
}

// Passkey is a WebAuthn credential registered to a user.
type Passkey struct {
	ID              string // the credential ID, unpadded base64url
	UserID          string
	Name            string // the user's label for it
	PublicKey       []byte // COSE key
	AttestationType string
	AAGUID          []byte
	Transports      []string
	SignCount       uint32 // the authenticator's last signature counter
	BackupEligible  bool   // the credential may be synced (flag BE at registration)
	BackupState     bool   // the credential is backed up now (flag BS at last use)
	CreatedAt       time.Time
	LastUsedAt      time.Time // zero until first used to sign in
	Version         string    // opaque store version (ETag) for conditional updates
}

// PasskeyStore keeps passkeys per user, and which user each credential ID
// belongs to, for sign-in with a discoverable credential.
type PasskeyStore interface {
	// AddPasskey stores p; KindConflict/"passkey_exists" when the credential
	// ID is registered already, to this user or another.
	AddPasskey(ctx context.Context, p *Passkey) error
	// PasskeyByID finds a passkey by credential ID; KindNotFound if none.
	PasskeyByID(ctx context.Context, credentialID string) (*Passkey, error)
	// UserPasskeys lists the user's passkeys, oldest first.
	UserPasskeys(ctx context.Context, userID string) ([]*Passkey, error)
	// UpdatePasskeyUse writes SignCount, BackupState and LastUsedAt only if
	// the stored version still equals p.Version (KindConflict otherwise;
	// KindNotFound if deleted, nil, or not p.UserID's) and updates p.Version.
	UpdatePasskeyUse(ctx context.Context, p *Passkey) error
	// DeletePasskey removes the user's passkey; KindNotFound when the user
	// has no passkey with this ID (another user's counts as none).
	DeletePasskey(ctx context.Context, userID, credentialID string) error
	// DeleteUserPasskeys removes all the user's passkeys (account
	// deletion); a user with none is not an error.
	DeleteUserPasskeys(ctx context.Context, userID string) error
}

// Challenge kinds: what a ceremony or pending sign-in is for.
const (
	ChallengeMFASignIn       = "mfa"              // password proved; waiting for the second factor
	ChallengePasskeyRegister = "passkey_register" // adding a passkey to a signed-in account
	ChallengePasskeySignIn   = "passkey_signin"   // signing in with a discoverable passkey
)

// ChallengeLifetime is how long a pending sign-in or a WebAuthn ceremony
// may take: the server-side state and the cookie binding it both live this
// long.
const ChallengeLifetime = 5 * time.Minute

// ChallengeKinds lists the kinds a ChallengeStore accepts.
var ChallengeKinds = []string{ChallengeMFASignIn, ChallengePasskeyRegister, ChallengePasskeySignIn}

// Challenge is the server-side state of a pending multi-factor sign-in or a
// WebAuthn ceremony. It is single use and bound to the browser: ID also
// travels in a __Host- cookie, and the state is honoured only for that
// cookie, once, within ChallengeLifetime.
type Challenge struct {
	ID        string // random (256 bits), also the cookie value
	Kind      string // one of ChallengeKinds
	UserID    string // the user it is for; "" for a discoverable passkey sign-in
	Data      []byte // the ceremony's state (WebAuthn session data); opaque to the store
	ReturnTo  string // same-origin relative path to land on after sign-in
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Expired reports whether c may no longer be completed at now.
func (c *Challenge) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

// ChallengeStore keeps Challenges between the two requests of a ceremony,
// which any instance may receive.
type ChallengeStore interface {
	// PutChallenge stores c; KindConflict if c.ID exists already.
	PutChallenge(ctx context.Context, c *Challenge) error
	// TakeChallenge reads and deletes the challenge atomically, so it is
	// used at most once: KindNotFound/"challenge_not_found" when missing or
	// taken, KindNotFound/"challenge_expired" when expired (and deleted).
	TakeChallenge(ctx context.Context, id string) (*Challenge, error)
	// DeleteExpiredChallenges deletes challenges expired at or before now and
	// returns how many, for the clean-up timer.
	DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error)
}

// ValidChallenge reports the first problem with c that a store must refuse,
// or nil: the checks every ChallengeStore shares.
func ValidChallenge(c *Challenge) error {
	bad := func(msg string) error { return Errorf(KindInvalid, "invalid_challenge", "%s", msg) }
	if c == nil || !IsLowerHex(c.ID, 64) {
		return bad("The challenge has no valid ID.")
	}
	known := false
	for _, k := range ChallengeKinds {
		known = known || c.Kind == k
	}
	if !known {
		return bad("The challenge kind must be one of " + strings.Join(ChallengeKinds, ", ") + ".")
	}
	if c.UserID != "" && !IsLowerHex(c.UserID, 32) {
		return bad("The challenge names no valid user.")
	}
	if c.ExpiresAt.IsZero() || !c.ExpiresAt.After(c.CreatedAt) {
		return bad("The challenge has no valid expiry.")
	}
	return CheckText("return path", c.ReturnTo)
}

// maxCredentialIDChars is the longest credential ID kept: WebAuthn allows
// 1023 bytes, 1364 characters of unpadded base64url.
const maxCredentialIDChars = 1364

// ValidPasskey reports the first problem with p that a store must refuse,
// or nil: the checks every PasskeyStore shares.
func ValidPasskey(p *Passkey) error {
	bad := func(msg string) error { return Errorf(KindInvalid, "invalid_passkey", "%s", msg) }
	switch {
	case p == nil || p.ID == "" || len(p.ID) > maxCredentialIDChars || !isBase64URL(p.ID):
		return bad("The passkey has no valid credential ID.")
	case !IsLowerHex(p.UserID, 32):
		return bad("The passkey names no valid user.")
	case len(p.PublicKey) == 0:
		return bad("The passkey has no public key.")
	case len(p.Name) > 100:
		return bad("The passkey name is longer than 100 characters.")
	}
	return CheckText("passkey name", p.Name)
}

func isBase64URL(s string) bool {
	for _, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}
