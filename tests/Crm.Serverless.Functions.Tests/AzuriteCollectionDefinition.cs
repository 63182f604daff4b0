using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

[CollectionDefinition(AzuriteCollection.Name)]
public sealed class AzuriteCollectionDefinition : ICollectionFixture<AzuriteFixture>;
