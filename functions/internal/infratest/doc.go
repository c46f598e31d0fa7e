// Package infratest holds the checks CI can run on the infrastructure code in
// infra/ and azure.yaml without the Bicep CLI or an Azure subscription: every
// Bicep file parses, the app settings cover every setting the Go config reads
// and hold no secret, every role the code needs is assigned, and the security
// properties the issue requires are set. It has tests only.
package infratest
