// Log Analytics workspace and a workspace-based Application Insights
// component. Local (instrumentation-key) ingestion is disabled, so the
// connection string the app is given is an address, not a credential:
// telemetry is accepted only with an Entra ID token from the app's identity
// (Monitoring Metrics Publisher, assigned in roles.bicep).

@description('Azure region for the monitoring resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

@description('Name of the Application Insights component.')
output applicationInsightsName string = appInsights.name

@description('Ingestion address for the Functions host; not a secret because local auth is disabled.')
output applicationInsightsConnectionString string = appInsights.properties.ConnectionString
