package web

import "hospitalpriceline/functions/priceline"

// safeReturnTo keeps a post-sign-in destination only when it is a
// same-origin relative path (ASVS V3.7.2, no open redirects) and returns "/"
// otherwise. It is priceline.SafeReturnTo, the one implementation: the cloud
// sign-in flow stores its return path before the provider round trip and
// must judge it exactly as the local sign-in forms do, and priceline's table
// and fuzz tests cover every form ("//evil", "/\evil", "https://evil",
// "javascript:", percent-encoded and control-character variants).
func safeReturnTo(s string) string { return priceline.SafeReturnTo(s) }
