package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"

	"hospitalpriceline/functions/priceline"
)

// busyRetryAfter is what a refused caller is told to wait: hashes take tens of
// milliseconds, so a slot is likely free again within a second.
const busyRetryAfter = 1 * time.Second

// BadHash is Verify's answer to a stored hash it cannot parse: a fault of
// ours, not a wrong password, so the login flow logs it as one.
var BadHash = priceline.Refusal{Kind: priceline.KindInternal, Code: "bad_hash",
	Message: "Something went wrong on our side. Please try again later."}

// Hasher hashes and verifies with a cap on concurrent hashes.
//
// Each argon2id hash holds Params.Memory KiB for its whole run, so without a
// cap a login flood would exhaust the worker's memory (ASVS 5.0.0 V15.2.2).
type Hasher struct {
	params  Params
	slots   chan struct{}
	maxWait time.Duration

	// dummySalt and dummyKey give VerifyDummy a fixed target made with the
	// current parameters, so it costs exactly what Verify of an up-to-date
	// hash costs.
	dummySalt []byte
	dummyKey  []byte
}

// NewHasher returns a Hasher that makes hashes with p, runs at most
// maxConcurrent hashes at once (at least 1) and makes a caller wait at most
// maxWait for a slot. It panics if p is unusable, because that is a wiring
// bug that must stop the process at start-up rather than at the first login.
func NewHasher(p Params, maxConcurrent int, maxWait time.Duration) *Hasher {
	if err := p.validate(); err != nil {
		panic(fmt.Sprintf("password.NewHasher: %v", err))
	}
	if maxConcurrent < 1 {
		maxConcurrent = 1
	}
	if maxWait < 0 {
		maxWait = 0
	}
	h := &Hasher{
		params:    p,
		slots:     make(chan struct{}, maxConcurrent),
		maxWait:   maxWait,
		dummySalt: make([]byte, p.SaltLength),
		dummyKey:  make([]byte, p.KeyLength),
	}
	// The dummy values need no secrecy; random ones just avoid a constant
	// anyone could precompute a match for.
	_, _ = rand.Read(h.dummySalt)
	_, _ = rand.Read(h.dummyKey)
	return h
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash normalises password and returns its argon2id hash as a PHC string,
// $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash> in unpadded standard base64.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	pw, err := prepare(password, maxPasswordBytes)
	if err != nil {
		return "", err
	}
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", priceline.Wrap(fmt.Errorf("read salt: %w", err), priceline.KindInternal, "internal",
			"Something went wrong on our side. Please try again.")
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	key := derive(pw, salt, h.params)
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches encoded. needsRehash is true when
// the password matched and encoded was made with weaker parameters than
// h.Params(), so the caller can store a fresh hash while it has the password.
// A malformed encoded string is BadHash.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	pw, err := prepare(password, maxPasswordBytes)
	if err != nil {
		return false, false, err
	}
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, false, BadHash.Wrap(fmt.Errorf("parse stored password hash: %w", err))
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	got := derive(pw, salt, p)
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p.weakerThan(h.params), nil
}

// VerifyDummy does the work of a Verify against an up-to-date hash and throws
// the result away. Login calls it for an unknown email so that the response
// time does not reveal which emails have accounts (ASVS 5.0 V6.3.8).
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	pw, err := prepare(password, maxPasswordBytes)
	if err != nil {
		return err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	got := derive(pw, h.dummySalt, h.params)
	_ = subtle.ConstantTimeCompare(got, h.dummyKey)
	return nil
}

func derive(password string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

// acquire takes a hashing slot, waiting at most h.maxWait or until ctx ends.
// Refusal is KindUnavailable so the HTTP layer answers 503 with Retry-After
// instead of queueing requests until memory runs out.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, errBusy(err)
	}
	select {
	case h.slots <- struct{}{}:
		return h.release, nil
	default:
	}
	if h.maxWait <= 0 {
		return nil, errBusy(nil)
	}
	timer := time.NewTimer(h.maxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return h.release, nil
	case <-ctx.Done():
		return nil, errBusy(ctx.Err())
	case <-timer.C:
		return nil, errBusy(nil)
	}
}

func (h *Hasher) release() { <-h.slots }

func errBusy(cause error) error {
	return priceline.Unavailable(cause, "server_busy",
		"We are handling a lot of sign-ins right now. Please try again in a moment.", busyRetryAfter)
}
