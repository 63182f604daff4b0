// Crm.Serverless: everything `azd up` provisions into the shop's subscription.
// A resource group holding a Flex Consumption function app (.NET 10 isolated),
// its user-assigned managed identity, one storage account (host storage + app
// data + deployment package, shared-key access disabled), Application Insights
// on a Log Analytics workspace, and the role assignments that tie them together.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the unique resource token.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Optional object id of the developer or CI principal that gets storage data roles (azd fills it with the signed-in principal).')
param principalId string = ''

@description('Optional overrides for generated resource names; leave empty to use <abbreviation><token>.')
param resourceGroupName string = ''
param functionAppName string = ''
param appServicePlanName string = ''
param storageAccountName string = ''
param userAssignedIdentityName string = ''
param applicationInsightsName string = ''
param logAnalyticsName string = ''

@description('Upper bound on Flex Consumption instances (a cost guard).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('ISO 4217 code the store keeps amounts in, e.g. EUR. Empty: the store adopts the currency of the first purchase it accepts. Recorded once in the store; a different value later stops the app instead of mixing currencies.')
@maxLength(3)
param reportingCurrency string = ''

@description('Log Analytics daily ingestion cap in GB; -1 for no cap.')
param logAnalyticsDailyQuotaGb int = 1

@description('Optional client id of the Entra ID app registration that defines the app roles Crm.Ingest, Crm.Read and Crm.Privacy. Set, it turns on App Service Authentication and Auth__Mode=Entra (each function also checks its role); empty keeps function keys only.')
param entraClientId string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var apiName = !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(toLower(uniqueString(apiName, resourceToken)), 7)}'
var ingestQueueName = 'crm-ingest'
// Names are computed here (not read from module outputs) so that What-If can
// predict the role assignments and the app settings precisely.
var identityName = !empty(userAssignedIdentityName) ? userAssignedIdentityName : '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
var storageName = !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
var appInsightsName = !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    ingestQueueName: ingestQueueName
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: appInsightsName
    location: location
    tags: tags
    dailyQuotaGb: logAnalyticsDailyQuotaGb
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storageName
    applicationInsightsName: appInsightsName
    identityName: identityName
    developerPrincipalId: principalId
  }
  dependsOn: [
    identity
    storage
    monitoring
  ]
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: apiName
    planName: !empty(appServicePlanName) ? appServicePlanName : '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storageName
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: appInsightsName
    ingestQueueName: ingestQueueName
    reportingCurrency: reportingCurrency
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    entraClientId: entraClientId
  }
  // Create the app only once its identity can reach storage and Application Insights
  // (rbac itself waits for identity, storage and monitoring).
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostName}'
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
