// Role assignments, by built-in role definition ID, each scoped to the one
// resource it is for. These are every permission the app has: there are no
// keys, connection strings or access policies besides them.

@description('Object ID of the function app\'s system-assigned identity.')
param appPrincipalId string

@description('Storage account the app and the Functions host use.')
param storageAccountName string

@description('Key Vault holding the signing key.')
param keyVaultName string

@description('Application Insights component the host sends telemetry to.')
param applicationInsightsName string

@description('Communication Services resource the app sends email through.')
param communicationServiceName string

@description('Object ID of whoever deploys (azd sets AZURE_PRINCIPAL_ID); granted Key Vault Secrets Officer so the deploy scripts can replace and rotate the signing key. Empty: no grant.')
param deployerPrincipalId string = ''

@description('Kind of principal deployerPrincipalId is.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string = 'User'

// Built-in role definition IDs (the same in every subscription).
// The app reads and writes its tables (users, sessions, attempts).
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// The Functions host keeps its keys and leases in blobs, and Flex reads the
// deployment package from a container, both through AzureWebJobsStorage.
// Blob Data Owner is what the Functions documentation requires for
// identity-based host storage. No queue role: the app has only HTTP
// triggers, and the host uses queues only for queue and blob triggers.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// The app lists and reads versions of the signing secret (never writes).
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
// The host sends telemetry with an Entra ID token; local auth is off.
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
// The app sends email with an Entra ID token (acsmail). Microsoft documents
// "Communication and Email Service Owner" as the built-in role for sending
// email with Entra ID (Microsoft Learn, Azure Communication Services, "Set up
// a Microsoft Entra application for SMTP authentication" and "Send email with
// Microsoft Entra ID"); the narrower alternative it documents is a custom
// role with Microsoft.Communication/CommunicationServices/Read and /Write
// and Microsoft.Communication/EmailServices/write. The built-in role is
// scoped to the one Communication Services resource, never the group.
var communicationAndEmailServiceOwner = '09976791-48a7-449e-bb21-39d1a415f350'
// The deployer sets new signing-key versions and disables old ones.
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource appTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource hostBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource hostTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appMail 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, appPrincipalId, communicationAndEmailServiceOwner)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', communicationAndEmailServiceOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
