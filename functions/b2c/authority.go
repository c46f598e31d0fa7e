package b2c

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// authority is a parsed Config.Authority. B2C authorities end in a user-flow
// (policy) segment and every policy has its own metadata document; External
// ID authorities have no policy.
type authority struct {
	externalID    bool
	host          string // lower-case host, port included if any
	base          string // https://host/[tfp/]tenant, without the policy and without a trailing slash
	defaultPolicy string // the policy named in the authority; "" for External ID
}

// policyPattern matches B2C built-in (B2C_1_) and custom (B2C_1A_) policy
// names; anything else in that position is a configuration mistake.
var policyPattern = regexp.MustCompile(`^(?i:b2c_1a?_)[A-Za-z0-9_\-]{1,100}$`)

// tenantPattern accepts a tenant domain (contoso.onmicrosoft.com) or a tenant
// ID; it keeps path tricks out of the metadata URL.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.\-]{0,252}$`)

func parseAuthority(raw string) (authority, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return authority{}, fmt.Errorf("parse %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "https":
		return authority{}, errors.New("must be an https URL")
	case u.Host == "" || u.User != nil:
		return authority{}, errors.New("must name a host and no user information")
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return authority{}, errors.New("must not have a query or fragment")
	}
	host := strings.ToLower(u.Host)
	path := strings.Trim(u.Path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(path, "/")
	}
	for _, s := range segs {
		if s == "" {
			return authority{}, errors.New("must not contain empty path segments")
		}
	}

	if strings.HasSuffix(u.Hostname(), ".ciamlogin.com") {
		// External ID. MSAL needs a tenant segment; the bare host form is
		// documented by Microsoft, so supply the tenant the way its other
		// libraries do: the subdomain's onmicrosoft.com domain.
		switch len(segs) {
		case 0:
			sub := strings.TrimSuffix(u.Hostname(), ".ciamlogin.com")
			segs = []string{sub + ".onmicrosoft.com"}
		case 1:
		default:
			return authority{}, errors.New(`an External ID authority must look like "https://TENANT.ciamlogin.com/TENANT_ID"`)
		}
		if !tenantPattern.MatchString(segs[0]) {
			return authority{}, fmt.Errorf("tenant %q is not a tenant ID or domain", segs[0])
		}
		return authority{externalID: true, host: host, base: "https://" + host + "/" + segs[0]}, nil
	}

	// B2C, on *.b2clogin.com or a custom domain: [tfp/]tenant/policy.
	prefix := ""
	if len(segs) == 3 && strings.EqualFold(segs[0], "tfp") {
		prefix, segs = "tfp/", segs[1:]
	}
	if len(segs) != 2 {
		return authority{}, errors.New(`a B2C authority must look like "https://TENANT.b2clogin.com/TENANT.onmicrosoft.com/B2C_1_policy"`)
	}
	if !tenantPattern.MatchString(segs[0]) {
		return authority{}, fmt.Errorf("tenant %q is not a tenant ID or domain", segs[0])
	}
	if !policyPattern.MatchString(segs[1]) {
		return authority{}, fmt.Errorf("%q is not a B2C policy name (B2C_1_… or B2C_1A_…)", segs[1])
	}
	return authority{
		host:          host,
		base:          "https://" + host + "/" + prefix + segs[0],
		defaultPolicy: segs[1],
	}, nil
}

// url returns the MSAL authority for policy.
func (a authority) url(policy string) string {
	if a.externalID {
		return a.base
	}
	return a.base + "/" + policy
}

// metadataURL is the OpenID configuration document MSAL reads when instance
// discovery is off: the authority followed by /v2.0/.well-known/openid-configuration.
// Fetching the same document keeps our view of the issuer and keys
// consistent with the endpoints MSAL uses.
func (a authority) metadataURL(policy string) string {
	return a.url(policy) + "/v2.0/.well-known/openid-configuration"
}
