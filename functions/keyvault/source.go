package keyvault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"hospitalpriceline/functions/priceline"
)

// MinKeyBytes is the shortest decoded signing secret accepted; it matches
// what an HS256 key needs for full strength.
const MinKeyBytes = 32

// MaxSigningVersions bounds how many enabled versions one load fetches, so a
// secret that has accumulated versions cannot make every refresh slow. With
// rotations weeks apart and sessions lasting hours, 16 is far more than the
// versions any live cookie can need.
const MaxSigningVersions = 16

// retryAfter is what callers are told to wait when the vault is unreachable.
const retryAfter = 30 * time.Second

// Source reads secrets from one Key Vault.
type Source struct {
	client *azsecrets.Client
	vault  string
	logger *slog.Logger
	now    func() time.Time
}

var _ priceline.SecretSource = (*Source)(nil)

// Options configure a Source.
type Options struct {
	// ClientOptions are passed to azsecrets; tests use them to inject a
	// transport that reaches a local double.
	ClientOptions *azsecrets.ClientOptions
	// DisableChallengeResourceVerification turns off the check that Key
	// Vault's authentication challenge names this vault's domain. Leave it
	// off: the check stops a look-alike host from collecting a token.
	DisableChallengeResourceVerification bool
	// Logger receives warnings about versions that are skipped; slog.Default
	// when nil.
	Logger *slog.Logger
	// Now decides which versions have expired or are not yet valid;
	// time.Now when nil.
	Now func() time.Time
}

// New returns a Source for the vault at vaultURL (https://<name>.vault.azure.net).
func New(vaultURL string, cred azcore.TokenCredential, opt Options) (*Source, error) {
	u, err := url.Parse(vaultURL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("key vault URL %q: %w", vaultURL, err)
	case u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("key vault URL %q: want https://<vault-name>.vault.azure.net", vaultURL)
	case cred == nil:
		return nil, errors.New("key vault: no credential")
	}
	co := azsecrets.ClientOptions{}
	if opt.ClientOptions != nil {
		co = *opt.ClientOptions
	}
	co.DisableChallengeResourceVerification = co.DisableChallengeResourceVerification || opt.DisableChallengeResourceVerification
	vault := "https://" + u.Host
	client, err := azsecrets.NewClient(vault, cred, &co)
	if err != nil {
		return nil, fmt.Errorf("key vault client for %s: %w", vault, err)
	}
	logger := opt.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	return &Source{client: client, vault: vault, logger: logger, now: now}, nil
}

// SigningKeys returns the usable versions of the named secret, newest first:
// enabled, not expired, past their not-before time, and decoding to at least
// MinKeyBytes. A version whose value does not decode is skipped and logged
// (by version, never by value); if no version is usable the load fails, so a
// caller keeps the keys it has rather than installing none.
func (s *Source) SigningKeys(ctx context.Context, name string) ([]priceline.SigningKey, error) {
	keys, err := s.signingKeys(ctx, name)
	if err != nil {
		return nil, s.translate(fmt.Errorf("load signing keys %q from %s: %w", name, s.vault, err))
	}
	return keys, nil
}

func (s *Source) signingKeys(ctx context.Context, name string) ([]priceline.SigningKey, error) {
	now := s.now()
	var candidates []*azsecrets.SecretProperties
	pager := s.client.NewListSecretPropertiesVersionsPager(name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list versions: %w", err)
		}
		for _, p := range page.Value {
			if p != nil && p.ID != nil && usable(p.Attributes, now) {
				candidates = append(candidates, p)
			}
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		return created(candidates[i].Attributes).After(created(candidates[j].Attributes))
	})
	if len(candidates) > MaxSigningVersions {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "signing secret has more enabled versions than are loaded; disable old versions",
			slog.String("secret", name), slog.Int("enabled", len(candidates)), slog.Int("loaded", MaxSigningVersions))
		candidates = candidates[:MaxSigningVersions]
	}

	var keys []priceline.SigningKey
	var skipped []string
	for _, p := range candidates {
		ver := p.ID.Version()
		resp, err := s.client.GetSecret(ctx, name, ver, nil)
		if err != nil {
			// Failing the whole load keeps the caller's current keys; dropping
			// just this version would revoke its cookies over a transient error.
			return nil, fmt.Errorf("get version %s: %w", ver, err)
		}
		// The version may have changed between the list and the read.
		if !usable(resp.Attributes, now) {
			continue
		}
		secret, err := decodeKey(resp.Value)
		if err != nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "skipping signing key version that is not a usable key",
				slog.String("secret", name), slog.String("version", ver), slog.String("reason", err.Error()))
			skipped = append(skipped, ver)
			continue
		}
		keys = append(keys, priceline.SigningKey{
			Version: ver,
			Secret:  secret,
			Enabled: true,
			Created: created(p.Attributes),
		})
	}
	if len(keys) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("no usable version: %d enabled version(s) (%s) do not decode to at least %d bytes of base64", len(skipped), strings.Join(skipped, ", "), MinKeyBytes)
		}
		return nil, errors.New("no enabled, unexpired version")
	}
	return keys, nil
}

// Secret returns the current value of the named secret.
func (s *Source) Secret(ctx context.Context, name string) (string, error) {
	resp, err := s.client.GetSecret(ctx, name, "", nil)
	if err != nil {
		return "", s.translate(fmt.Errorf("get secret %q from %s: %w", name, s.vault, err))
	}
	if !usable(resp.Attributes, s.now()) || resp.Value == nil {
		return "", s.translate(fmt.Errorf("get secret %q from %s: current version is disabled, expired or empty", name, s.vault))
	}
	return *resp.Value, nil
}

func usable(a *azsecrets.SecretAttributes, now time.Time) bool {
	if a == nil || a.Enabled == nil || !*a.Enabled {
		return false
	}
	if a.Expires != nil && !now.Before(*a.Expires) {
		return false
	}
	if a.NotBefore != nil && now.Before(*a.NotBefore) {
		return false
	}
	return true
}

func created(a *azsecrets.SecretAttributes) time.Time {
	if a == nil || a.Created == nil {
		return time.Time{}
	}
	return *a.Created
}

// decodeKey accepts the base64 forms an operator is likely to paste: standard
// or URL alphabet, padded or not.
func decodeKey(value *string) ([]byte, error) {
	if value == nil {
		return nil, errors.New("value is empty")
	}
	v := strings.TrimSpace(*value)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.Strict().DecodeString(v)
		if err != nil {
			continue
		}
		if len(b) < MinKeyBytes {
			return nil, fmt.Errorf("decodes to %d bytes, want at least %d", len(b), MinKeyBytes)
		}
		return b, nil
	}
	return nil, errors.New("value is not base64")
}

// translate turns a vault failure into the domain error: KindUnavailable
// when the vault (or the identity endpoint) cannot be reached or answers 5xx
// or 429, so callers may retry; KindInternal for everything else, which is a
// configuration problem (no access, missing secret, bad value) that retrying
// will not fix.
func (s *Source) translate(err error) error {
	if unavailable(err) {
		return priceline.Unavailable(err, "keyvault_unavailable",
			"A service we depend on is unavailable. Please try again shortly.", retryAfter)
	}
	return priceline.Wrap(err, priceline.KindInternal, "keyvault_error", "Something went wrong. Please try again.")
}

func unavailable(err error) bool {
	if status, ok := statusOf(err); ok {
		return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
	}
	// The identity endpoint gave no answer at all. The credential keeps only
	// the message of the cause, but on App Service that endpoint is local,
	// so no answer means it is restarting, not misconfigured.
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		return true
	}
	// A certificate problem is a misconfiguration or an attack, not an outage.
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostname) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.DeadlineExceeded)
}

// statusOf finds the HTTP status behind a vault or credential error.
func statusOf(err error) (int, bool) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode, true
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) && af.RawResponse != nil {
		return af.RawResponse.StatusCode, true
	}
	return 0, false
}
