package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// b64 is the PHC string format's encoding: standard alphabet, no padding.
// Strict decoding rejects non-canonical trailing bits, so one hash has exactly
// one valid spelling.
var b64 = base64.RawStdEncoding.Strict()

// encodePHC formats a hash as $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodePHC parses a string made by encodePHC. It accepts only argon2id
// version 19 with parameters in the order it writes them, and parameters
// within the bounds of Params.validate, so a bad row can never panic or
// exhaust memory.
func decodePHC(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return Params{}, nil, nil, errors.New("not a PHC string with 5 fields")
	}
	if parts[1] != "argon2id" {
		return Params{}, nil, nil, fmt.Errorf("algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, fmt.Errorf("unsupported version field %q", parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return Params{}, nil, nil, fmt.Errorf("parameter field %q: want m, t and p", parts[3])
	}
	var nums [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		value, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return Params{}, nil, nil, fmt.Errorf("parameter %d: want %s=", i+1, name)
		}
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, err := strconv.ParseUint(value, 10, bits)
		if err != nil {
			return Params{}, nil, nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		nums[i] = n
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("salt: %w", err)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("hash: %w", err)
	}
	p := Params{
		Memory:      uint32(nums[0]),
		Iterations:  uint32(nums[1]),
		Parallelism: uint8(nums[2]),
		SaltLength:  uint32(len(salt)),
		KeyLength:   uint32(len(key)),
	}
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, err
	}
	return p, salt, key, nil
}
