// Package acsmail sends email through Azure Communication Services Email
// with the app's Entra ID credential (managed identity in Azure): the REST
// "Email - Send" operation, called through an azcore pipeline because there
// is no Go SDK for it.
//
// Settings (read in cmd/handler): PRICELINE_MAIL_ENDPOINT is the
// Communication Services endpoint, https://NAME.communication.azure.com
// (or the regional form Azure shows, https://NAME.REGION.communication.azure.com);
// PRICELINE_MAIL_SENDER is the verified sender address, such as
// DoNotReply@GUID.azurecomm.net for an Azure-managed domain. No key or
// connection string is used anywhere: the token is for
// https://communication.azure.com/.default and the app's identity holds a
// role on the Communication Services resource (infra/modules/communication.bicep).
//
// A retry of one message is never sent twice: its Operation-Id (and the
// repeatability-request-id) is derived from the message's Message-ID, so
// ACS recognises a request it has already accepted.
package acsmail
