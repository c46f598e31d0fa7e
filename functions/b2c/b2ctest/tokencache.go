package b2ctest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// APIScope is a downstream API scope of the double's tenant, for tests that
// configure one; the double grants any scope it is asked for.
const APIScope = "https://" + TenantDomain + "/priceline-api/prices.read"

// TokenCacheSummary describes a serialized MSAL token cache without
// exposing a token, so tests can check what was kept and print the summary
// safely.
type TokenCacheSummary struct {
	AccessTokens, RefreshTokens, IDTokens, Accounts int
	// AccessTokenScopes is each access token's target (space-separated
	// scopes), sorted by cache key.
	AccessTokenScopes []string
	// HomeAccountIDs are the accounts' home account IDs ("uid.utid").
	HomeAccountIDs []string
	// SecretsPresent is true when every access and refresh token entry has
	// a non-empty secret.
	SecretsPresent bool
}

// SummarizeTokenCache decodes blob, MSAL's JSON cache format, into a
// summary. It fails when blob is not that format.
func SummarizeTokenCache(blob []byte) (TokenCacheSummary, error) {
	type cred struct {
		HomeAccountID string `json:"home_account_id"`
		Secret        string `json:"secret"`
		Target        string `json:"target"`
	}
	var c struct {
		AccessToken  map[string]cred `json:"AccessToken"`
		RefreshToken map[string]cred `json:"RefreshToken"`
		IDToken      map[string]cred `json:"IdToken"`
		Account      map[string]cred `json:"Account"`
	}
	if err := json.Unmarshal(blob, &c); err != nil {
		// The decoder's message may quote the blob; say only where it broke.
		return TokenCacheSummary{}, fmt.Errorf("token cache is not MSAL's JSON format (%d bytes)", len(blob))
	}
	s := TokenCacheSummary{
		AccessTokens: len(c.AccessToken), RefreshTokens: len(c.RefreshToken),
		IDTokens: len(c.IDToken), Accounts: len(c.Account),
		SecretsPresent: len(c.AccessToken)+len(c.RefreshToken) > 0,
	}
	for _, m := range []map[string]cred{c.AccessToken, c.RefreshToken} {
		for _, v := range m {
			if v.Secret == "" {
				s.SecretsPresent = false
			}
		}
	}
	for _, v := range c.AccessToken {
		s.AccessTokenScopes = append(s.AccessTokenScopes, v.Target)
	}
	for _, v := range c.Account {
		s.HomeAccountIDs = append(s.HomeAccountIDs, v.HomeAccountID)
	}
	return s, nil
}

// HasScope reports whether some access token in s was granted scope
// (compared case-insensitively, as MSAL stores targets).
func (s TokenCacheSummary) HasScope(scope string) bool {
	for _, t := range s.AccessTokenScopes {
		for _, f := range strings.Fields(t) {
			if strings.EqualFold(f, scope) {
				return true
			}
		}
	}
	return false
}
