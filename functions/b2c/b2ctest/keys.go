package b2ctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"sync"
)

// signingKey is one RSA key of the double's JWKS.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// keyPool shares generated RSA keys between the servers of one test binary:
// RSA generation is the slowest part of starting a double, and servers
// never need keys that are secret from each other.
var keyPool struct {
	mu   sync.Mutex
	keys []*signingKey
}

// poolKey returns the i-th pooled key, generating keys up to it.
func poolKey(i int) *signingKey {
	keyPool.mu.Lock()
	defer keyPool.mu.Unlock()
	for len(keyPool.keys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("b2ctest: generate RSA key: %v", err))
		}
		sum := sha256.Sum256(k.N.Bytes())
		keyPool.keys = append(keyPool.keys, &signingKey{
			kid: base64.RawURLEncoding.EncodeToString(sum[:12]),
			key: k,
		})
	}
	return keyPool.keys[i]
}

// jwk is the public half of k as a JWKS entry.
func (k *signingKey) jwk() map[string]string {
	return map[string]string{
		"kid": k.kid,
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"n":   base64.RawURLEncoding.EncodeToString(k.key.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.key.E)).Bytes()),
	}
}
