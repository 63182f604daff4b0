using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

[CollectionDefinition(AzuriteCollection.Name)]
public sealed class AzuriteCollectionDefinition : ICollectionFixture<AzuriteFixture>;
