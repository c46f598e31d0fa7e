package priceline

import "context"

// BreachedPasswords tells whether a password appears in known data
// breaches (ASVS 5.0 V6.2.12). Implementations fail open: when the service
// behind them is slow or down they skip the check (returning nil, and
// logging that they did) rather than block a sign-up or a reset, because
// the length rule and the embedded blocklist still apply and an outage of
// a third party must not lock people out of their accounts.
type BreachedPasswords interface {
	// CheckBreached returns KindInvalid/"password_breached" when password
	// is known to be breached, and nil otherwise, including when the check
	// was skipped.
	CheckBreached(ctx context.Context, password string) error
}
