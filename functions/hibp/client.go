// Package hibp checks passwords against Have I Been Pwned's Pwned Passwords
// range API with k-anonymity: only the first 5 hex characters of the
// password's SHA-1 leave the app, the service answers with every suffix
// under that prefix (padded with decoys, Add-Padding: true, so the size of
// the answer reveals nothing either), and the match happens here.
//
// It is optional (PRICELINE_BREACHED_PASSWORDS=hibp turns it on) and fails
// open: if the service does not answer within Timeout (1.5 s by default),
// or answers with an error, the check is skipped with a log line and the
// password is judged by the rest of the policy. The log line carries
// neither the password nor any part of its hash.
package hibp

import (
	"bufio"
	"context"
	"crypto/sha1" // the range API is keyed by SHA-1; no security rests on SHA-1 here
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
)

// DefaultBaseURL is the Pwned Passwords API.
const DefaultBaseURL = "https://api.pwnedpasswords.com"

// DefaultTimeout bounds one check, so a slow service costs a sign-up at
// most this much.
const DefaultTimeout = 1500 * time.Millisecond

// Options configure a Client; zero values take the defaults.
type Options struct {
	BaseURL    string
	HTTPClient *http.Client
	Timeout    time.Duration
	Logger     *slog.Logger
}

// Client is a priceline.BreachedPasswords backed by the range API.
type Client struct {
	base    string
	http    *http.Client
	timeout time.Duration
	log     *slog.Logger
}

var _ priceline.BreachedPasswords = (*Client)(nil)

// New returns a Client.
func New(opt Options) *Client {
	c := &Client{base: strings.TrimRight(opt.BaseURL, "/"), http: opt.HTTPClient, timeout: opt.Timeout, log: opt.Logger}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c
}

// CheckBreached refuses a password the range API lists with a count of one
// or more; see priceline.BreachedPasswords. The password is hashed as
// given: pass the form the app stores (password.Normalize), as at hashing.
func (c *Client) CheckBreached(ctx context.Context, password string) error {
	sum := sha1.Sum([]byte(password))
	full := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := full[:5], full[5:]
	found, err := c.lookup(ctx, prefix, suffix)
	if err != nil {
		reason := "unavailable"
		if errors.Is(err, context.DeadlineExceeded) {
			reason = "timeout"
		}
		// err names the URL, whose path holds the prefix: log only the reason.
		c.log.WarnContext(ctx, "breached-password check skipped", "event", "breach_check_skipped", "reason", reason)
		return nil
	}
	if found {
		return priceline.Errorf(priceline.KindInvalid, "password_breached",
			"This password has appeared in a data breach, so attackers already have it. Please choose a different one, such as several unrelated words.")
	}
	return nil
}

func (c *Client) lookup(ctx context.Context, prefix, suffix string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/range/"+prefix, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "hospital-priceline")
	resp, err := c.http.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("status %d", resp.StatusCode)
	}
	// A padded answer is about 800-1,000 lines of 40 bytes.
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<20))
	for sc.Scan() {
		s, count, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok || !strings.EqualFold(s, suffix) {
			continue
		}
		// Padding lines have a count of 0: decoys, not breaches.
		n, err := strconv.ParseInt(strings.TrimSpace(count), 10, 64)
		return err == nil && n > 0, nil
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return false, ctx.Err()
}
