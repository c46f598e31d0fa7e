package web

import "hospitalpriceline/functions/b2c"

// safeReturnTo keeps a post-sign-in destination only when it is a
// same-origin relative path (ASVS V3.7.2, no open redirects) and returns "/"
// otherwise. It is b2c.SafeReturnTo, the one implementation: the B2C flow
// stores its return path before the provider round trip and must judge it
// exactly as the local sign-in forms do, and the b2c package's table and
// fuzz tests cover every form ("//evil", "/\evil", "https://evil",
// "javascript:", percent-encoded and control-character variants).
func safeReturnTo(s string) string { return b2c.SafeReturnTo(s) }
