// Package auth runs the account and session flows — registration, login,
// logout, the session list, password change, session clean-up, cloud
// sign-in, and the account lifecycle (email verification, password reset,
// email change, deletion, re-authentication; mail through the outbox;
// security events) — against the domain interfaces in package priceline. It knows
// nothing of HTTP, so the JSON API, the HTML forms and the B2C callback all
// run the same code and get the same controls (ASVS 5.0 V6.3.4).
//
// # Cloud sign-in (Azure AD B2C / Entra External ID)
//
// CloudSignIn holds a priceline.IdentityProvider (b2c.Client) and the flow
// and token-cache stores; the steps are Service methods, one per route of
// package web: BeginCloudSignIn, BeginCloudPasswordReset and
// BeginCloudProfileEdit store a new flow and return the provider's URL;
// FinishCloudSignIn takes the flow the browser's cookie names (single use,
// expiry checked), lets the provider verify the callback, and then signs in
// through SignInExternal, applies a profile edit (UpdateCloudProfile), starts
// the password reset the user asked for, or returns a cancel; SignOutCloud
// ends the session and returns the provider's end-session URL. Each returns
// a CloudOutcome — where to redirect, a flow ID for the cookie, a new session
// — which the web layer turns into cookies and a redirect. The clean-up timer
// runs DeleteExpiredCloudFlows and DeleteOrphanedCloudTokens.
// docs/cloud-identity.md ("Where the code lives") follows the callback from
// route to adapter.
//
// # Sessions (ASVS 5.0 V7.1.1, V7.2, V7.3, V7.4)
//
// A session is a server-side record keyed by the SHA-256 of a 256-bit random
// session ID; the browser holds the ID only inside a signed cookie, and the
// record stays the authority, so logout, revocation and password change take
// effect on the very next request. Every login creates a new session ID
// (no fixation); the web layer ends any session the browser already had.
//
//   - Idle timeout 30 minutes: a session not used for that long is refused and
//     deleted. Use slides the idle deadline, written at most once a minute per
//     session so that a busy page does not turn every request into a write.
//   - Absolute lifetime 12 hours from sign-in, never extended by use.
//     Both limits are the AAL2 reauthentication limits of NIST SP 800-63B
//     revision 3 (§4.2.3), although password sign-in is only AAL1, for which
//     NIST asks for reauthentication merely every 30 days: a shared or kiosk
//     browser in a hospital is a realistic risk, and a daily sign-in costs a
//     price-comparison user little.
//   - Concurrent sessions are not limited (V7.1.2); users see their live
//     sessions, newest first, and can end any one or all the others.
//   - A password change ends every session of the user, the current one
//     included, and issues a fresh one to the browser that made the change
//     (V7.4.3).
//   - The timer function deletes expired records; expired records are refused
//     whether or not it has run.
//
// # Login throttling (ASVS 5.0 V6.1.1, V6.3.1; NIST SP 800-63B "Rate Limiting")
//
// Failed logins are counted in the AttemptStore, which every instance shares,
// under two keys: "acct:" plus the normalised email, and "ip:" plus the client
// address (IPv6 addresses by their /64, which one attacker usually holds
// whole). The account counter is kept for emails that have no account too,
// and nothing about a refusal depends on whether the account exists, so
// throttling cannot be used to find out which emails are registered.
//
// Each counter allows some failures for free and then makes every further
// attempt wait, from the time of the last failure, for a delay that doubles
// with each failure:
//
//	                 free failures  first delay  longest delay  lock at  forgotten after
//	per account      5              1s           15m            100      24h without a failure
//	per IP address   50             1s           15m            never    24h without a failure
//	per device       5              1s           15m            10 (*)   24h without a failure
//
// (*) a device cookie at its limit is no longer trusted; see below.
//
// So after the 5th consecutive failure on an account the next attempt must
// wait 1s, after the 6th 2s, then 4s, … up to 15 minutes. An attempt that comes
// too early is refused with KindTooManyRequests "too_many_attempts" and a
// RetryAfter; it never reaches the password check (no hashing, so a throttled
// flood costs the server almost nothing) and it is not counted, so hammering
// does not lengthen the wait.
//
// NIST SP 800-63B allows at most 100 consecutive failed attempts on one
// account. After the 100th failure the account refuses every attempt, the
// right password included, until 24 hours after that failure. Because refused
// attempts are not counted the count cannot pass 100, and because the lock is
// measured from the last counted failure it lifts by itself: an attacker
// cannot extend it by failing once more, only by failing 100 times again at
// the pace the delays allow, which takes about 21 hours of continuous
// guessing. A determined attacker can thus keep one account unusable for most
// of the time, but only by sustaining the attack, and the real user waits at
// most 15 minutes between attempts until the lock; this is the balance NIST
// describes between online guessing and malicious lockout, and device
// cookies (below) keep the owner's known browsers out of that lock. A
// successful login without a device cookie, a password change or a password
// reset clears the account counter.
//
// A successful login clears the account counter but not the IP counter;
// otherwise an attacker could clear their own address by signing in to an
// account of their own between guesses at other people's. The IP counter
// therefore only forgets after 24 quiet hours, and its 50 free failures are
// what keeps a busy shared address (a hospital or a mobile carrier NAT)
// usable.
//
// Counting is reserve-then-check: an attempt is counted on its counters
// before the password is hashed, by AttemptStore.Reserve, which makes the
// limit's decision and the increment one write conditional on the record
// the decision saw (the Table entity's ETag; a 412 means another instance
// wrote first, and the decision is made again on the fresh record). So a
// burst of parallel attempts, on one instance or many, gets distinct counts,
// and no more of them reach the hasher than the limit allows: 200 parallel
// failed logins from one address check exactly 50 passwords. A refused
// attempt writes nothing. Once the password has been checked, a failure
// stays counted; a success resets the account counter and gives the address
// counter its attempt back (AttemptStore.Release); an attempt the system
// could not decide (store down, hashers busy) is given back on every counter.
// Within one instance, reservations on one key queue on a lock held only
// while reserving, so the conditional writes race only between instances.
//
// # Device cookies (OWASP "Slow down online guessing attacks with device cookies")
//
// The account lock lets an attacker who fails about 100 times a day keep an
// owner out. So every sign-in to a local account (a password alone, a
// password and a second factor, or a passkey alone: startLocalSession)
// gives the browser a device cookie (token.Codec.SignDevice: a random
// nonce and an expiry, HMAC-signed over them and the account with a key
// derived from the session-signing keys; valid DeviceCookieLifetime); a
// cloud sign-in gives none, the account having no password here. A login
// that brings a valid device cookie for the very account it is for is
// counted on that device's own counter
// (ThrottlePolicy.Device: 5 free failures, the same doubling waits, and at
// 10 failures the cookie is no longer trusted until 24 quiet hours have
// passed) and not on the account's or the address's: the owner on a known
// browser still signs in while the account is locked for everyone else, and
// the owner's success leaves the attacker's count on the account as it was.
// A forged cookie, an expired one, one signed with a disabled key version
// and another account's cookie are ignored: the attempt is counted like one
// without a cookie.
//
// # Cloud sign-in starts
//
// BeginCloudSignIn and BeginCloudPasswordReset store a flow record that
// lives until it expires (the clean-up timer sweeps expired ones), so every
// start is counted per client address ("b2c:" counter, ThrottlePolicy.
// CloudStart: 60 free, then waits doubling from 1s to 10s, forgotten after
// 10 quiet minutes) and refused past that with "too_many_attempts".
//
// A wrong current password in a password change counts as a failed attempt
// on the account, and a throttled account cannot change its password either,
// so a stolen session cannot be used to guess the password.
//
// An unknown email, a malformed email, an account without a password (a B2C
// user) and a wrong password all return the same KindUnauthorized
// "invalid_credentials" error after the same amount of argon2id work
// (ASVS 5.0 V6.3.8). A malformed email has no account counter, since no
// account can have it; the IP counter still applies. A client without a
// usable IP address (none, unparseable, loopback or unspecified, which is
// what every request looks like behind the Functions host unless the
// forwarded address is trusted) is throttled by account only, so the web
// layer must pass the real client address.
package auth
