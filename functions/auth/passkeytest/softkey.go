// Package passkeytest holds a software WebAuthn authenticator for tests: it
// answers registration and sign-in ceremonies as a browser with a platform
// authenticator would, and can be told to lie (another origin or RP ID, an
// attestation format, a user handle, a signature counter that went back).
// The auth and web tests share it, so the protocol details live in one place.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// SoftKey is one passkey held by the software authenticator.
type SoftKey struct {
	ID  []byte
	key *ecdsa.PrivateKey
	// User is the user handle it answers with (set by Register).
	User []byte
	// Counter is the signature counter, advanced by each ceremony.
	Counter uint32
	// Origin, RPID and Format are what it claims.
	Origin, RPID, Format string
}

// New returns a passkey for the site at origin, whose RP ID is rpID.
func New(t testing.TB, origin, rpID string) *SoftKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &SoftKey{ID: id, key: k, Origin: origin, RPID: rpID, Format: "none"}
}

var b64 = base64.RawURLEncoding

// CredentialID is the credential ID as the server keeps it.
func (k *SoftKey) CredentialID() string { return b64.EncodeToString(k.ID) }

// Challenge reads publicKey.challenge from ceremony options (any value that
// marshals to the options' JSON: the server's struct or a decoded map).
func Challenge(t testing.TB, options any) string {
	t.Helper()
	b, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o.PublicKey.Challenge
}

func (k *SoftKey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.Origin, "crossOrigin": false})
	return b
}

func (k *SoftKey) authData(flags byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(k.RPID))
	out := append([]byte{}, rp[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, k.Counter)
	return append(out, attested...)
}

// Register answers a registration ceremony for the user userID and returns
// the PublicKeyCredential as JSON.
func (k *SoftKey) Register(t testing.TB, options any, userID string) []byte {
	t.Helper()
	k.User = []byte(userID)
	x, y := k.key.PublicKey.X.FillBytes(make([]byte, 32)), k.key.PublicKey.Y.FillBytes(make([]byte, 32))
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.ID)))
	attested = append(append(attested, k.ID...), cose...)
	k.Counter++
	ad := k.authData(0x01|0x04|0x40, attested) // UP, UV, AT
	att, err := cbor.Marshal(map[string]any{"fmt": k.Format, "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(k.clientData("webauthn.create", Challenge(t, options))),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	return body
}

// Assert answers a sign-in ceremony and returns the PublicKeyCredential as
// JSON.
func (k *SoftKey) Assert(t testing.TB, options any) []byte {
	t.Helper()
	k.Counter++
	ad := k.authData(0x01|0x04, nil) // UP, UV
	cd := k.clientData("webauthn.get", Challenge(t, options))
	cdSum := sha256.Sum256(cd)
	sum := sha256.Sum256(append(append([]byte{}, ad...), cdSum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.User),
		},
	})
	return body
}
