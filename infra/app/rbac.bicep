// Role assignments. The function app's user-assigned identity gets data-plane
// access to the one storage account (host storage, deployment package, app data)
// and may publish telemetry to Application Insights (local auth is disabled there).
// Optionally the same storage data roles go to a developer principal (azd sets
// AZURE_PRINCIPAL_ID to the signed-in user) so the CLI can read and write the data.

@description('Storage account that holds host storage, the deployment package and the app data.')
param storageAccountName string

@description('Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Name of the function app\'s user-assigned managed identity.')
param identityName string

@description('Optional principal (object) id of a developer or CI principal that gets the same storage data roles. Empty to skip.')
param developerPrincipalId string = ''

// Built-in role definition ids (identical in every tenant).
// Storage Blob Data Owner: host storage leases/secrets, timer locks, Flex deployment package, app blobs, and the
// nightly Durable task hub's partition leases and large messages (host.json durableTask, AzureWebJobsStorage).
var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Queue Data Contributor: queue trigger (crm-ingest and its poison queue), enqueueing, and the Durable task
// hub's control and work-item queues.
var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Storage Table Data Contributor: the app's tables, and the Durable task hub's History and Instances tables.
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Monitoring Metrics Publisher: Entra ID-authenticated telemetry to Application Insights.
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

var addDeveloper = !empty(developerPrincipalId)

// Role assignment names are derived from resource ids known when the deployment
// starts (not from the identity's principal id, which exists only at runtime).

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource identityBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, storageBlobDataOwnerRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, storageQueueDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, storageTableDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityMonitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// principalType is left out for the developer: it may be a user or a CI service principal.
resource developerBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (addDeveloper) {
  name: guid(storage.id, developerPrincipalId, storageBlobDataOwnerRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
    principalId: developerPrincipalId
  }
}

resource developerQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (addDeveloper) {
  name: guid(storage.id, developerPrincipalId, storageQueueDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
    principalId: developerPrincipalId
  }
}

resource developerTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (addDeveloper) {
  name: guid(storage.id, developerPrincipalId, storageTableDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: developerPrincipalId
  }
}
