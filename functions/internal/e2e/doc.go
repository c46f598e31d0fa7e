// Package e2e holds tests that run the real handler binary, built once per
// test binary with go build, against Azurite: two handler processes as two
// Functions instances sharing one storage account, storage outages in the
// middle of traffic, and the Key Vault double failing at startup and at
// refresh. The package has no production code; docs/reliability.md lists
// what each test proves and how to run the long variants.
package e2e
