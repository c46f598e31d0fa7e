package auth

import (
	"context"
	"errors"
	"fmt"

	"hospitalpriceline/functions/priceline"
)

// defaultCloudName is shown for a cloud user whose token carries no usable
// display name or address.
const defaultCloudName = "Azure AD B2C user"

// SignInExternal signs in the user a cloud identity provider vouched for and
// starts a session exactly like a password login does (same record, cookie
// and timeouts), with method priceline.MethodB2C.
//
// The user is found by (provider, subject) only. The first sign-in creates
// the account; the token's email is kept only to show, and is never used to
// find or merge with an account: a local account with the same address stays
// a separate account. Trusting the address would hand a local account to
// whoever can get the provider to assert that address, and an external
// provider's email claim is not proof of ownership unless it says so.
// When it does say so, the address goes into a lookup of its own
// (syncCloudEmail) whose only use is "forgot password" pointing the
// account at the provider's reset.
func (s *Service) SignInExternal(ctx context.Context, id *priceline.ExternalIdentity, c Client) (*Result, error) {
	if id == nil || id.Provider != priceline.ProviderB2C || id.Subject == "" {
		// The adapter never produces this; refusing beats creating an
		// account that every subject-less token would then share.
		return nil, priceline.Errorf(priceline.KindUnauthorized, "external_identity_invalid", "The sign-in response did not identify you. Please start again.")
	}
	u, err := s.Users.UserBySubject(ctx, id.Provider, id.Subject)
	switch {
	case err == nil:
	case priceline.IsNotFound(err):
		if u, err = s.createCloudUser(ctx, id); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("sign in with %s: find user: %w", id.Provider, err)
	}
	if u.Provider != id.Provider || u.Subject != id.Subject {
		// A store that ignored part of the key must not sign one person in
		// as another.
		return nil, fmt.Errorf("sign in with %s: store returned user %s for another subject", id.Provider, u.ID)
	}
	res, err := s.StartSession(ctx, u, priceline.MethodB2C, c)
	if err == nil {
		s.event(ctx, EventSignIn, OutcomeSuccess, "b2c", c, u.ID)
		// Every sign-in, not only the first, so accounts made before the
		// lookup existed join it, and a provider that stops vouching for
		// the address takes it out.
		s.syncCloudEmail(ctx, u.ID, u.Email, u.Email, id)
	}
	return res, err
}

// createCloudUser creates the account of a first cloud sign-in. Two first
// sign-ins racing (two tabs, two instances) both try; the store lets one
// win and the other reads the winner's account.
func (s *Service) createCloudUser(ctx context.Context, id *priceline.ExternalIdentity) (*priceline.User, error) {
	email := priceline.NormalizeEmail(id.Email)
	if email != "" && priceline.ValidateEmail(email) != nil {
		email = "" // shown only; a malformed address is not worth refusing the sign-in over
	}
	name, err := cleanName(id.Name)
	if err != nil {
		name = defaultCloudName
		if email != "" {
			name = email
		}
	}
	now := s.now()
	u := &priceline.User{
		ID:        priceline.NewUserID(),
		Provider:  id.Provider,
		Subject:   id.Subject,
		Email:     email,
		Name:      name,
		CreatedAt: now,
		UpdatedAt: now,
	}
	err = s.Users.CreateUser(ctx, u)
	if err == nil {
		s.log().Info("registered", "user_id", u.ID, "provider", u.Provider)
		return u, nil
	}
	if priceline.SubjectTaken.In(err) {
		existing, rerr := s.Users.UserBySubject(ctx, id.Provider, id.Subject)
		if rerr == nil {
			return existing, nil
		}
		err = errors.Join(err, rerr)
	}
	return nil, fmt.Errorf("sign in with %s: create user: %w", id.Provider, err)
}

// UpdateCloudProfile applies a finished profile-edit user flow to u, the
// user signed in on this browser, and returns the updated user.
//
// The provider vouches for id, not for the browser's session: a profile-edit
// response for another cloud account (a second tab signed in as someone
// else, a callback planted by an attacker) must not rename this one. So id
// must be exactly u's (provider, subject), or nothing is written and the
// result is KindForbidden/"b2c_profile_other_user". A name or address the
// token lacks, or that is unusable, keeps the stored one: absence in a token
// is not a request to delete.
func (s *Service) UpdateCloudProfile(ctx context.Context, u *priceline.User, id *priceline.ExternalIdentity) (*priceline.User, error) {
	if u == nil || id == nil || u.Provider != priceline.ProviderB2C || id.Provider != u.Provider ||
		id.Subject == "" || id.Subject != u.Subject {
		return nil, priceline.Errorf(priceline.KindForbidden, "b2c_profile_other_user",
			"The profile you edited belongs to a different account from the one signed in here, so nothing was changed. "+
				"Sign out, sign in with the account you want to change, and edit its profile again.")
	}
	name, err := cleanName(id.Name)
	if err != nil {
		name = u.Name
	}
	email := priceline.NormalizeEmail(id.Email)
	if email == "" || priceline.ValidateEmail(email) != nil {
		email = u.Email
	}
	if name == u.Name && email == u.Email {
		// The address may still have become (un)verified.
		s.syncCloudEmail(ctx, u.ID, u.Email, email, id)
		return u, nil
	}
	if err := s.Users.UpdateProfile(ctx, u.ID, name, email); err != nil {
		return nil, fmt.Errorf("update profile of user %s: %w", u.ID, err)
	}
	// Authenticate may serve this user from the instance's caches; the new
	// name should show on the very next page.
	s.forgetUser(u.ID)
	s.forgetUserSessions(u.ID, "")
	s.syncCloudEmail(ctx, u.ID, u.Email, email, id)
	s.log().Info("profile updated", "user_id", u.ID, "provider", u.Provider)
	updated := *u
	updated.Name, updated.Email, updated.UpdatedAt = name, email, s.now()
	return &updated, nil
}
