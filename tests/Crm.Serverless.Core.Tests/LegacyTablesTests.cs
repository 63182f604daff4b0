using Azure.Data.Tables;
using Crm.Serverless.Local;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>Tables of earlier builds that hold customer data the current erase does not walk.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LegacyTablesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task HostStart_DeletesTheOldRecommendationsTable_AndItsCustomerRows()
    {
        var (id, settings) = AzuriteFixture.NewStore();
        var service = new TableServiceClient(AzuriteLauncher.ConnectionString);
        var legacy = service.GetTableClient(id + "Recommendations");
        await legacy.CreateIfNotExistsAsync();
        await legacy.AddEntityAsync(new TableEntity("07", "legacy-customer|") { ["Skus"] = "A,B" });
        Assert.True(await ExistsAsync(service, legacy.Name));

        await using (await azurite.StartHostAsync(settings: settings))
        {
            Assert.False(await ExistsAsync(service, legacy.Name));
        }

        // A store that never had it starts as before.
        await using var again = await azurite.StartHostAsync(settings: settings);
        Assert.False(await ExistsAsync(service, legacy.Name));
        Assert.True(await ExistsAsync(service, id + "Customers"));
    }

    private static async Task<bool> ExistsAsync(TableServiceClient service, string name)
    {
        await foreach (var _ in service.QueryAsync(TableServiceClient.CreateQueryFilter($"TableName eq {name}")))
        {
            return true;
        }

        return false;
    }
}
