package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func secret(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b%26)), 32)) }

func newCodec(t testing.TB, keys ...priceline.SigningKey) *Codec {
	t.Helper()
	if len(keys) == 0 {
		keys = []priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true, Created: testNow}}
	}
	kr := NewKeyring()
	if err := kr.Set(keys); err != nil {
		t.Fatal(err)
	}
	return &Codec{Keys: kr, Issuer: "https://priceline.example", Audience: "priceline-session", Now: func() time.Time { return testNow }, Leeway: 30 * time.Second}
}

func validClaims() Claims {
	return Claims{
		SessionID: strings.Repeat("ab", 32),
		UserID:    strings.Repeat("cd", 16),
		IssuedAt:  testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(time.Hour),
	}
}

// forge builds a token by hand so tests can send what an attacker would.
func forge(t testing.TB, header, payload map[string]any, key []byte, h func() hash.Hash) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(payload)
	if h == nil {
		return signing + "."
	}
	m := hmac.New(h, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func goodHeader() map[string]any { return map[string]any{"alg": "HS256", "typ": "JWT", "kid": "v1"} }

func goodPayload() map[string]any {
	return map[string]any{
		"typ": "session",
		"sid": strings.Repeat("ab", 32),
		"sub": strings.Repeat("cd", 16),
		"iss": "https://priceline.example",
		"aud": "priceline-session",
		"iat": testNow.Add(-time.Minute).Unix(),
		"exp": testNow.Add(time.Hour).Unix(),
	}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m))
	for kk, vv := range m {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func wantInvalidSession(t *testing.T, c *Codec, tok string) {
	t.Helper()
	cl, err := c.Verify(tok)
	if err == nil {
		t.Fatalf("Verify accepted a bad token; claims %+v", cl)
	}
	t.Logf("rejected: %v", err)
	var pe *priceline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Verify error %v is not a *priceline.Error", err)
	}
	if pe.Kind != priceline.KindUnauthorized || pe.Code != "invalid_session" || pe.Message == "" || pe.Err == nil {
		t.Errorf("Verify error = %+v, want KindUnauthorized/invalid_session with message and cause", pe)
	}
	if cl != (Claims{}) {
		t.Errorf("Verify returned claims %+v alongside an error", cl)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	c := newCodec(t)
	want := validClaims()
	tok, err := c.Sign(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims mismatch (-want, +got):\n%s", diff)
	}
	// The header and payload carry exactly what the format promises.
	parts := strings.Split(tok, ".")
	var header, payload map[string]any
	for i, v := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	wantHeader := map[string]any{"alg": "HS256", "typ": "JWT", "kid": "v1"}
	if diff := cmp.Diff(wantHeader, header); diff != "" {
		t.Errorf("header mismatch (-want, +got):\n%s", diff)
	}
	wantPayload := goodPayload()
	for k, v := range wantPayload {
		if n, ok := v.(int64); ok {
			wantPayload[k] = float64(n)
		}
	}
	if diff := cmp.Diff(wantPayload, payload); diff != "" {
		t.Errorf("payload mismatch (-want, +got):\n%s", diff)
	}
}

func TestSignDefaultsIssuedAtToNow(t *testing.T) {
	c := newCodec(t)
	cl := validClaims()
	cl.IssuedAt = time.Time{}
	tok, err := c.Sign(cl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IssuedAt.Equal(testNow) {
		t.Errorf("IssuedAt = %v, want %v", got.IssuedAt, testNow)
	}
}

func TestSignRejectsMalformedClaims(t *testing.T) {
	c := newCodec(t)
	for name, mutate := range map[string]func(*Claims){
		"short session ID":      func(cl *Claims) { cl.SessionID = "abc" },
		"uppercase session ID":  func(cl *Claims) { cl.SessionID = strings.Repeat("AB", 32) },
		"user ID not hex":       func(cl *Claims) { cl.UserID = strings.Repeat("zz", 16) },
		"no expiry":             func(cl *Claims) { cl.ExpiresAt = time.Time{} },
		"expiry before issuing": func(cl *Claims) { cl.ExpiresAt = cl.IssuedAt.Add(-time.Second) },
	} {
		t.Run(name, func(t *testing.T) {
			cl := validClaims()
			mutate(&cl)
			if tok, err := c.Sign(cl); err == nil {
				t.Errorf("Sign(%+v) = %q, want an error", cl, tok)
			} else if priceline.ErrorKind(err) != priceline.KindInternal {
				t.Errorf("Sign error kind = %q, want internal", priceline.ErrorKind(err))
			}
		})
	}
}

func TestSignWithoutKeysIsUnavailable(t *testing.T) {
	c := newCodec(t)
	c.Keys = NewKeyring()
	_, err := c.Sign(validClaims())
	var pe *priceline.Error
	if !errors.As(err, &pe) || pe.Kind != priceline.KindUnavailable || pe.Code != "signing_keys_unavailable" || pe.RetryAfter <= 0 {
		t.Errorf("Sign with empty keyring: err = %v, want KindUnavailable/signing_keys_unavailable with RetryAfter", err)
	}
}

func TestCodecRequiresIssuerAndAudience(t *testing.T) {
	c := newCodec(t)
	tok, err := c.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	// Empty settings would switch the parser's checks off; they must fail closed.
	for name, mutate := range map[string]func(*Codec){
		"no issuer":   func(c *Codec) { c.Issuer = "" },
		"no audience": func(c *Codec) { c.Audience = "" },
		"no keyring":  func(c *Codec) { c.Keys = nil },
	} {
		t.Run(name, func(t *testing.T) {
			cc := *c
			mutate(&cc)
			wantInvalidSession(t, &cc, tok)
			if _, err := cc.Sign(validClaims()); err == nil {
				t.Error("Sign succeeded on a misconfigured codec")
			}
		})
	}
}

func TestASVS_V9_1_1_SignatureVerifiedBeforeContentsAccepted(t *testing.T) {
	c := newCodec(t)
	tok, err := c.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	t.Run("wrong key", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, goodHeader(), goodPayload(), secret(2), sha256.New))
	})
	t.Run("tampered payload", func(t *testing.T) {
		other := with(goodPayload(), "sub", strings.Repeat("ef", 16))
		b, _ := json.Marshal(other)
		wantInvalidSession(t, c, parts[0]+"."+base64.RawURLEncoding.EncodeToString(b)+"."+parts[2])
	})
	t.Run("flipped signature bit", func(t *testing.T) {
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		sig[0] ^= 1
		wantInvalidSession(t, c, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig))
	})
	t.Run("signature removed", func(t *testing.T) {
		wantInvalidSession(t, c, parts[0]+"."+parts[1]+".")
	})
	t.Run("garbage", func(t *testing.T) {
		for _, s := range []string{"", ".", "..", "a.b.c", "not a token", tok + ".x"} {
			wantInvalidSession(t, c, s)
		}
	})
	t.Run("hand-made token with the right key is accepted", func(t *testing.T) {
		// Proves the forged cases above fail for the reason they test.
		if _, err := c.Verify(forge(t, goodHeader(), goodPayload(), secret(1), sha256.New)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestASVS_V9_1_2_AlgorithmAllowlistOnlyHS256(t *testing.T) {
	c := newCodec(t)
	key := secret(1)
	t.Run("alg none", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", "none"), goodPayload(), nil, nil))
	})
	t.Run("alg none with a signature", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", "none"), goodPayload(), key, sha256.New))
	})
	t.Run("alg NONE", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", "NONE"), goodPayload(), nil, nil))
	})
	t.Run("HS512 with the same key", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", "HS512"), goodPayload(), key, sha512.New))
	})
	t.Run("HS384 with the same key", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", "HS384"), goodPayload(), key, sha512.New384))
	})
	t.Run("RS256 header over an HMAC with the same key", func(t *testing.T) {
		// The key-confusion attack: a verifier that trusts alg would treat
		// the HMAC secret as an RSA public key or vice versa.
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", "RS256"), goodPayload(), key, sha256.New))
	})
	t.Run("missing alg", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "alg", nil), goodPayload(), key, sha256.New))
	})
	t.Run("header typ not JWT", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "typ", "at+jwt"), goodPayload(), key, sha256.New))
	})
}

func TestASVS_V9_1_3_KeyChosenOnlyFromPreconfiguredKeyring(t *testing.T) {
	c := newCodec(t,
		priceline.SigningKey{Version: "v2", Secret: secret(2), Enabled: true},
		priceline.SigningKey{Version: "v1", Secret: secret(1), Enabled: true},
	)
	t.Run("unknown kid", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "kid", "v9"), goodPayload(), secret(1), sha256.New))
	})
	t.Run("missing kid never falls back to another key", func(t *testing.T) {
		for _, k := range [][]byte{secret(1), secret(2)} {
			wantInvalidSession(t, c, forge(t, with(goodHeader(), "kid", nil), goodPayload(), k, sha256.New))
		}
	})
	t.Run("empty kid", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "kid", ""), goodPayload(), secret(1), sha256.New))
	})
	t.Run("kid not a string", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "kid", 1), goodPayload(), secret(1), sha256.New))
	})
	t.Run("kid names one key, signed with the other", func(t *testing.T) {
		wantInvalidSession(t, c, forge(t, with(goodHeader(), "kid", "v2"), goodPayload(), secret(1), sha256.New))
	})
	for _, h := range []string{"jku", "jwk", "x5u", "x5c", "crit"} {
		t.Run("header "+h, func(t *testing.T) {
			// Signed with a real key, so only the header can be the reason.
			wantInvalidSession(t, c, forge(t, with(goodHeader(), h, "https://attacker.example/keys"), goodPayload(), secret(1), sha256.New))
		})
	}
}

func TestASVS_V9_2_1_AcceptedOnlyWithinValidityPeriod(t *testing.T) {
	c := newCodec(t)
	sign := func(p map[string]any) string { return forge(t, goodHeader(), p, secret(1), sha256.New) }
	t.Run("expired", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "exp", testNow.Add(-time.Minute).Unix())))
	})
	t.Run("expired beyond leeway", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "exp", testNow.Add(-c.Leeway-time.Second).Unix())))
	})
	t.Run("expired within leeway is accepted", func(t *testing.T) {
		if _, err := c.Verify(sign(with(goodPayload(), "exp", testNow.Add(-c.Leeway/2).Unix()))); err != nil {
			t.Error(err)
		}
	})
	t.Run("no exp", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "exp", nil)))
	})
	t.Run("iat in the future", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "iat", testNow.Add(10*time.Minute).Unix())))
	})
	t.Run("no iat", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "iat", nil)))
	})
	t.Run("nbf in the future", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "nbf", testNow.Add(10*time.Minute).Unix())))
	})
	t.Run("exp not a number", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "exp", "tomorrow")))
	})
	t.Run("signed token expires with the clock", func(t *testing.T) {
		tok, err := c.Sign(validClaims())
		if err != nil {
			t.Fatal(err)
		}
		later := *c
		later.Now = func() time.Time { return testNow.Add(2 * time.Hour) }
		wantInvalidSession(t, &later, tok)
	})
}

func TestASVS_V9_2_2_OnlySessionTypeAccepted(t *testing.T) {
	c := newCodec(t)
	sign := func(p map[string]any) string { return forge(t, goodHeader(), p, secret(1), sha256.New) }
	for name, p := range map[string]map[string]any{
		"typ access":        with(goodPayload(), "typ", "access"),
		"typ reset":         with(goodPayload(), "typ", "password_reset"),
		"typ Session":       with(goodPayload(), "typ", "Session"),
		"typ missing":       with(goodPayload(), "typ", nil),
		"sid missing":       with(goodPayload(), "sid", nil),
		"sid not hex":       with(goodPayload(), "sid", strings.Repeat("zz", 32)),
		"sub missing":       with(goodPayload(), "sub", nil),
		"sub wrong length":  with(goodPayload(), "sub", strings.Repeat("cd", 17)),
		"sub is an email":   with(goodPayload(), "sub", "someone@example.com"),
		"sid wrong type":    with(goodPayload(), "sid", 42),
		"claims not object": nil,
	} {
		t.Run(name, func(t *testing.T) {
			if p == nil {
				tok := forge(t, goodHeader(), goodPayload(), secret(1), sha256.New)
				parts := strings.Split(tok, ".")
				b := base64.RawURLEncoding.EncodeToString([]byte(`["session"]`))
				m := hmac.New(sha256.New, secret(1))
				m.Write([]byte(parts[0] + "." + b))
				wantInvalidSession(t, c, parts[0]+"."+b+"."+base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
				return
			}
			wantInvalidSession(t, c, sign(p))
		})
	}
}

func TestASVS_V9_2_3_OnlyOurAudienceAccepted(t *testing.T) {
	c := newCodec(t)
	sign := func(p map[string]any) string { return forge(t, goodHeader(), p, secret(1), sha256.New) }
	t.Run("wrong aud", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "aud", "priceline-api")))
	})
	t.Run("missing aud", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "aud", nil)))
	})
	t.Run("aud list including ours", func(t *testing.T) {
		wantInvalidSession(t, c, sign(with(goodPayload(), "aud", []string{"priceline-session", "other"})))
	})
	t.Run("codec with another audience rejects our token", func(t *testing.T) {
		tok, err := c.Sign(validClaims())
		if err != nil {
			t.Fatal(err)
		}
		other := *c
		other.Audience = "priceline-admin"
		wantInvalidSession(t, &other, tok)
	})
}

func TestVerifyRejectsWrongIssuer(t *testing.T) {
	c := newCodec(t)
	sign := func(p map[string]any) string { return forge(t, goodHeader(), p, secret(1), sha256.New) }
	wantInvalidSession(t, c, sign(with(goodPayload(), "iss", "https://attacker.example")))
	wantInvalidSession(t, c, sign(with(goodPayload(), "iss", nil)))
}

func TestVerifyRejectsOversizedTokenBeforeParsing(t *testing.T) {
	c := newCodec(t)
	p := with(goodPayload(), "pad", strings.Repeat("x", MaxTokenBytes))
	tok := forge(t, goodHeader(), p, secret(1), sha256.New)
	wantInvalidSession(t, c, tok)
	_, err := c.Verify(tok)
	if !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized token error = %v, want the size limit as cause", err)
	}
	// Just under the limit, a correctly signed token still parses.
	small := forge(t, goodHeader(), with(goodPayload(), "pad", "x"), secret(1), sha256.New)
	pad := MaxTokenBytes - len(small)
	small = forge(t, goodHeader(), with(goodPayload(), "pad", strings.Repeat("x", 1+pad*3/4-8)), secret(1), sha256.New)
	if len(small) > MaxTokenBytes {
		t.Fatalf("test token is %d bytes; fix the padding", len(small))
	}
	if _, err := c.Verify(small); err != nil {
		t.Errorf("token of %d bytes rejected: %v", len(small), err)
	}
}

func TestASVS_V11_2_2_KeyRotation(t *testing.T) {
	v1 := priceline.SigningKey{Version: "v1", Secret: secret(1), Enabled: true, Created: testNow.Add(-48 * time.Hour)}
	v2 := priceline.SigningKey{Version: "v2", Secret: secret(2), Enabled: true, Created: testNow}
	c := newCodec(t, v1)
	old, err := c.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}

	// A new version arrives: it signs, the old one still verifies.
	if err := c.Keys.Set([]priceline.SigningKey{v2, v1}); err != nil {
		t.Fatal(err)
	}
	fresh, err := c.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	if kid := headerKid(t, fresh); kid != "v2" {
		t.Errorf("new token kid = %q, want v2", kid)
	}
	for name, tok := range map[string]string{"old": old, "fresh": fresh} {
		if _, err := c.Verify(tok); err != nil {
			t.Errorf("%s token rejected after rotation: %v", name, err)
		}
	}

	// The old version is disabled: its cookies stop working.
	v1.Enabled = false
	if err := c.Keys.Set([]priceline.SigningKey{v2, v1}); err != nil {
		t.Fatal(err)
	}
	wantInvalidSession(t, c, old)
	if _, err := c.Verify(fresh); err != nil {
		t.Errorf("fresh token rejected after disabling v1: %v", err)
	}

	// And once it is gone from the set altogether.
	if err := c.Keys.Set([]priceline.SigningKey{v2}); err != nil {
		t.Fatal(err)
	}
	wantInvalidSession(t, c, old)
}

func headerKid(t *testing.T, tok string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func BenchmarkSign(b *testing.B) {
	c := newCodec(b)
	cl := validClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Sign(cl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	c := newCodec(b)
	tok, err := c.Sign(validClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// An instance whose keyring has not loaded yet cannot judge a cookie
// another instance signed: it is 503 signing_keys_unavailable, never the
// 401 that would make the browser drop it, and the same cookie verifies
// once the keys are in. Something not even shaped like a JWT is still 401.
func TestVerifyBeforeKeysLoadIsUnavailableNotUnauthorized(t *testing.T) {
	signer := newCodec(t)
	tok, err := signer.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	fresh := newCodec(t)
	fresh.Keys = NewKeyring()
	_, err = fresh.Verify(tok)
	var pe *priceline.Error
	if !errors.As(err, &pe) || pe.Kind != priceline.KindUnavailable || pe.Code != "signing_keys_unavailable" || pe.RetryAfter <= 0 {
		t.Fatalf("Verify before keys load = %v, want KindUnavailable/signing_keys_unavailable with RetryAfter", err)
	}
	for _, junk := range []string{"", "not-a-jwt", "a.b", "a..c", "a.b.c.d", "a.b!.c", strings.Repeat("a", MaxTokenBytes) + ".b.c"} {
		if _, err := fresh.Verify(junk); priceline.ErrorCode(err) != "invalid_session" {
			t.Errorf("Verify(%.20q) before keys load = %v, want invalid_session", junk, err)
		}
	}
	if err := fresh.Keys.Set([]priceline.SigningKey{{Version: "v1", Secret: secret(1), Enabled: true, Created: testNow}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Verify(tok); err != nil {
		t.Fatalf("Verify once the keys are in: %v", err)
	}
}
