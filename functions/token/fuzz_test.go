package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// fuzzClock is the fixed time of every fuzz run, so that the seed cookies
// in testdata/fuzz/FuzzVerify stay inside their validity period.
var fuzzClock = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fuzzCodec is a codec with two enabled key versions, "current" (signs)
// and "previous", and one disabled version "retired".
func fuzzCodec(f *testing.F) *Codec {
	keys := NewKeyring()
	err := keys.Set([]priceline.SigningKey{
		{Version: "current", Secret: bytes.Repeat([]byte{0x11}, 32), Enabled: true},
		{Version: "previous", Secret: bytes.Repeat([]byte{0x22}, 32), Enabled: true},
		{Version: "retired", Secret: bytes.Repeat([]byte{0x33}, 32), Enabled: false},
	})
	if err != nil {
		f.Fatal(err)
	}
	return &Codec{Keys: keys, Issuer: "https://priceline.example", Audience: "https://priceline.example", Now: func() time.Time { return fuzzClock }, Leeway: 30 * time.Second}
}

// FuzzVerify feeds arbitrary strings to the session-cookie parser. However
// the input is shaped (alg none, other algorithms, unknown or retired kid,
// extra headers, several audiences, oversized, not base64), Verify must not
// panic, must answer every failure with the one KindUnauthorized
// "invalid_session" error, and must accept only what an independent check
// (unsigned) confirms was signed with an enabled version and is still valid.
// Seeds signed with the right key but with bad claims exercise the claim
// checks behind the signature.
func FuzzVerify(f *testing.F) {
	c := fuzzCodec(f)
	valid, err := c.Sign(Claims{
		SessionID: "5f0c6e8a9b1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d",
		UserID:    "0123456789abcdef0123456789abcdef",
		IssuedAt:  fuzzClock.Add(-time.Minute),
		ExpiresAt: fuzzClock.Add(time.Hour),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Fuzz(func(t *testing.T, tok string) {
		cl, err := c.Verify(tok)
		if err != nil {
			var pe *priceline.Error
			if !errors.As(err, &pe) || pe.Kind != priceline.KindUnauthorized || pe.Code != "invalid_session" || pe.Message == "" {
				t.Fatalf("Verify(%q) error = %v, want KindUnauthorized invalid_session", tok, err)
			}
			if cl != (Claims{}) {
				t.Fatalf("Verify(%q) returned claims %+v with an error", tok, cl)
			}
			return
		}
		if why := unsigned(tok, cl); why != "" {
			t.Fatalf("Verify accepted %q (claims %+v) although %s", tok, cl, why)
		}
	})
}

// unsigned checks an accepted cookie independently of the JWT library: it
// must be three strict base64url parts, HS256 under an enabled version named
// by kid, with claims in the expected shape and still valid. It returns why
// not, or "".
func unsigned(tok string, cl Claims) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "it does not have three parts"
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return "its header is not strict base64url"
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil || h.Alg != "HS256" {
		return "its header does not name HS256"
	}
	secrets := map[string][]byte{"current": bytes.Repeat([]byte{0x11}, 32), "previous": bytes.Repeat([]byte{0x22}, 32)}
	secret, ok := secrets[h.Kid]
	if !ok {
		return "its kid " + strconv.Quote(h.Kid) + " is not an enabled version"
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return "its signature is not HMAC-SHA256 under that version"
	}
	if !sessionIDPattern.MatchString(cl.SessionID) || !userIDPattern.MatchString(cl.UserID) {
		return "its session or user ID is malformed"
	}
	if !cl.ExpiresAt.After(fuzzClock.Add(-30 * time.Second)) {
		return "it has expired"
	}
	return ""
}
