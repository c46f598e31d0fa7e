package keyvault

import (
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CredentialOptions configure Credential.
type CredentialOptions struct {
	// ClientOptions configure the credential's HTTP pipeline.
	ClientOptions azcore.ClientOptions
}

// RunningInAzure reports whether the process runs in App Service or Azure
// Functions (WEBSITE_INSTANCE_ID or IDENTITY_ENDPOINT is set). Wiring uses it
// to refuse development shortcuts such as PRICELINE_DEV_SIGNING_KEY there.
func RunningInAzure() bool {
	return os.Getenv("WEBSITE_INSTANCE_ID") != "" || os.Getenv("IDENTITY_ENDPOINT") != ""
}

// Credential picks how the app authenticates to Azure:
// ManagedIdentityCredential when it runs in Azure (see RunningInAzure),
// DefaultAzureCredential elsewhere (a developer's az login). clientID selects a user-assigned
// identity; "" means the system-assigned one.
//
// In Azure only the managed identity is used, never the default chain,
// because that chain would also accept a client secret from environment
// variables: the very stored secret managed identity exists to remove.
func Credential(clientID string, opts *CredentialOptions) (azcore.TokenCredential, error) {
	if opts == nil {
		opts = &CredentialOptions{}
	}
	// The same test as RunningInAzure, so no environment counts as Azure for
	// one purpose and as a developer machine for another. A half-configured
	// identity (endpoint without header) then fails at the first token
	// request instead of quietly trying other credentials.
	if RunningInAzure() {
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts.ClientOptions}
		if clientID != "" {
			o.ID = azidentity.ClientID(clientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(o)
		if err != nil {
			return nil, fmt.Errorf("managed identity credential: %w", err)
		}
		return cred, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts.ClientOptions})
	if err != nil {
		return nil, fmt.Errorf("default Azure credential: %w", err)
	}
	return cred, nil
}
