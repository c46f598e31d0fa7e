// Package password hashes and verifies passwords with argon2id and checks new
// passwords against the policy of NIST SP 800-63B rev 4 and OWASP ASVS 5.0 V6.2.
//
// Every entry point normalises the password itself (NFKC) and rejects oversized
// or invalid input before any hashing, so callers pass exactly what the user
// typed and cannot forget a step.
package password
