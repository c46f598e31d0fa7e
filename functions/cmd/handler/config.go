package main

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// config is every setting the handler reads, parsed and validated once at
// startup. Each setting is an app setting in Azure and an environment
// variable locally; the README's Configuration table and
// local.settings.sample.json list them.
type config struct {
	Port              int
	PublicURL         string
	TablesConnString  string // Azurite or a full connection string (local only)
	TablesEndpoint    string // identity-based, https://ACCOUNT.table.core.windows.net
	KeyVaultURL       string
	SigningSecretName string
	DevSigningKey     []byte // local only; refused in Azure
	IdleTimeout       time.Duration
	SessionLifetime   time.Duration
	SessionCacheTTL   time.Duration // 0 = every request reads its session record
	TrustForwardedFor bool
	TrustedProxyHops  int          // proxies appending to X-Forwarded-For; see web/clientaddr.go
	ManagedIdentityID string       // AZURE_CLIENT_ID: a user-assigned identity, optional
	B2C               *b2cSettings // nil: cloud sign-in is off
	MailEndpoint      string       // ACS endpoint, https://NAME.communication.azure.com; "" with MailSender ""
	MailSender        string       // verified ACS sender address
	DevMailDir        string       // local only: write mail as .eml files here; refused in Azure
	BreachedPasswords string       // "hibp" or "" (off)
	MFASecretName     string       // Key Vault secret sealing authenticator-app secrets; "" with DevMFAKey nil: MFA off
	DevMFAKey         []byte       // local only; refused in Azure
}

// settingNames lists every setting loadConfig reads. A test checks that the
// Bicep sets each one that is not local-only.
var settingNames = []string{
	"FUNCTIONS_CUSTOMHANDLER_PORT", "FUNCTIONS_WORKER_RUNTIME", "PRICELINE_PUBLIC_URL",
	"PRICELINE_TABLES_CONNECTION_STRING", "PRICELINE_TABLES_ENDPOINT", "PRICELINE_KEYVAULT_URL",
	"PRICELINE_SIGNING_SECRET_NAME", "PRICELINE_DEV_SIGNING_KEY", "PRICELINE_IDLE_TIMEOUT",
	"PRICELINE_SESSION_LIFETIME", "PRICELINE_SESSION_CACHE_TTL", "PRICELINE_TRUST_FORWARDED_FOR",
	"PRICELINE_TRUSTED_PROXY_HOPS", "AZURE_CLIENT_ID",
	"PRICELINE_B2C_AUTHORITY", "PRICELINE_B2C_CLIENT_ID", "PRICELINE_B2C_CLIENT_SECRET",
	"PRICELINE_B2C_CLIENT_SECRET_NAME", "PRICELINE_B2C_RESET_POLICY", "PRICELINE_B2C_EDIT_POLICY", "PRICELINE_B2C_API_SCOPES",
	"PRICELINE_MAIL_ENDPOINT", "PRICELINE_MAIL_SENDER", "PRICELINE_DEV_MAIL_DIR", "PRICELINE_BREACHED_PASSWORDS",
	"PRICELINE_MFA_SECRET_NAME", "PRICELINE_DEV_MFA_KEY",
}

// settingError names the setting that stopped startup.
type settingError struct {
	Name, Problem string
}

func (e *settingError) Error() string { return fmt.Sprintf("setting %s: %s", e.Name, e.Problem) }

// badSetting is the settingError for name, its problem worded by format.
func badSetting(name, format string, args ...any) error {
	return &settingError{Name: name, Problem: fmt.Sprintf(format, args...)}
}

// loadConfig reads and validates the settings. runningInAzure refuses the
// local-only development key in Azure.
func loadConfig(getenv func(string) string, runningInAzure bool) (*config, error) {
	c := &config{SigningSecretName: "session-signing-key", IdleTimeout: 30 * time.Minute, SessionLifetime: 12 * time.Hour, Port: 7071}
	if v := getenv("FUNCTIONS_CUSTOMHANDLER_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return nil, badSetting("FUNCTIONS_CUSTOMHANDLER_PORT", "%q is not a TCP port number", v)
		}
		c.Port = p
	}

	c.PublicURL = strings.TrimRight(getenv("PRICELINE_PUBLIC_URL"), "/")
	if c.PublicURL == "" {
		return nil, badSetting("PRICELINE_PUBLIC_URL", "is required (for example http://localhost:7071)")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return nil, badSetting("PRICELINE_PUBLIC_URL", "%q must be an origin such as https://priceline.example.org", c.PublicURL)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" {
		return nil, badSetting("PRICELINE_PUBLIC_URL", "must use https except for localhost (session cookies are Secure)")
	}

	if err := loadTablesConfig(c, getenv); err != nil {
		return nil, err
	}

	c.KeyVaultURL = strings.TrimRight(getenv("PRICELINE_KEYVAULT_URL"), "/")
	if c.KeyVaultURL != "" {
		if ku, err := url.Parse(c.KeyVaultURL); err != nil || ku.Scheme != "https" || ku.Host == "" {
			return nil, badSetting("PRICELINE_KEYVAULT_URL", "%q must be an https URL such as https://NAME.vault.azure.net", c.KeyVaultURL)
		}
	}
	if v := getenv("PRICELINE_SIGNING_SECRET_NAME"); v != "" {
		if !validSecretName(v) {
			return nil, badSetting("PRICELINE_SIGNING_SECRET_NAME", "%q is not a Key Vault secret name (1-127 letters, digits and dashes)", v)
		}
		c.SigningSecretName = v
	}
	if v := getenv("PRICELINE_DEV_SIGNING_KEY"); v != "" {
		if runningInAzure {
			return nil, badSetting("PRICELINE_DEV_SIGNING_KEY", "is for local use only and is refused in Azure; use PRICELINE_KEYVAULT_URL")
		}
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, badSetting("PRICELINE_DEV_SIGNING_KEY", "is not standard base64")
		}
		if len(key) < 32 {
			return nil, badSetting("PRICELINE_DEV_SIGNING_KEY", "decodes to %d bytes; at least 32 are required", len(key))
		}
		c.DevSigningKey = key
	}
	switch {
	case c.KeyVaultURL == "" && c.DevSigningKey == nil:
		return nil, badSetting("PRICELINE_KEYVAULT_URL", "is required (or PRICELINE_DEV_SIGNING_KEY when running locally)")
	case c.KeyVaultURL != "" && c.DevSigningKey != nil:
		return nil, badSetting("PRICELINE_DEV_SIGNING_KEY", "set either it or PRICELINE_KEYVAULT_URL, not both")
	}

	if c.IdleTimeout, err = durationSetting(getenv, "PRICELINE_IDLE_TIMEOUT", c.IdleTimeout, time.Minute, 24*time.Hour); err != nil {
		return nil, err
	}
	if c.SessionLifetime, err = durationSetting(getenv, "PRICELINE_SESSION_LIFETIME", c.SessionLifetime, 5*time.Minute, 30*24*time.Hour); err != nil {
		return nil, err
	}
	// The cache TTL is how long another instance may keep honouring a revoked
	// session, so it is capped at a minute.
	if v := getenv("PRICELINE_SESSION_CACHE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Minute {
			return nil, badSetting("PRICELINE_SESSION_CACHE_TTL", "%q must be a duration from 0 to 1m, such as 1s (0 turns the cache off)", v)
		}
		c.SessionCacheTTL = d
	}
	if c.IdleTimeout > c.SessionLifetime {
		return nil, badSetting("PRICELINE_IDLE_TIMEOUT", "%s is longer than PRICELINE_SESSION_LIFETIME %s", c.IdleTimeout, c.SessionLifetime)
	}

	// Behind the Functions host every request comes from loopback and the
	// client address is in X-Forwarded-For, so trust it there by default.
	c.TrustForwardedFor = strings.EqualFold(getenv("FUNCTIONS_WORKER_RUNTIME"), "custom")
	if v := getenv("PRICELINE_TRUST_FORWARDED_FOR"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badSetting("PRICELINE_TRUST_FORWARDED_FOR", "%q is not true or false", v)
		}
		c.TrustForwardedFor = b
	}
	// 1: the App Service front end alone (a bare Function App); 2 with
	// Azure Front Door or Application Gateway in front (docs/deploy.md).
	c.TrustedProxyHops = 1
	if v := getenv("PRICELINE_TRUSTED_PROXY_HOPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return nil, badSetting("PRICELINE_TRUSTED_PROXY_HOPS", "%q must be a whole number from 1 to 10 (1 for a bare Function App, 2 behind Front Door)", v)
		}
		c.TrustedProxyHops = n
	}
	c.ManagedIdentityID = getenv("AZURE_CLIENT_ID")
	if c.B2C, err = loadB2CConfig(getenv, c.PublicURL); err != nil {
		return nil, err
	}
	if err := loadMailConfig(c, getenv, runningInAzure); err != nil {
		return nil, err
	}
	if err := loadMFAConfig(c, getenv, runningInAzure); err != nil { // mfaconfig.go
		return nil, err
	}
	return c, nil
}

// loadTablesConfig reads where the tables are: a connection string
// (Azurite, locally) or an https endpoint reached with the managed
// identity, exactly one. "handler ingest" reads them here too, so it
// refuses what serve refuses.
func loadTablesConfig(c *config, getenv func(string) string) error {
	c.TablesConnString = getenv("PRICELINE_TABLES_CONNECTION_STRING")
	c.TablesEndpoint = strings.TrimRight(getenv("PRICELINE_TABLES_ENDPOINT"), "/")
	switch {
	case c.TablesConnString == "" && c.TablesEndpoint == "":
		return badSetting("PRICELINE_TABLES_ENDPOINT", "set it (or PRICELINE_TABLES_CONNECTION_STRING for Azurite)")
	case c.TablesConnString != "" && c.TablesEndpoint != "":
		return badSetting("PRICELINE_TABLES_CONNECTION_STRING", "set either it or PRICELINE_TABLES_ENDPOINT, not both")
	case c.TablesEndpoint != "":
		if eu, err := url.Parse(c.TablesEndpoint); err != nil || eu.Scheme != "https" || eu.Host == "" {
			return badSetting("PRICELINE_TABLES_ENDPOINT", "%q must be an https URL such as https://ACCOUNT.table.core.windows.net", c.TablesEndpoint)
		}
	case !strings.EqualFold(c.TablesConnString, "UseDevelopmentStorage=true") && !strings.Contains(c.TablesConnString, "="):
		return badSetting("PRICELINE_TABLES_CONNECTION_STRING", "is not a connection string")
	}
	return nil
}

// loadMailConfig reads where email goes: ACS (endpoint and sender, both or
// neither), or locally a folder of .eml files, which is refused in Azure
// because the files hold live single-use links. Neither is an error here;
// the flows that need mail decide what to do without it.
func loadMailConfig(c *config, getenv func(string) string, runningInAzure bool) error {
	c.MailEndpoint = strings.TrimRight(getenv("PRICELINE_MAIL_ENDPOINT"), "/")
	c.MailSender = strings.TrimSpace(getenv("PRICELINE_MAIL_SENDER"))
	if c.MailEndpoint != "" {
		u, err := url.Parse(c.MailEndpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return badSetting("PRICELINE_MAIL_ENDPOINT", "%q must be an https URL such as https://NAME.communication.azure.com", c.MailEndpoint)
		}
		if c.MailSender == "" {
			return badSetting("PRICELINE_MAIL_SENDER", "is required with PRICELINE_MAIL_ENDPOINT (the verified sender, such as DoNotReply@GUID.azurecomm.net)")
		}
	}
	if c.MailSender != "" {
		if c.MailEndpoint == "" {
			return badSetting("PRICELINE_MAIL_ENDPOINT", "is required with PRICELINE_MAIL_SENDER")
		}
		if !strings.Contains(c.MailSender, "@") || strings.ContainsAny(c.MailSender, " \r\n<>") {
			return badSetting("PRICELINE_MAIL_SENDER", "%q is not an email address", c.MailSender)
		}
	}
	c.DevMailDir = getenv("PRICELINE_DEV_MAIL_DIR")
	if c.DevMailDir != "" {
		if runningInAzure {
			return badSetting("PRICELINE_DEV_MAIL_DIR", "is for local use only and is refused in Azure; use PRICELINE_MAIL_ENDPOINT")
		}
		if c.MailEndpoint != "" {
			return badSetting("PRICELINE_DEV_MAIL_DIR", "set either it or PRICELINE_MAIL_ENDPOINT, not both")
		}
	}
	switch v := getenv("PRICELINE_BREACHED_PASSWORDS"); v {
	case "", "hibp":
		c.BreachedPasswords = v
	default:
		return badSetting("PRICELINE_BREACHED_PASSWORDS", "%q is not hibp or empty", v)
	}
	return nil
}

func durationSetting(getenv func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &settingError{Name: name, Problem: fmt.Sprintf("%q is not a duration such as 30m or 12h", v)}
	}
	if d < lo || d > hi {
		return 0, &settingError{Name: name, Problem: fmt.Sprintf("%s is outside %s to %s", d, lo, hi)}
	}
	return d, nil
}

func validSecretName(s string) bool {
	if len(s) < 1 || len(s) > 127 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
