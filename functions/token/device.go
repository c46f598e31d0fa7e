package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Device cookies (OWASP, "Slow down online guessing attacks with device
// cookies"): a browser that has signed in to an account gets a cookie that
// names a random nonce and is signed over (account, nonce, expiry), so the
// login throttle can tell the account's owner on a known browser from
// everyone else. The cookie carries no account name: Verify is given the
// account the login is for and checks the signature against it, so a
// cookie of another account, like a forged one, simply does not verify.
//
// The MAC key is derived from a session-signing key version (named in the
// cookie), so it rotates with those keys and needs no secret of its own:
// disabling a version distrusts its device cookies, which only costs their
// browsers their exemption from the account's lockout.

// deviceVersion opens every device cookie, so a later format can be told apart.
const deviceVersion = "d1"

// maxDeviceCookieBytes bounds what VerifyDevice parses; a real one is about
// 140 bytes.
const maxDeviceCookieBytes = 512

// SignDevice returns a device cookie for account that expires at expires,
// with a fresh 128-bit nonce, signed with a key derived from the newest
// enabled signing key. It fails like Sign when no key is loaded.
func (c *Codec) SignDevice(account string, expires time.Time) (cookie, nonce string, err error) {
	if c.Keys == nil {
		return "", "", errors.New("sign device cookie: codec has no keyring")
	}
	key, ok := c.Keys.Signing()
	if !ok {
		return "", "", errors.New("sign device cookie: no signing key loaded")
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("sign device cookie: nonce: %w", err)
	}
	nonce = hex.EncodeToString(b[:])
	exp := strconv.FormatInt(expires.Unix(), 10)
	kid := base64.RawURLEncoding.EncodeToString([]byte(key.Version))
	mac := deviceMAC(key.Secret, account, nonce, exp)
	return strings.Join([]string{deviceVersion, kid, nonce, exp, base64.RawURLEncoding.EncodeToString(mac)}, "."), nonce, nil
}

// VerifyDevice returns the nonce of cookie if it is a device cookie for
// account, signed with an enabled key version and not expired; ok is false
// for anything else, whatever the reason.
func (c *Codec) VerifyDevice(cookie, account string) (nonce string, ok bool) {
	if c.Keys == nil || account == "" || len(cookie) > maxDeviceCookieBytes {
		return "", false
	}
	parts := strings.Split(cookie, ".")
	if len(parts) != 5 || parts[0] != deviceVersion {
		return "", false
	}
	kid, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	nonce, exp := parts[2], parts[3]
	if len(nonce) != 32 || strings.Trim(nonce, "0123456789abcdef") != "" {
		return "", false
	}
	expires, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(expires, 10) != exp || !c.now().Before(time.Unix(expires, 0)) {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(parts[4])
	if err != nil {
		return "", false
	}
	secret, found := c.Keys.Lookup(string(kid))
	if !found || !hmac.Equal(got, deviceMAC(secret, account, nonce, exp)) {
		return "", false
	}
	return nonce, true
}

// deviceMAC is HMAC-SHA256, under a key derived from a signing secret for
// this purpose alone, over the cookie's fields and the account.
func deviceMAC(secret []byte, account, nonce, exp string) []byte {
	derive := hmac.New(sha256.New, secret)
	derive.Write([]byte("priceline device cookie key v1"))
	m := hmac.New(sha256.New, derive.Sum(nil))
	m.Write([]byte(deviceVersion + "\x00" + account + "\x00" + nonce + "\x00" + exp))
	return m.Sum(nil)
}
