// The Flex Consumption plan and the Linux function app that runs the Go
// custom handler.
//
// Why Flex Consumption: it is the serverless plan Microsoft now directs new
// apps to; Linux on the legacy Consumption plan is retired for new apps
// (retirement completes 30 September 2028) and gets no new features. Flex
// lists the custom-handler stack (functionAppConfig.runtime name 'custom',
// version '1.0'), scales to zero, and deploys from a blob container it reads
// with the app's own managed identity, so no storage key is needed anywhere.
// Premium and Dedicated plans also run custom handlers but bill for idle
// instances, which this app does not need.

@description('Azure region for the plan and the app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app; also its default host name prefix.')
param appName string

@description('azd service name this app implements (matches azure.yaml).')
param serviceName string

@description('Storage account holding the deployment container.')
param storageBlobEndpoint string

@description('Blob container Flex Consumption deploys from.')
param deploymentContainerName string

@description('App settings as name-value pairs. Names, endpoints and policy only: never a secret value.')
param appSettings object

@description('Upper bound on instances; Flex accepts 40 to 1000.')
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

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    // System-assigned: the identity lives and dies with the app, so no
    // AZURE_CLIENT_ID is needed and nothing is left behind on tear-down.
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      // No ftpsState: Flex Consumption has no FTP(S) endpoint, and ARM
      // refuses the property on a Flex site (error 51021, "FtpsState for
      // Flex Consumption sites is invalid"). Microsoft's "Flex Consumption
      // plan deprecations" list (functions-app-settings, see docs/deploy.md)
      // names the siteConfig properties and app settings Flex does not take;
      // functions/internal/infratest/flex_test.go keeps them out.
      http20Enabled: true
      appSettings: [
        for setting in items(appSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Flex replaces the FUNCTIONS_WORKER_RUNTIME app setting with this.
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// Deployments authenticate with Entra ID (az and azd both do); publishing
// user names and passwords are turned off for the SCM site, through which
// Flex's one-deploy publish goes. There is no 'ftp' policy: Flex has no FTP
// endpoint to turn off (the same deprecation that makes ftpsState invalid),
// so the resource would only add a second thing for ARM to refuse.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Function app name.')
output name string = app.name

@description('Default host name, for example NAME.azurewebsites.net.')
output defaultHostName string = app.properties.defaultHostName

@description('Object ID of the system-assigned identity.')
output principalId string = app.identity.principalId
