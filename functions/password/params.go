package password

import "fmt"

// Params are argon2id parameters. Memory is in KiB.
type Params struct {
	Memory      uint32 // KiB of memory each hash fills
	Iterations  uint32 // passes over that memory
	Parallelism uint8  // lanes; the hash runs on this many goroutines
	SaltLength  uint32 // bytes of random salt per hash
	KeyLength   uint32 // bytes of derived key stored
}

// DefaultParams returns the OWASP Password Storage Cheat Sheet's first argon2id
// configuration (19 MiB, 2 iterations, 1 lane), which fits a Functions worker's
// memory while costing an attacker about as much as the other listed options.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Bounds on parameters read from stored hashes. A corrupted or planted row with
// m=4294967295 would otherwise make one Verify allocate 4 TiB and kill the
// process, so anything outside these bounds is treated as a malformed hash.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxIterations = 64
	minSaltBytes  = 8
	maxSaltBytes  = 64
	minKeyBytes   = 16
	maxKeyBytes   = 128
)

// validate reports why p cannot be used, naming the offending field.
func (p Params) validate() error {
	switch {
	case p.Parallelism < 1:
		return fmt.Errorf("argon2id parallelism %d: must be at least 1", p.Parallelism)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("argon2id iterations %d: must be between 1 and %d", p.Iterations, maxIterations)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB: must be between 8×parallelism and %d", p.Memory, maxMemoryKiB)
	case p.SaltLength < minSaltBytes || p.SaltLength > maxSaltBytes:
		return fmt.Errorf("argon2id salt length %d: must be between %d and %d bytes", p.SaltLength, minSaltBytes, maxSaltBytes)
	case p.KeyLength < minKeyBytes || p.KeyLength > maxKeyBytes:
		return fmt.Errorf("argon2id key length %d: must be between %d and %d bytes", p.KeyLength, minKeyBytes, maxKeyBytes)
	}
	return nil
}

// weakerThan reports whether a hash made with p should be upgraded to want.
// Parallelism is left out: it changes the output but not the attacker's cost.
func (p Params) weakerThan(want Params) bool {
	return p.Memory < want.Memory || p.Iterations < want.Iterations ||
		p.SaltLength < want.SaltLength || p.KeyLength < want.KeyLength
}
