// Hospital Priceline in Azure: a Go custom handler on Azure Functions (Flex
// Consumption, Linux) that reaches Table Storage and Key Vault with its
// system-assigned managed identity. No module here comes from a registry:
// everything is in ./modules, so the template builds without network access
// to a module registry.
//
// Deploy with `azd up` or `make deploy`; docs/deploy.md has the steps and
// says what has and has not been verified.

targetScope = 'resourceGroup'

@description('Short environment name of lowercase letters and digits (dev, test, prod); part of every resource name.')
@minLength(1)
@maxLength(20)
param environmentName string

@description('Azure region; must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Tables the app uses. Keep in step with functions/tablestorage (a test checks); add price tables here as they appear.')
param tableNames array = [
  'users'
  'sessions'
  'attempts'
  'authflows'
  'tokencaches'
  'hospital'
  'charges'
  'catalog'
  'hospcode'
  'saved'
  'outbox'
  'mfa'
  'passkeys'
  'challenges'
]

@description('Key Vault secret whose versions are the session signing keys.')
param signingSecretName string = 'session-signing-key'

@description('Create the signing secret. The deploy scripts pass false once it exists, so redeploying never adds a version.')
param createSigningSecret bool = true

// newGuid() may only appear in a parameter default. Three GUIDs carry at most
// 3 x 122 = 366 random bits, but ARM does not promise they come from a CSPRNG
// (ASVS V11.5.1 says UUIDs do not qualify), so this value is only a bootstrap:
// infra/signing-key.sh replaces it with 32 CSPRNG bytes on first deploy.
@description('Bootstrap value of the signing secret; leave the default.')
@secure()
param signingSecretBootstrap string = '${newGuid()}${newGuid()}${newGuid()}'

@description('Object ID of the deploying user or service principal; gets Key Vault Secrets Officer to replace and rotate the signing key. Empty: no grant.')
param deployerPrincipalId string = ''

@description('Kind of principal deployerPrincipalId is.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string = 'User'

@description('Public origin of the app (https://host, no path) when it has a custom domain. Empty: https://APP.azurewebsites.net.')
param publicUrl string = ''

@description('Session idle timeout (Go duration).')
param idleTimeout string = '30m'

@description('Absolute session lifetime (Go duration).')
param sessionLifetime string = '12h'

@description('How long a verified session may be served from memory (Go duration). Empty: the app default.')
param sessionCacheTtl string = ''

@description('How many proxies append to X-Forwarded-For in front of the handler: 1 for the Function App alone, 2 behind Azure Front Door.')
param trustedProxyHops string = '1'

@description('B2C / External ID authority URL, for example https://TENANT.b2clogin.com/TENANT.onmicrosoft.com/B2C_1_signin. Empty: B2C sign-in is not configured.')
param b2cAuthority string = ''

@description('B2C application (client) ID. Empty: not configured.')
param b2cClientId string = ''

@description('Name of the Key Vault secret holding the B2C client secret (the value is set by an operator, never here). Empty: not configured.')
param b2cClientSecretName string = ''

@description('B2C password-reset user flow, for example B2C_1_reset. Empty: not configured.')
param b2cResetPolicy string = ''

@description('B2C profile-edit user flow, for example B2C_1_edit. Empty: not configured.')
param b2cEditPolicy string = ''

@description('Downstream API scopes, space-separated, for example https://TENANT.onmicrosoft.com/API/SCOPE. Only when set are the B2C access and refresh tokens kept, per session, in the tokencaches table. Empty: none kept.')
param b2cApiScopes string = ''

@description('Name of the Key Vault secret whose versions seal authenticator-app secrets (two-step sign-in and passkeys). An operator creates it with 32 random bytes, base64 (docs/security.md); never set here. Empty: two-step sign-in and passkeys are off.')
param mfaSecretName string = ''

@description('Where email data rests (Communication Services data location).')
param mailDataLocation string = 'United States'

@description('Breached-password check at registration, reset and change: hibp (Have I Been Pwned range API, k-anonymity, fail-open) or empty for none.')
@allowed([
  ''
  'hibp'
])
param breachedPasswords string = 'hibp'

@description('Upper bound on Flex Consumption instances (40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  app: 'hospital-priceline'
}
var appName = 'func-priceline-${environmentName}-${resourceToken}'
var storageAccountName = 'st${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var origin = empty(publicUrl) ? 'https://${appName}.azurewebsites.net' : publicUrl

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: storageAccountName
    deploymentContainerName: deploymentContainerName
    tableNames: tableNames
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    tags: tags
    communicationServiceName: 'acs-${resourceToken}'
    emailServiceName: 'ecs-${resourceToken}'
    dataLocation: mailDataLocation
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: keyVaultName
    signingSecretName: signingSecretName
    createSigningSecret: createSigningSecret
    signingSecretBootstrap: signingSecretBootstrap
  }
}

// Every setting the Go config reads (functions/cmd/handler/config.go) that
// belongs in Azure is here, and nothing secret: storage and vault are named
// by endpoint and reached with the managed identity. A test keeps this list
// in step with the code. The local-only settings (PRICELINE_DEV_SIGNING_KEY,
// PRICELINE_TABLES_CONNECTION_STRING, PRICELINE_B2C_CLIENT_SECRET,
// PRICELINE_DEV_MAIL_DIR, PRICELINE_DEV_MFA_KEY) must never
// appear; FUNCTIONS_WORKER_RUNTIME is functionAppConfig.runtime on Flex and
// FUNCTIONS_CUSTOMHANDLER_PORT is set by the host.
var appSettings = {
  // Identity-based host storage: the account name alone selects the
  // system-assigned identity and the default endpoints.
  AzureWebJobsStorage__accountName: storage.outputs.name
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  PRICELINE_PUBLIC_URL: origin
  PRICELINE_TABLES_ENDPOINT: storage.outputs.tableEndpoint
  PRICELINE_KEYVAULT_URL: keyVault.outputs.uri
  PRICELINE_SIGNING_SECRET_NAME: signingSecretName
  PRICELINE_IDLE_TIMEOUT: idleTimeout
  PRICELINE_SESSION_LIFETIME: sessionLifetime
  PRICELINE_SESSION_CACHE_TTL: sessionCacheTtl
  // Every request reaches the handler from the host on loopback; the client
  // address is in X-Forwarded-For. Set explicitly rather than inferred.
  PRICELINE_TRUST_FORWARDED_FOR: 'true'
  // How many proxies append to X-Forwarded-For: the App Service front end
  // alone. Set 2 when Azure Front Door is put in front (docs/deploy.md).
  PRICELINE_TRUSTED_PROXY_HOPS: trustedProxyHops
  PRICELINE_B2C_AUTHORITY: b2cAuthority
  PRICELINE_B2C_CLIENT_ID: b2cClientId
  PRICELINE_B2C_CLIENT_SECRET_NAME: b2cClientSecretName
  PRICELINE_B2C_RESET_POLICY: b2cResetPolicy
  PRICELINE_B2C_EDIT_POLICY: b2cEditPolicy
  PRICELINE_B2C_API_SCOPES: b2cApiScopes
  // Email through Communication Services with the managed identity; the
  // sender is the managed domain's verified DoNotReply address.
  PRICELINE_MAIL_ENDPOINT: communication.outputs.endpoint
  PRICELINE_MAIL_SENDER: communication.outputs.senderAddress
  PRICELINE_BREACHED_PASSWORDS: breachedPasswords
  PRICELINE_MFA_SECRET_NAME: mfaSecretName
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: 'asp-${resourceToken}'
    appName: appName
    serviceName: 'api'
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    appPrincipalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    communicationServiceName: communication.outputs.name
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
  }
}

@description('Public URL of the app.')
output APP_URL string = 'https://${functionApp.outputs.defaultHostName}'

@description('URI of the Key Vault.')
output KEY_VAULT_URI string = keyVault.outputs.uri

@description('Key Vault name, for the signing-key scripts.')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Signing secret name, for the signing-key scripts.')
output SIGNING_SECRET_NAME string = signingSecretName

@description('Function app name, for zip deploy.')
output FUNCTION_APP_NAME string = functionApp.outputs.name

@description('The origin the app was told it has (PRICELINE_PUBLIC_URL).')
output PUBLIC_URL string = origin

@description('Storage account name.')
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
