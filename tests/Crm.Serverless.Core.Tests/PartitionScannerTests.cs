using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>The one scanner: 1,000-row pages (one request each), only the columns asked for, every row counted once.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PartitionScannerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Partition_IsReadInThousandRowPages_InKeyOrder_WithOnlyTheSelectedColumns_AndEveryRowCounted()
    {
        await using var host = await azurite.StartHostAsync();
        var tables = host.Get<CrmTables>();
        var counter = host.Get<StorageRequestCounter>();
        const string partition = "p07";
        var rows = Enumerable.Range(0, 2_500)
            .Select(i => new TableEntity(partition, $"c{i:D5}|") { ["Kept"] = i, ["Dropped"] = "x" })
            .ToList();
        foreach (var batch in rows.Chunk(100))
        {
            await tables.Customers.SubmitTransactionAsync(batch.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)));
        }

        await tables.Customers.AddEntityAsync(new TableEntity("p08", "other|") { ["Kept"] = -1 });
        var (requestsBefore, entitiesBefore) = (counter.Count, counter.EntitiesRead);

        var read = new List<TableEntity>();
        await foreach (var row in tables.Scanner.PartitionAsync(tables.Customers, partition, ["RowKey", "Kept"], CancellationToken.None))
        {
            read.Add(row);
        }

        Assert.Equal(3, counter.Count - requestsBefore);
        Assert.Equal(2_500, counter.EntitiesRead - entitiesBefore);
        Assert.Equal(rows.Select(r => r.RowKey), read.Select(r => r.RowKey));
        Assert.Equal(Enumerable.Range(0, 2_500), read.Select(r => r.GetInt32("Kept")!.Value));
        Assert.All(read, row => Assert.False(row.ContainsKey("Dropped")));
    }

    [Fact]
    public async Task Query_WithoutFilter_ReadsTheWholeTable_AndAnUncountedScannerAddsNothing()
    {
        await using var host = await azurite.StartHostAsync();
        var tables = host.Get<CrmTables>();
        var counter = host.Get<StorageRequestCounter>();
        await tables.Runs.AddEntityAsync(new TableEntity("a", "1"));
        await tables.Runs.AddEntityAsync(new TableEntity("b", "2"));
        var entitiesBefore = counter.EntitiesRead;

        var counted = await CountAsync(tables.Scanner, tables.Runs);
        var afterCounted = counter.EntitiesRead;
        var uncounted = await CountAsync(new PartitionScanner(), tables.Runs);

        Assert.Equal(2, counted);
        Assert.Equal(2, uncounted);
        Assert.Equal(2, afterCounted - entitiesBefore);
        Assert.Equal(afterCounted, counter.EntitiesRead);
    }

    private static async Task<int> CountAsync(PartitionScanner scanner, TableClient table)
    {
        var n = 0;
        await foreach (var _ in scanner.QueryAsync<TableEntity>(table, filter: null, select: null, CancellationToken.None))
        {
            n++;
        }

        return n;
    }
}
