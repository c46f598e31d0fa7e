package main

import (
	"context"
	"fmt"
	"strings"

	"hospitalpriceline/functions/auth"
	"hospitalpriceline/functions/b2c"
	"hospitalpriceline/functions/keyvault"
	"hospitalpriceline/functions/priceline"
)

// b2cCallbackPath is the redirect URI's path, registered with the tenant.
const b2cCallbackPath = "/api/auth/b2c/callback"

// b2cSettingNames lists the Azure AD B2C / Entra External ID settings
// loadB2CConfig reads. Leaving all of them empty turns cloud sign-in off.
var b2cSettingNames = []string{
	"PRICELINE_B2C_AUTHORITY", "PRICELINE_B2C_CLIENT_ID", "PRICELINE_B2C_CLIENT_SECRET",
	"PRICELINE_B2C_CLIENT_SECRET_NAME", "PRICELINE_B2C_RESET_POLICY", "PRICELINE_B2C_EDIT_POLICY",
	"PRICELINE_B2C_API_SCOPES",
}

// b2cSettings is the validated B2C configuration. Exactly one of
// ClientSecret (local development) and ClientSecretName (a Key Vault secret)
// is set.
type b2cSettings struct {
	Authority        string
	ClientID         string
	ClientSecret     string
	ClientSecretName string
	RedirectURI      string
	ResetPolicy      string
	EditPolicy       string
	// APIScopes are downstream API scopes (PRICELINE_B2C_API_SCOPES,
	// space-separated). Only when there are some are the provider's access
	// and refresh tokens kept, per session, in Table Storage.
	APIScopes []string
}

// reservedScopes are requested by MSAL or this app anyway; listing one as a
// downstream API scope is a misunderstanding worth stopping at start-up.
var reservedScopes = []string{"openid", "offline_access", "profile", "email"}

// loadB2CConfig reads the B2C settings. All empty means cloud sign-in is not
// configured (nil, nil); a partial configuration is an error naming the
// missing setting, so a typo cannot silently hide the sign-in button. The
// client secret itself may only be set directly outside Azure; in Azure it
// must come from Key Vault by name.
func loadB2CConfig(getenv func(string) string, publicURL string) (*b2cSettings, error) {
	set := false
	for _, n := range b2cSettingNames {
		if strings.TrimSpace(getenv(n)) != "" {
			set = true
		}
	}
	if !set {
		return nil, nil
	}
	s := &b2cSettings{
		Authority:        strings.TrimRight(strings.TrimSpace(getenv("PRICELINE_B2C_AUTHORITY")), "/"),
		ClientID:         strings.TrimSpace(getenv("PRICELINE_B2C_CLIENT_ID")),
		ClientSecret:     getenv("PRICELINE_B2C_CLIENT_SECRET"),
		ClientSecretName: strings.TrimSpace(getenv("PRICELINE_B2C_CLIENT_SECRET_NAME")),
		RedirectURI:      strings.TrimRight(publicURL, "/") + b2cCallbackPath,
		ResetPolicy:      strings.TrimSpace(getenv("PRICELINE_B2C_RESET_POLICY")),
		EditPolicy:       strings.TrimSpace(getenv("PRICELINE_B2C_EDIT_POLICY")),
	}
	if sc := strings.Fields(getenv("PRICELINE_B2C_API_SCOPES")); len(sc) > 0 {
		s.APIScopes = sc
	}
	const partial = "is required when any PRICELINE_B2C_ setting is set (leave them all empty to turn cloud sign-in off)"
	switch {
	case s.Authority == "":
		return nil, badSetting("PRICELINE_B2C_AUTHORITY", "%s; for example https://TENANT.b2clogin.com/TENANT.onmicrosoft.com/B2C_1_signupsignin", partial)
	case s.ClientID == "":
		return nil, badSetting("PRICELINE_B2C_CLIENT_ID", "%s: the application (client) ID of the app registration", partial)
	case s.ClientSecret == "" && s.ClientSecretName == "":
		return nil, badSetting("PRICELINE_B2C_CLIENT_SECRET_NAME", "%s: the Key Vault secret holding the client secret (or PRICELINE_B2C_CLIENT_SECRET locally)", partial)
	case s.ClientSecret != "" && s.ClientSecretName != "":
		return nil, badSetting("PRICELINE_B2C_CLIENT_SECRET", "set either it or PRICELINE_B2C_CLIENT_SECRET_NAME, not both")
	case s.ClientSecret != "" && keyvault.RunningInAzure():
		return nil, badSetting("PRICELINE_B2C_CLIENT_SECRET", "is for local use only and is refused in Azure; store the secret in Key Vault and set PRICELINE_B2C_CLIENT_SECRET_NAME")
	case s.ClientSecretName != "" && !validSecretName(s.ClientSecretName):
		return nil, badSetting("PRICELINE_B2C_CLIENT_SECRET_NAME", "%q is not a Key Vault secret name (1-127 letters, digits and dashes)", s.ClientSecretName)
	case s.ClientSecretName != "" && strings.TrimSpace(getenv("PRICELINE_KEYVAULT_URL")) == "":
		return nil, badSetting("PRICELINE_B2C_CLIENT_SECRET_NAME", "needs PRICELINE_KEYVAULT_URL, the vault to read it from")
	}
	for _, sc := range s.APIScopes {
		for _, r := range reservedScopes {
			if strings.EqualFold(sc, r) {
				return nil, badSetting("PRICELINE_B2C_API_SCOPES", "%q is requested anyway; list only downstream API scopes, such as https://TENANT.onmicrosoft.com/API/SCOPE", sc)
			}
		}
		if strings.EqualFold(sc, s.ClientID) {
			return nil, badSetting("PRICELINE_B2C_API_SCOPES", "the client ID is requested anyway; list only downstream API scopes")
		}
	}
	// The adapter's own checks (authority shape, policy names, https
	// redirect) run here, at startup, with a stand-in secret: New does no
	// network I/O, and its errors name the field they are about.
	if _, err := b2c.New(s.clientConfig("stand-in-secret-for-validation")); err != nil {
		return nil, badSetting(s.settingFor(err), "%v", err)
	}
	return s, nil
}

// settingFor names the setting a b2c.New error is about.
func (s *b2cSettings) settingFor(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Scopes"):
		return "PRICELINE_B2C_API_SCOPES"
	case strings.Contains(msg, "ResetPolicy and EditPolicy"):
		// External ID has no user-flow policies; name the one that is set.
		if s.ResetPolicy == "" {
			return "PRICELINE_B2C_EDIT_POLICY"
		}
		return "PRICELINE_B2C_RESET_POLICY"
	case strings.Contains(msg, "ResetPolicy"):
		return "PRICELINE_B2C_RESET_POLICY"
	case strings.Contains(msg, "EditPolicy"):
		return "PRICELINE_B2C_EDIT_POLICY"
	case strings.Contains(msg, "ClientID"):
		return "PRICELINE_B2C_CLIENT_ID"
	case strings.Contains(msg, "RedirectURI"):
		return "PRICELINE_PUBLIC_URL"
	case strings.Contains(msg, "ClientSecret"):
		return "PRICELINE_B2C_CLIENT_SECRET"
	default:
		return "PRICELINE_B2C_AUTHORITY"
	}
}

func (s *b2cSettings) clientConfig(secret string) b2c.Config {
	return b2c.Config{
		Authority:    s.Authority,
		ClientID:     s.ClientID,
		ClientSecret: secret,
		RedirectURI:  s.RedirectURI,
		ResetPolicy:  s.ResetPolicy,
		EditPolicy:   s.EditPolicy,
		Scopes:       s.APIScopes,
	}
}

// secretReader is the part of keyvault.Source the B2C wiring uses.
type secretReader interface {
	Secret(ctx context.Context, name string) (string, error)
}

// newB2CSignIn builds cloud sign-in, auth's flow over the b2c client, from
// s (nil when s is nil: not configured), reading the client secret from Key
// Vault when it is configured by name. tokens is used only when API scopes are configured;
// otherwise no provider token is kept.
func newB2CSignIn(ctx context.Context, s *b2cSettings, secrets secretReader, flows priceline.AuthFlowStore, tokens priceline.TokenCacheStore) (*auth.CloudSignIn, error) {
	if s == nil {
		return nil, nil
	}
	secret := s.ClientSecret
	if s.ClientSecretName != "" {
		if secrets == nil {
			return nil, &settingError{Name: "PRICELINE_B2C_CLIENT_SECRET_NAME", Problem: "needs PRICELINE_KEYVAULT_URL, the vault to read it from"}
		}
		v, err := secrets.Secret(ctx, s.ClientSecretName)
		if err != nil {
			return nil, fmt.Errorf("setting PRICELINE_B2C_CLIENT_SECRET_NAME: read B2C client secret %q: %w", s.ClientSecretName, err)
		}
		secret = v
	}
	client, err := b2c.New(s.clientConfig(secret))
	if err != nil {
		// Only the secret differs from the validated settings, so this is
		// about its value, which must not be repeated.
		return nil, fmt.Errorf("B2C client secret from %s is not usable", secretOrigin(s))
	}
	sso := &auth.CloudSignIn{Client: client, Flows: flows, ResetPolicy: s.ResetPolicy, EditPolicy: s.EditPolicy}
	if client.KeepsTokens() {
		sso.Tokens = tokens
	}
	return sso, nil
}

func secretOrigin(s *b2cSettings) string {
	if s.ClientSecretName != "" {
		return "Key Vault secret " + s.ClientSecretName
	}
	return "PRICELINE_B2C_CLIENT_SECRET"
}
