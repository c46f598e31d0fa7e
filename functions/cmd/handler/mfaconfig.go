package main

import "encoding/base64"

// loadMFAConfig reads the key that seals authenticator-app secrets: the
// versions of a Key Vault secret (PRICELINE_MFA_SECRET_NAME, read with the
// vault of the signing keys), or locally PRICELINE_DEV_MFA_KEY, which is
// refused in Azure. With neither, two-step sign-in and passkeys are off.
func loadMFAConfig(c *config, getenv func(string) string, runningInAzure bool) error {
	name := getenv("PRICELINE_MFA_SECRET_NAME")
	dev := getenv("PRICELINE_DEV_MFA_KEY")
	if dev != "" {
		if runningInAzure {
			return badSetting("PRICELINE_DEV_MFA_KEY", "is for local use only and is refused in Azure; use PRICELINE_MFA_SECRET_NAME")
		}
		if name != "" {
			return badSetting("PRICELINE_DEV_MFA_KEY", "set either it or PRICELINE_MFA_SECRET_NAME, not both")
		}
		key, err := base64.StdEncoding.DecodeString(dev)
		if err != nil {
			return badSetting("PRICELINE_DEV_MFA_KEY", "is not standard base64")
		}
		if len(key) < 32 {
			return badSetting("PRICELINE_DEV_MFA_KEY", "decodes to %d bytes; at least 32 are required", len(key))
		}
		c.DevMFAKey = key
		return nil
	}
	if name == "" {
		return nil
	}
	if !validSecretName(name) {
		return badSetting("PRICELINE_MFA_SECRET_NAME", "%q is not a Key Vault secret name (1-127 letters, digits and dashes)", name)
	}
	if c.KeyVaultURL == "" {
		return badSetting("PRICELINE_MFA_SECRET_NAME", "needs PRICELINE_KEYVAULT_URL (locally, use PRICELINE_DEV_MFA_KEY)")
	}
	c.MFASecretName = name
	return nil
}
