package b2ctest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// idToken builds and signs the ID token for g with fault applied. The
// caller holds s.mu.
func (s *Server) idToken(g *grant, f Fault) string {
	now := s.now()
	u := g.user
	claims := map[string]any{
		"iss":   issuerFor(g.host),
		"aud":   g.clientID,
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"oid":   u.ObjectID,
		"sub":   u.ObjectID,
		"name":  u.Name,
		"nonce": g.nonce,
	}
	if g.host == ExternalIDHost {
		claims["ver"] = "2.0"
		claims["tid"] = TenantID
		// External ID's sub is pairwise per application; oid is the user.
		sum := sha256.Sum256([]byte(u.ObjectID + "|" + g.clientID))
		claims["sub"] = base64.RawURLEncoding.EncodeToString(sum[:20])
		if u.Email != "" {
			claims["email"] = u.Email
			claims["preferred_username"] = u.Email
			claims["email_verified"] = u.EmailVerified
		}
		// auth_time is optional in Entra tokens, but OIDC Core requires it
		// whenever max_age was sent.
		if g.maxAgeAsked {
			claims["auth_time"] = g.authTime.Unix()
		}
	} else {
		claims["ver"] = "1.0"
		claims["auth_time"] = g.authTime.Unix()
		if u.Email != "" {
			claims["emails"] = []string{u.Email}
		}
		if s.opts.ACRPolicyClaim {
			claims["acr"] = strings.ToLower(g.policy)
		} else {
			claims["tfp"] = g.policy
		}
	}

	signer := s.signer
	kid := signer.kid
	alg := "RS256"
	switch f {
	case FaultWrongIssuer:
		claims["iss"] = "https://" + B2CHost + "/0d3c2b1a-0000-4000-8000-000000000bad/v2.0/"
	case FaultWrongAudience:
		claims["aud"] = "00000000-0000-4000-8000-0000000000aa"
	case FaultWrongNonce:
		claims["nonce"] = "not-the-nonce-that-was-sent"
	case FaultExpired:
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["nbf"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	case FaultNotYetValid:
		claims["iat"] = now.Add(time.Hour).Unix()
		claims["nbf"] = now.Add(time.Hour).Unix()
		claims["exp"] = now.Add(2 * time.Hour).Unix()
	case FaultBadSignature:
		signer = poolKey(s.nextPool) // a key nobody published, under the published kid
	case FaultUnknownKid:
		signer = poolKey(s.nextPool)
		kid = signer.kid
	case FaultAlgNone:
		alg = "none"
	case FaultAlgHS256:
		alg = "HS256"
	case FaultWrongPolicy:
		if _, ok := claims["acr"]; ok {
			claims["acr"] = "b2c_1_someotherflow"
		} else {
			claims["tfp"] = "B2C_1_someotherflow"
		}
	case FaultNoAuthTime:
		delete(claims, "auth_time")
	case FaultNoSubject:
		delete(claims, "oid")
		delete(claims, "sub")
	}

	header := map[string]any{"typ": "JWT", "alg": alg, "kid": kid}
	signingInput := encodeSegment(header) + "." + encodeSegment(claims)
	var sig []byte
	switch alg {
	case "none":
	case "HS256":
		// The classic key-confusion attack: HMAC keyed with the public key
		// a verifier might hand to any algorithm the token names.
		der, err := x509.MarshalPKIXPublicKey(&s.signer.key.PublicKey)
		if err != nil {
			panic(fmt.Sprintf("b2ctest: marshal public key: %v", err))
		}
		mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		mac.Write([]byte(signingInput))
		sig = mac.Sum(nil)
	default:
		sum := sha256.Sum256([]byte(signingInput))
		var err error
		sig, err = rsa.SignPKCS1v15(rand.Reader, signer.key, crypto.SHA256, sum[:])
		if err != nil {
			panic(fmt.Sprintf("b2ctest: sign: %v", err))
		}
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func encodeSegment(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("b2ctest: marshal JWT segment: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("b2ctest: crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signInPage stands in for the B2C sign-in page in browser tests. Element
// IDs are stable so tests can fill and click them.
var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - {{.Tenant}}</title></head>
<body>
<main>
<h1>Sign in to {{.Tenant}}</h1>
<p>User flow: <span id="policy">{{.Policy}}</span></p>
<form id="localAccountForm" method="post" action="{{.Action}}">
<input type="hidden" name="tx" value="{{.TX}}">
<p><label for="email">Email address</label> <input id="email" name="email" type="email" autocomplete="username"></p>
<p><label for="name">Display name</label> <input id="name" name="name" type="text" autocomplete="name"></p>
<p><button id="next" type="submit">Sign in</button>
<button id="forgotPassword" name="forgot" value="1" type="submit">Forgot your password?</button>
<button id="cancel" name="cancel" value="1" type="submit" formnovalidate>Cancel</button></p>
</form>
</main>
</body>
</html>
`))
