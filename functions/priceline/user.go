package priceline

import (
	"context"
	"time"
)

// Identity providers a user can come from. A user belongs to exactly one;
// accounts are never merged across providers by email.
const (
	ProviderLocal = "local" // email and password stored by us
	ProviderB2C   = "b2c"   // Azure AD B2C or Entra External ID
)

// User is an account. Local users are found by Email; cloud users by
// (Provider, Subject).
type User struct {
	ID           string // random, 32 lowercase hex characters; never derived from input
	Provider     string // ProviderLocal or ProviderB2C
	Subject      string // the provider's subject (oid/sub) for cloud users; "" for local
	Email        string // normalised (see NormalizeEmail); may be "" for cloud users
	Name         string
	PasswordHash string // PHC-format argon2id; "" for cloud users
	// EmailVerified is set once the owner of Email followed a link sent to
	// it (verification, password reset, email change); a new address
	// starts unverified. Cloud users' addresses are the provider's business
	// and stay false here.
	EmailVerified bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// UserStore keeps accounts. Implementations must look users up by key, never
// by an OData filter built from input.
type UserStore interface {
	// CreateUser stores u. It fails with KindConflict/"email_taken" when a
	// local user already has u.Email, and KindConflict/"subject_taken" when a
	// cloud user already has (u.Provider, u.Subject). Either the whole user is
	// written (with its lookup index) or nothing is.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns KindNotFound when there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail finds a local user by normalised email; KindNotFound if none.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// PasswordHint reads the email index of a local account: the user's ID
	// and a copy of its password hash, so that a login can start the slow
	// hash check while it reads the user record. The user record stays the
	// authority: the copy can lag a password change (a crash between the
	// two writes, or a race), so a caller must compare it with the record's
	// hash before trusting a match. The index may name a user whose record
	// is missing (a registration that failed half-way), so callers read the
	// record in any case. KindNotFound if no index has the normalised email.
	PasswordHint(ctx context.Context, email string) (userID, passwordHash string, err error)
	// RepairPasswordHint copies the user record's current hash into its
	// email index, for a login that found the copy stale; it changes nothing
	// else, and nothing when the index names another user.
	RepairPasswordHint(ctx context.Context, userID string) error
	// UserBySubject finds a cloud user; KindNotFound if none.
	UserBySubject(ctx context.Context, provider, subject string) (*User, error)
	// UpdatePasswordHash replaces the stored hash with newHash only if it is
	// still oldHash, so a login's rehash cannot write an old password back
	// over a password change made meanwhile on another instance:
	// KindConflict/"password_changed" otherwise; KindNotFound if no user.
	UpdatePasswordHash(ctx context.Context, userID, oldHash, newHash string) error
	// UpdateProfile replaces the display name and email and sets UpdatedAt;
	// KindNotFound if no user. A local user's email is its sign-in key and
	// lookup index, so changing it here fails with
	// KindInvalid/"email_change_not_supported"; a cloud user's email is only
	// shown and may change freely (or become "").
	UpdateProfile(ctx context.Context, userID, name, email string) error
	// MarkEmailVerified sets EmailVerified on a local user whose email is
	// still email: KindConflict/"email_changed" when the address changed
	// since the link was sent, KindNotFound if no user.
	MarkEmailVerified(ctx context.Context, userID, email string) error
	// ChangeEmail moves a local user from oldEmail to newEmail, which
	// becomes verified (the change is made only by following a link sent
	// to it). The email index moves with it so that no two accounts ever
	// hold one address: the new index is claimed first (KindConflict/
	// "email_taken" when another account has it), then the record changes
	// (KindConflict/"email_changed" when its email is no longer oldEmail),
	// then the old index is released. KindNotFound if no user.
	ChangeEmail(ctx context.Context, userID, oldEmail, newEmail string) error
	// DeleteUser removes the user record, its lookup index (only when the
	// index still names this user) and everything else the store keeps in
	// the user's name (account tokens). Deleting a missing user is not an
	// error.
	DeleteUser(ctx context.Context, userID string) error
}
