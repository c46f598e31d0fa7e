package token

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"hospitalpriceline/functions/priceline"
)

// MaxTokenBytes bounds what Verify will parse. A session cookie is a few
// hundred bytes; anything larger is an attack on the parser, not a session.
const MaxTokenBytes = 4096

// sessionType is the payload "typ" of a session cookie. Checking it stops a
// token minted for another purpose with the same key being used as a session.
const sessionType = "session"

// Claims are what a session cookie asserts; the Table record stays the
// authority. Times are carried in whole seconds.
type Claims struct {
	SessionID string    // priceline.NewSessionID: 64 hex characters
	UserID    string    // priceline.NewUserID: 32 hex characters
	IssuedAt  time.Time // defaults to Now when zero
	ExpiresAt time.Time // required
}

// Codec signs and verifies session cookies.
type Codec struct {
	Keys     *Keyring
	Issuer   string           // required; the "iss" every cookie carries
	Audience string           // required; the single "aud" every cookie carries
	Now      func() time.Time // defaults to time.Now
	Leeway   time.Duration    // clock skew tolerated on exp and iat
}

var (
	sessionIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	userIDPattern    = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// payload is the JSON claim set. aud is a plain string, not jwt.ClaimStrings,
// so a token carrying several audiences fails to decode instead of being
// accepted for any one of them.
type payload struct {
	Type      string           `json:"typ"`
	SessionID string           `json:"sid"`
	Subject   string           `json:"sub"`
	Issuer    string           `json:"iss"`
	Audience  string           `json:"aud"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
}

func (p *payload) GetExpirationTime() (*jwt.NumericDate, error) { return p.ExpiresAt, nil }
func (p *payload) GetIssuedAt() (*jwt.NumericDate, error)       { return p.IssuedAt, nil }
func (p *payload) GetNotBefore() (*jwt.NumericDate, error)      { return p.NotBefore, nil }
func (p *payload) GetIssuer() (string, error)                   { return p.Issuer, nil }
func (p *payload) GetSubject() (string, error)                  { return p.Subject, nil }
func (p *payload) GetAudience() (jwt.ClaimStrings, error) {
	if p.Audience == "" {
		return nil, nil
	}
	return jwt.ClaimStrings{p.Audience}, nil
}

// Validate runs after the signature and the registered claims have been
// checked; it holds the session-specific rules.
func (p *payload) Validate() error {
	if p.Type != sessionType {
		return fmt.Errorf("token type %q is not %q", p.Type, sessionType)
	}
	if p.IssuedAt == nil {
		return errors.New("token has no iat")
	}
	if !sessionIDPattern.MatchString(p.SessionID) {
		return errors.New("sid is not a session ID")
	}
	if !userIDPattern.MatchString(p.Subject) {
		return errors.New("sub is not a user ID")
	}
	return nil
}

// headers an HS256 session cookie never carries. Keys are chosen only by kid
// from the Keyring, so these are ignored anyway, but a token that carries
// them was not made by us (ASVS 9.1.3), and "crit" demands that we refuse
// extensions we do not understand (RFC 7515 section 4.1.11).
var forbiddenHeaders = []string{"jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit"}

func (c *Codec) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Codec) checkConfig() error {
	// An empty issuer or audience would silently switch those checks off in
	// the parser, so it is a wiring bug, not a default.
	switch {
	case c.Keys == nil:
		return errors.New("codec has no keyring")
	case c.Issuer == "":
		return errors.New("codec has no issuer")
	case c.Audience == "":
		return errors.New("codec has no audience")
	}
	return nil
}

// Sign returns a signed session cookie for cl, using the newest enabled key.
// It fails with KindUnavailable when no key has been loaded yet, and never
// falls back to any other key.
func (c *Codec) Sign(cl Claims) (string, error) {
	if err := c.checkConfig(); err != nil {
		return "", priceline.Wrap(fmt.Errorf("sign session token: %w", err), priceline.KindInternal, "token_config", "Something went wrong. Please try again.")
	}
	if cl.IssuedAt.IsZero() {
		cl.IssuedAt = c.now()
	}
	switch {
	case !sessionIDPattern.MatchString(cl.SessionID):
		return "", priceline.Errorf(priceline.KindInternal, "token_claims", "Something went wrong. Please try again.")
	case !userIDPattern.MatchString(cl.UserID):
		return "", priceline.Errorf(priceline.KindInternal, "token_claims", "Something went wrong. Please try again.")
	case !cl.ExpiresAt.After(cl.IssuedAt):
		return "", priceline.Errorf(priceline.KindInternal, "token_claims", "Something went wrong. Please try again.")
	}
	key, ok := c.Keys.Signing()
	if !ok {
		return "", NoKeysError("sign session token")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, &payload{
		Type:      sessionType,
		SessionID: cl.SessionID,
		Subject:   cl.UserID,
		Issuer:    c.Issuer,
		Audience:  c.Audience,
		IssuedAt:  jwt.NewNumericDate(cl.IssuedAt),
		ExpiresAt: jwt.NewNumericDate(cl.ExpiresAt),
	})
	t.Header["kid"] = key.Version
	s, err := t.SignedString(key.Secret)
	if err != nil {
		return "", priceline.Wrap(fmt.Errorf("sign session token with key %q: %w", key.Version, err), priceline.KindInternal, "token_sign", "Something went wrong. Please try again.")
	}
	return s, nil
}

// noKeysRetryAfter is what a client is told to wait while no signing key is
// loaded. That happens only at startup (a loaded keyring keeps its keys
// through vault outages), and the first load is retried from one second up.
const noKeysRetryAfter = 5 * time.Second

// NoKeysError is the answer while no signing key has been loaded yet (Key
// Vault has not answered since the process started): KindUnavailable
// "signing_keys_unavailable" with RetryAfter. op says what could not be done,
// for logs. The web layer uses it too, so the code is the same whichever
// layer notices first.
func NoKeysError(op string) *priceline.Error {
	return priceline.Unavailable(fmt.Errorf("%s: no signing key loaded", op), "signing_keys_unavailable",
		"Sign-in is temporarily unavailable. Please try again shortly.", noKeysRetryAfter)
}

// Verify checks tok's size, algorithm, key, signature, issuer, audience,
// type and validity period, and returns its claims. Every failure is the same
// KindUnauthorized "invalid_session" error, so callers cannot leak which
// check failed; the cause is kept for logs.
//
// One exception: while no key is loaded at all, a token that looks like a
// session cookie cannot be judged, so it is NoKeysError (503), never
// invalid_session. An instance that starts while Key Vault is unreachable
// must not tell browsers to drop cookies another instance signed and will
// verify. Something that is not even shaped like a JWT is still refused.
func (c *Codec) Verify(tok string) (Claims, error) {
	if c.Keys != nil && !c.Keys.Loaded() && looksLikeJWT(tok) {
		return Claims{}, NoKeysError("verify session token")
	}
	cl, err := c.verify(tok)
	if err != nil {
		return Claims{}, priceline.Wrap(err, priceline.KindUnauthorized, "invalid_session", "Your session is not valid. Please sign in again.")
	}
	return cl, nil
}

func (c *Codec) verify(tok string) (Claims, error) {
	if err := c.checkConfig(); err != nil {
		return Claims{}, fmt.Errorf("verify session token: %w", err)
	}
	if len(tok) > MaxTokenBytes {
		return Claims{}, fmt.Errorf("verify session token: %d bytes is over the %d-byte limit", len(tok), MaxTokenBytes)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(c.Leeway),
		jwt.WithTimeFunc(c.now),
		jwt.WithStrictDecoding(),
	)
	var p payload
	if _, err := parser.ParseWithClaims(tok, &p, c.key); err != nil {
		return Claims{}, fmt.Errorf("verify session token: %w", err)
	}
	return Claims{
		SessionID: p.SessionID,
		UserID:    p.Subject,
		IssuedAt:  p.IssuedAt.Time,
		ExpiresAt: p.ExpiresAt.Time,
	}, nil
}

// looksLikeJWT reports whether tok has the shape of a compact JWS within
// MaxTokenBytes: three non-empty base64url parts. It proves nothing about
// the token; it only separates "cannot judge yet" from "not a cookie of ours".
func looksLikeJWT(tok string) bool {
	if len(tok) > MaxTokenBytes {
		return false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}

// key picks the secret named by the header's kid. An unknown or missing kid
// fails: trying other keys would let a retired key keep working.
func (c *Codec) key(t *jwt.Token) (any, error) {
	// The parser has already enforced the algorithm allowlist; checking the
	// method type again keeps the HMAC secret from ever reaching another
	// algorithm if that option were lost in a refactor.
	if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
		return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
	}
	if typ, ok := t.Header["typ"].(string); !ok || typ != "JWT" {
		return nil, fmt.Errorf("header typ %v is not JWT", t.Header["typ"])
	}
	for _, h := range forbiddenHeaders {
		if _, ok := t.Header[h]; ok {
			return nil, fmt.Errorf("header %q is not allowed", h)
		}
	}
	kid, ok := t.Header["kid"].(string)
	if !ok || kid == "" {
		return nil, errors.New("token has no kid")
	}
	secret, ok := c.Keys.Lookup(kid)
	if !ok {
		return nil, fmt.Errorf("no enabled key %q", kid)
	}
	return secret, nil
}
