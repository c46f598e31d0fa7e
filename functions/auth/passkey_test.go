package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/priceline"
)

const testOrigin = "https://priceline.test"

// softKey is a passkey held by a software authenticator for the tests: it
// answers the ceremonies as a browser would, and can be told to lie.
type softKey struct {
	id      []byte
	key     *ecdsa.PrivateKey
	user    []byte
	counter uint32
	// What it claims (tests change them to forge answers).
	origin, rpID, format string
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{id: id, key: k, origin: testOrigin, rpID: "priceline.test", format: "none"}
}

var b64 = base64.RawURLEncoding

// challengeOf reads publicKey.challenge from ceremony options.
func challengeOf(t *testing.T, options any) string {
	t.Helper()
	b, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o.PublicKey.Challenge
}

func (k *softKey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return b
}

func (k *softKey) authData(flags byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(k.rpID))
	out := append([]byte{}, rp[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, k.counter)
	return append(out, attested...)
}

// register answers a registration ceremony.
func (k *softKey) register(t *testing.T, options any, user *priceline.User) []byte {
	t.Helper()
	k.user = []byte(user.ID)
	x, y := k.key.PublicKey.X.FillBytes(make([]byte, 32)), k.key.PublicKey.Y.FillBytes(make([]byte, 32))
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
	k.counter++
	ad := k.authData(0x01|0x04|0x40, attested) // UP, UV, AT
	att, err := cbor.Marshal(map[string]any{"fmt": k.format, "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(k.clientData("webauthn.create", challengeOf(t, options))),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	return body
}

// assert answers a sign-in ceremony.
func (k *softKey) assert(t *testing.T, options any) []byte {
	t.Helper()
	k.counter++
	ad := k.authData(0x01|0x04, nil) // UP, UV
	cd := k.clientData("webauthn.get", challengeOf(t, options))
	sum := sha256.Sum256(append(append([]byte{}, ad...), sha256Sum(cd)...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.user),
		},
	})
	return body
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func newPasskeyEnv(t *testing.T) *mfaEnv {
	t.Helper()
	e := newMFAEnv(t)
	wa, err := NewRelyingParty(testOrigin, "Priceline test")
	if err != nil {
		t.Fatal(err)
	}
	e.svc.MFA.WebAuthn = wa
	e.svc.MFA.Passkeys = memstore.NewPasskeys()
	return e
}

// addPasskey registers email and gives it the passkey k.
func (e *mfaEnv) addPasskey(t *testing.T, u *priceline.User, k *softKey) *priceline.Passkey {
	t.Helper()
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeyRegistration(ctx, u)
	if err != nil {
		t.Fatalf("BeginPasskeyRegistration: %v", err)
	}
	p, codes, err := e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Laptop", k.register(t, cer.Options, u))
	if err != nil {
		t.Fatalf("FinishPasskeyRegistration: %v", err)
	}
	if left, _ := e.mfa.RecoveryCodesLeft(ctx, u.ID); left != 10 || (codes != nil && len(codes) != 10) {
		t.Fatalf("after adding a passkey: %d recovery codes stored, %d shown; want 10", left, len(codes))
	}
	return p
}

func (e *mfaEnv) passkeySignIn(t *testing.T, k *softKey) (*Result, error) {
	t.Helper()
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeySignIn(ctx)
	if err != nil {
		t.Fatalf("BeginPasskeySignIn: %v", err)
	}
	return e.svc.FinishPasskeySignIn(ctx, cer.ID, k.assert(t, cer.Options), client)
}

// NIST SP 800-63B-4 AAL2 / ASVS 5.0 V6.3.3: a passkey with user
// verification is multi-factor on its own and signs in with no email and
// no password; the password then asks for a second factor.
func TestASVS_V6_3_3_PasskeySignInWithoutPassword(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	p := e.addPasskey(t, u, k)
	if p.UserID != u.ID || p.Name != "Laptop" || p.SignCount != 1 {
		t.Errorf("stored passkey = %+v", p)
	}
	r, err := e.passkeySignIn(t, k)
	if err != nil {
		t.Fatalf("FinishPasskeySignIn: %v", err)
	}
	if r.User.ID != u.ID || r.Session.Method != priceline.MethodPasskey {
		t.Errorf("result = %+v", r)
	}
	got, _ := e.svc.MFA.Passkeys.PasskeyByID(context.Background(), p.ID)
	if got.SignCount != 2 || got.LastUsedAt.IsZero() {
		t.Errorf("after use: %+v", got)
	}
	pend := e.pending(t, "ada@example.org", client)
	if strings.Join(pend.Methods, ",") != "passkey,recovery" {
		t.Errorf("methods = %v, want passkey,recovery", pend.Methods)
	}
}

func TestPasskeyAssertionForAnotherOriginOrRPIDRefused(t *testing.T) {
	for _, tc := range []struct{ name, origin, rpID string }{
		{"origin", "https://evil.test", "priceline.test"},
		{"rpid", testOrigin, "evil.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPasskeyEnv(t)
			u := e.register(t, "ada@example.org")
			k := newSoftKey(t)
			e.addPasskey(t, u, k)
			k.origin, k.rpID = tc.origin, tc.rpID
			_, err := e.passkeySignIn(t, k)
			wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
		})
	}
}

func TestPasskeyChallengeUsedTwiceRefused(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeySignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FinishPasskeySignIn(ctx, cer.ID, k.assert(t, cer.Options), client); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishPasskeySignIn(ctx, cer.ID, k.assert(t, cer.Options), client)
	wantCode(t, err, priceline.KindUnauthorized, "mfa_sign_in_expired")
}

func TestPasskeyCredentialOfAnotherUserRefused(t *testing.T) {
	e := newPasskeyEnv(t)
	ada, mallory := e.register(t, "ada@example.org"), e.register(t, "mallory@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, ada, k)
	ctx := context.Background()
	cer, err := e.svc.BeginPasskeyRegistration(ctx, mallory)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.FinishPasskeyRegistration(ctx, mallory, cer.ID, "Stolen", k.register(t, cer.Options, mallory))
	wantCode(t, err, priceline.KindConflict, "passkey_exists")
	// The user handle the credential answers with must name its owner.
	k.user = []byte(mallory.ID)
	_, err = e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
}

func TestPasskeyUnsupportedAttestationFormatRefusedCleanly(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	ctx := context.Background()
	for _, format := range []string{"tpm", "android-key", "made-up"} {
		k := newSoftKey(t)
		k.format = format
		cer, err := e.svc.BeginPasskeyRegistration(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Key", k.register(t, cer.Options, u))
		wantCode(t, err, priceline.KindInvalid, "unsupported_attestation")
	}
	cer, _ := e.svc.BeginPasskeyRegistration(ctx, u)
	_, _, err := e.svc.FinishPasskeyRegistration(ctx, u, cer.ID, "Key", []byte(`{"id":"x","type":"public-key","response":{}}`))
	wantCode(t, err, priceline.KindInvalid, "passkey_invalid")
}

func TestPasskeyClonedAuthenticatorRefusedAndLogged(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatal(err)
	}
	k.counter = 0 // a copy of the key whose counter is behind
	_, err := e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	if !strings.Contains(e.logs.String(), "cloned authenticator") {
		t.Errorf("no log line for the cloned authenticator:\n%s", e.logs.String())
	}
}

// ASVS 5.0 V6.5.6 (a lost factor can be revoked) with re-authentication.
func TestASVS_V6_5_6_PasskeyRemovedWithPasswordAndNotice(t *testing.T) {
	e := newPasskeyEnv(t)
	u := e.register(t, "ada@example.org")
	k := newSoftKey(t)
	p := e.addPasskey(t, u, k)
	ctx := context.Background()
	wantCode(t, e.svc.DeletePasskey(ctx, u, p.ID, "wrong", client), priceline.KindInvalid, "current_password_incorrect")
	other := e.register(t, "grace@example.org")
	wantCode(t, e.svc.DeletePasskey(ctx, other, p.ID, goodPassword, client), priceline.KindNotFound, "passkey_not_found")
	if err := e.svc.DeletePasskey(ctx, u, p.ID, goodPassword, client); err != nil {
		t.Fatal(err)
	}
	_, err := e.passkeySignIn(t, k)
	wantCode(t, err, priceline.KindUnauthorized, "passkey_refused")
	if got := strings.Join(e.notices.kinds, ","); got != "passkey_added,passkey_removed" {
		t.Errorf("notices = %q", got)
	}
}

// The owner can sign in with a passkey while wrong codes hold the account's
// code counter locked.
func TestNIST_800_63B_PasskeyWorksWhileCodesThrottled(t *testing.T) {
	e := newPasskeyEnv(t)
	u, _, _ := e.enrol(t, "ada@example.org")
	k := newSoftKey(t)
	e.addPasskey(t, u, k)
	ctx := context.Background()
	for range 100 {
		count := func(priceline.Attempts) error { return nil }
		if _, err := e.svc.Attempts.Reserve(ctx, "mfa:"+u.ID, e.clock.Now(), time.Hour, count); err != nil {
			t.Fatal(err)
		}
	}
	p := e.pending(t, "ada@example.org", client)
	_, err := e.svc.FinishMFA(ctx, p.ID, MFAProof{Code: "123456"}, client)
	wantCode(t, err, priceline.KindTooManyRequests, "too_many_attempts")
	if _, err := e.passkeySignIn(t, k); err != nil {
		t.Fatalf("passkey sign-in while codes are throttled: %v", err)
	}
}
