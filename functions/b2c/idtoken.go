package b2c

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"hospitalpriceline/functions/priceline"
)

const (
	// clockLeeway absorbs clock skew between us and the provider.
	clockLeeway    = 2 * time.Minute
	maxIDTokenSize = 16 << 10
	maxNameRunes   = 200
)

// idClaims are the ID token claims we read. B2C (token version 1.0) puts
// the user flow in tfp, or in acr when the tenant is configured that way,
// and local-account addresses in emails; External ID (2.0) uses email.
type idClaims struct {
	jwt.RegisteredClaims
	Nonce         string   `json:"nonce"`
	TFP           string   `json:"tfp"`
	ACR           string   `json:"acr"`
	OID           string   `json:"oid"`
	Name          string   `json:"name"`
	Email         string   `json:"email"`
	Emails        []string `json:"emails"`
	EmailVerified any      `json:"email_verified"`
	// AuthTime is when the user last actively signed in (OIDC Core 2).
	AuthTime *jwt.NumericDate `json:"auth_time"`
}

// ValidateIDToken verifies raw and returns the identity it asserts: an RS256
// signature by a key from the provider's JWKS, iss exactly the metadata
// issuer, aud exactly our client ID, exp/nbf/iat within clockLeeway, nonce
// equal to nonce, and for B2C the policy claim equal to policy ("" means the
// default policy).
func (c *Client) ValidateIDToken(ctx context.Context, raw, nonce, policy string) (*priceline.ExternalIdentity, error) {
	pc, err := c.policyClient(policy)
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, tokenInvalid(errors.New("token response has no id_token"))
	}
	if len(raw) > maxIDTokenSize {
		return nil, tokenInvalid(fmt.Errorf("id_token is %d bytes", len(raw)))
	}
	if nonce == "" {
		// Every flow sends a nonce; validating without one would accept
		// any replayed token.
		return nil, tokenInvalid(errors.New("no expected nonce"))
	}
	meta, err := c.metadata(ctx, pc)
	if err != nil {
		return nil, err
	}
	ks := c.keySet(meta.JWKSURI)

	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(meta.Issuer),
		jwt.WithAudience(c.cfg.ClientID),
		jwt.WithLeeway(clockLeeway),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(c.now),
	)
	var claims idClaims
	_, err = parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token header has no kid")
		}
		return c.key(ctx, ks, kid)
	})
	if err != nil {
		var unavail errUnavailableKeys
		if errors.As(err, &unavail) {
			return nil, unavailable(fmt.Errorf("verify id_token: %w", unavail.err))
		}
		return nil, tokenInvalid(fmt.Errorf("verify id_token: %w", err))
	}
	if err := c.checkClaims(&claims, nonce, pc.policy); err != nil {
		return nil, tokenInvalid(err)
	}
	return c.identity(&claims, pc.policy)
}

// checkClaims does the checks the JWT library leaves to us.
func (c *Client) checkClaims(cl *idClaims, nonce, policy string) error {
	// One audience only: a token also issued to another client would need
	// an azp check, and our provider never issues one.
	if len(cl.Audience) != 1 || cl.Audience[0] != c.cfg.ClientID {
		return fmt.Errorf("aud %q is not exactly our client ID", []string(cl.Audience))
	}
	if cl.IssuedAt == nil {
		return errors.New("id_token has no iat")
	}
	if subtle.ConstantTimeCompare([]byte(cl.Nonce), []byte(nonce)) != 1 {
		return errors.New("nonce does not match the one sent for this sign-in")
	}
	if !c.auth.externalID {
		got := cl.TFP
		if got == "" {
			got = cl.ACR
		}
		if !strings.EqualFold(got, policy) {
			return fmt.Errorf("token is for policy %q, want %q", sanitize(got, 100), policy)
		}
	}
	return nil
}

// identity builds the ExternalIdentity from verified claims.
func (c *Client) identity(cl *idClaims, policy string) (*priceline.ExternalIdentity, error) {
	// oid is the user's immutable object ID in the tenant. sub is the same in
	// B2C by default, but pairwise per app in External ID and, in some B2C
	// configurations, a placeholder sentence; so oid wins.
	subject := cl.OID
	if subject == "" {
		subject = cl.Subject
	}
	if subject == "" || len(subject) > 128 || strings.ContainsFunc(subject, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return nil, tokenInvalid(fmt.Errorf("id_token has no usable oid or sub (%q)", sanitize(subject, 60)))
	}
	email := cl.Email
	if email == "" && len(cl.Emails) > 0 {
		email = cl.Emails[0]
	}
	email = priceline.NormalizeEmail(email)
	if priceline.ValidateEmail(email) != nil {
		// An address we could not send mail to is no better than none.
		email = ""
	}
	verified := false
	switch v := cl.EmailVerified.(type) {
	case bool:
		verified = v
	case string:
		verified = strings.EqualFold(v, "true")
	}
	id := &priceline.ExternalIdentity{
		Provider:      priceline.ProviderB2C,
		Subject:       subject,
		Email:         email,
		Name:          cleanName(cl.Name),
		EmailVerified: verified && email != "",
	}
	if cl.AuthTime != nil {
		id.AuthTime = cl.AuthTime.Time
	}
	if !c.auth.externalID {
		id.Policy = policy
	}
	return id, nil
}

// checkAuthTime refuses a re-authentication whose ID token does not show a
// sign-in within maxAge of now: no auth_time at all (the provider ignored
// max_age, or External ID without the optional claim), one too old (its
// single-sign-on session answered instead of a new sign-in), or one too far
// in the future. clockLeeway allows for skew both ways.
func checkAuthTime(authTime time.Time, maxAge time.Duration, now time.Time) error {
	switch {
	case authTime.IsZero():
		return reauthRequired(errors.New("id_token has no auth_time"))
	case authTime.After(now.Add(clockLeeway)):
		return reauthRequired(fmt.Errorf("auth_time is %s in the future", authTime.Sub(now).Round(time.Second)))
	case now.Sub(authTime) > maxAge+clockLeeway:
		return reauthRequired(fmt.Errorf("auth_time is %s old, more than %s", now.Sub(authTime).Round(time.Second), maxAge))
	}
	return nil
}

// reauthRequired is the answer to a re-authentication the provider did not
// do freshly enough.
func reauthRequired(err error) error {
	return priceline.ReauthRequired.Wrap(err)
}

// cleanName trims a display name, drops control and format characters
// (bidi overrides could disguise it) and bounds its length.
func cleanName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			continue
		}
		if n == maxNameRunes {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
