package b2c

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	// metadataMaxAge and keysMaxAge bound how long a fetched document is
	// trusted; the provider rolls keys with overlap, far slower than this.
	metadataMaxAge = 24 * time.Hour
	keysMaxAge     = 24 * time.Hour
	// unknownKidRefetchEvery limits refetches triggered by an unknown kid,
	// so tokens with made-up kids cannot make us hammer the provider.
	unknownKidRefetchEvery = time.Minute
	maxDocumentBytes       = 1 << 20
	minRSABits             = 2048
)

// metadata is the part of the OpenID configuration document we use.
type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// metadata returns pc's OpenID configuration, fetching it when missing or
// stale. A failed refresh falls back to the stale copy: the provider's
// issuer and key location practically never change, and failing every
// sign-in because one refresh failed would turn a blip into an outage.
func (c *Client) metadata(ctx context.Context, pc *policyClient) (*metadata, error) {
	pc.metaMu.Lock()
	defer pc.metaMu.Unlock()
	if pc.meta != nil && c.now().Sub(pc.metaAt) < metadataMaxAge {
		return pc.meta, nil
	}
	var m metadata
	err := c.getJSON(ctx, c.auth.metadataURL(pc.policy), &m)
	if err == nil {
		err = c.checkMetadata(&m)
	}
	if err != nil {
		if pc.meta != nil {
			return pc.meta, nil
		}
		return nil, unavailable(fmt.Errorf("load OpenID configuration for %s: %w", pc.authority, err))
	}
	pc.meta, pc.metaAt = &m, c.now()
	return pc.meta, nil
}

// checkMetadata refuses a document whose issuer is not on the authority's
// host (what MSAL also requires before using its endpoints) or whose key
// location is not https.
func (c *Client) checkMetadata(m *metadata) error {
	iss, err := url.Parse(m.Issuer)
	if err != nil || iss.Scheme != "https" || !strings.EqualFold(iss.Host, c.auth.host) {
		return fmt.Errorf("issuer %q is not an https URL on %s", m.Issuer, c.auth.host)
	}
	ju, err := url.Parse(m.JWKSURI)
	if err != nil || ju.Scheme != "https" || ju.Host == "" {
		return fmt.Errorf("jwks_uri %q is not an https URL", m.JWKSURI)
	}
	return nil
}

// getJSON fetches a small JSON document.
func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpc.Do(req)
	if err != nil {
		return fmt.Errorf("fetch: %w", stripURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxDocumentBytes))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u, err)
	}
	return nil
}

// keySet caches the RSA signing keys published at one jwks_uri.
type keySet struct {
	uri string

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time
	lastForce time.Time // last refetch caused by an unknown kid
}

func (c *Client) keySet(uri string) *keySet {
	c.keysMu.Lock()
	defer c.keysMu.Unlock()
	ks, ok := c.keys[uri]
	if !ok {
		ks = &keySet{uri: uri}
		c.keys[uri] = ks
	}
	return ks
}

// errUnavailableKeys marks a key lookup that failed because the provider
// could not be reached, as opposed to a token naming a key it never had.
type errUnavailableKeys struct{ err error }

func (e errUnavailableKeys) Error() string { return e.err.Error() }
func (e errUnavailableKeys) Unwrap() error { return e.err }

// key returns the key with kid. An unknown kid causes one refetch (keys
// were rotated) unless another unknown kid caused one within the last
// minute.
func (c *Client) key(ctx context.Context, ks *keySet, kid string) (*rsa.PublicKey, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := c.now()
	if ks.keys == nil || now.Sub(ks.fetchedAt) >= keysMaxAge {
		if err := c.fetchKeys(ctx, ks); err != nil && ks.keys == nil {
			return nil, errUnavailableKeys{err}
		}
	}
	if k, ok := ks.keys[kid]; ok {
		return k, nil
	}
	if !ks.lastForce.IsZero() && now.Sub(ks.lastForce) < unknownKidRefetchEvery {
		return nil, fmt.Errorf("unknown signing key %q (refetch rate-limited)", kid)
	}
	ks.lastForce = now
	if err := c.fetchKeys(ctx, ks); err != nil {
		return nil, errUnavailableKeys{err}
	}
	if k, ok := ks.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}

// fetchKeys replaces ks.keys with the RSA signature keys at ks.uri. Keys of
// other types or uses are skipped rather than failing the whole set.
func (c *Client) fetchKeys(ctx context.Context, ks *keySet) error {
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := c.getJSON(ctx, ks.uri, &doc); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range doc.Keys {
		if k.Kid == "" || k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return errors.New("load signing keys: no usable RSA signing key in JWKS")
	}
	ks.keys, ks.fetchedAt = keys, c.now()
	return nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n64)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(e64)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad exponent")
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minRSABits || e < 3 || e%2 == 0 {
		return nil, errors.New("weak RSA key")
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}
