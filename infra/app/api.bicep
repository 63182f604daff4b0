// Flex Consumption plan + the Crm.Serverless function app (.NET 10 isolated worker).
// The app runs as a user-assigned managed identity; host storage, app data,
// the deployment package and Application Insights are all reached with that
// identity. No storage keys, no instrumentation keys.

@description('Function app name (also the default host name prefix).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region for the plan and the app (must offer Flex Consumption).')
param location string

@description('Tags applied to the plan and the app; the app also gets azd-service-name.')
param tags object = {}

@description('azd service name from azure.yaml; azd finds the app to deploy by this tag.')
param serviceName string = 'api'

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Client id of the user-assigned managed identity (used by the Functions host and the Azure SDK credential).')
param identityClientId string

@description('Storage account for host storage, the app\'s data and the deployment package.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Application Insights component for telemetry.')
param applicationInsightsName string

@description('Queue the ingest endpoint writes to.')
param ingestQueueName string

@description('ISO 4217 code the store keeps amounts in; empty: adopted from the first purchase accepted.')
@maxLength(3)
param reportingCurrency string = ''

@description('NCRONTAB schedule (UTC) of the nightly scoring run.')
param nightlySchedule string = '0 0 2 * * *'

@description('Upper bound on instances Flex Consumption may scale out to (bounds cost).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Client id of the Entra ID app registration with the app roles; empty: function keys only, no App Service Authentication.')
param entraClientId string = ''

var entraEnabled = !empty(entraClientId)

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Flex Consumption takes no FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION /
// WEBSITE_RUN_FROM_PACKAGE settings: runtime and deployment live in functionAppConfig.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // Functions host storage (leases, timer locks, queue trigger plumbing) via managed identity.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    // The app's own data connection (same account), also via managed identity.
    CrmStorage__credential: 'managedidentity'
    CrmStorage__clientId: identityClientId
    CrmStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    CrmStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    CrmStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    Ingest__QueueName: ingestQueueName
    // Empty means "not configured": the app then adopts the first accepted purchase's currency.
    Ingest__ReportingCurrency: reportingCurrency
    Nightly__Schedule: nightlySchedule
    // Entra: the app trusts X-MS-CLIENT-PRINCIPAL and checks each function's app role; Keys: it refuses that header.
    Auth__Mode: entraEnabled ? 'Entra' : 'Keys'
    // Application Insights with local auth disabled: Entra ID auth as the app's identity.
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  }
}

// App Service Authentication (Easy Auth) with Entra ID, only when a client id is given. The platform validates
// the token, answers 401 without one, strips any X-MS-CLIENT-PRINCIPAL a client sends and sets its own, which
// the app's role check reads. Function keys still apply on top (the auth level is compiled into the functions).
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (entraEnabled) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: [
        '/api/health'
        '/api/openapi.yaml'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: entraClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${entraClientId}'
            entraClientId
          ]
        }
      }
    }
    httpSettings: {
      requireHttps: true
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// No publishing with basic (user/password) credentials; azd deploys with an Entra ID token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output resourceId string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output planName string = plan.name
