// Email for the app: an Email Communication Service with an Azure-managed
// domain (DoNotReply@<guid>.azurecomm.net, verified by Azure, no DNS to
// set up), linked to a Communication Services resource whose endpoint the
// app calls with its managed identity. No keys or connection strings are
// handed out: the app's role on the Communication Services resource is
// assigned in roles.bicep, which runs after the function app exists (this
// module runs before it, because the app settings need its outputs).
//
// A custom domain needs DNS records and verification first; add it as a
// second domain resource when the project has one.

@description('Tags for every resource.')
param tags object

@description('Name of the Communication Services resource; the first label of its endpoint.')
param communicationServiceName string

@description('Name of the Email Communication Service.')
param emailServiceName string

@description('Where message data is kept at rest; the email service and the domain it links must share it.')
param dataLocation string = 'United States'

@description('Sender user name on the managed domain.')
param senderUserName string = 'DoNotReply'

// Both resources are global: their region is 'global' whatever the
// resource group's, and dataLocation says where data rests.
resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    // Engagement tracking rewrites links, and ours carry single-use tokens.
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

@description('Name of the Communication Services resource, for the role assignment.')
output name string = communicationService.name

@description('Endpoint for PRICELINE_MAIL_ENDPOINT, such as https://NAME.unitedstates.communication.azure.com.')
output endpoint string = 'https://${communicationService.properties.hostName}'

@description('Verified sender address for PRICELINE_MAIL_SENDER.')
output senderAddress string = '${senderUserName}@${managedDomain.properties.mailFromSenderDomain}'
