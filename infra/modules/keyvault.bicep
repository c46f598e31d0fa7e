// The vault that holds the session signing key (and, when B2C is configured,
// the B2C client secret). Access is by Azure RBAC only; soft delete and purge
// protection mean a deleted key can be recovered and cannot be destroyed
// early, even by an administrator.

@description('Azure region for the vault.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Vault name: 3-24 letters, digits and dashes, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Name of the secret whose versions are the session signing keys.')
param signingSecretName string

@description('Create the first version of the signing secret. Must be false once the secret exists: the bootstrap value is new on every deployment, so leaving this on would add a version (which signs) each time.')
param createSigningSecret bool

@description('Bootstrap value for the signing secret. Deploy scripts replace it with 32 bytes from a CSPRNG at once; see docs/deploy.md.')
@secure()
param signingSecretBootstrap string

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC, not access policies: the same role model as storage, and
    // per-identity grants that show up in one place.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Bicep has no source of cryptographic randomness; the bootstrap value is
// base64 of GUID text (see main.bicep), which decodes to more than the 32
// bytes the app requires but is not documented to come from a CSPRNG. It is
// tagged so the deploy scripts can recognise and replace it.
resource signingSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (createSigningSecret) {
  parent: vault
  name: signingSecretName
  tags: {
    origin: 'bicep-bootstrap'
  }
  properties: {
    value: base64(signingSecretBootstrap)
    contentType: 'application/octet-stream; base64'
    attributes: {
      enabled: true
    }
  }
}

@description('Vault name.')
output name string = vault.name

@description('Vault URI, for example https://NAME.vault.azure.net/.')
output uri string = vault.properties.vaultUri
