using Azure.Data.Tables;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// Erase wins through the per-shard erase log: an erase at any point of a run leaves the customer out of that run,
/// stage 3 reads the log's few rows instead of the customer partition, the log holds no id, and old rows are pruned.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class EraseLogTests(AzuriteFixture azurite)
{
    private static async Task<(NightlyJob Job, NightPlan Plan)> StartAsync(TestHost host)
    {
        var job = host.Get<NightlyJob>();
        var run = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        return (job, await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), CancellationToken.None));
    }

    private static async Task<string[]> ShardCustomersAsync(TestHost host, NightPlan plan, int shard)
        => (await host.Get<NightlyArtefacts>().ReadAsync<CompactHistories>(NightlyArtefacts.Histories(plan.RunId, shard), CancellationToken.None)).CustomerIds;

    private static async Task<List<TableEntity>> LogRowsAsync(CrmTables tables)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in tables.Erasures.QueryAsync<TableEntity>(cancellationToken: CancellationToken.None))
        {
            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task EraseBetweenStage1AndStage3_StaysErased_AndStage3ReadsOnlyTheLogRows()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 600, seed: 3);
        var tables = host.Get<CrmTables>();
        var counter = host.Get<StorageRequestCounter>();
        var (job, plan) = await StartAsync(host);
        await job.RunStageAsync(plan, NightStage.SummariseShard, 4, CancellationToken.None);
        const int shard = 5;
        var ids = await ShardCustomersAsync(host, plan, shard);
        Assert.True(ids.Length >= 2, $"shard {shard} holds {ids.Length} customers");
        var subject = ids[0];

        await host.Get<CustomerPrivacyService>().EraseAsync(subject, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.FitModels, 1, CancellationToken.None);
        var customerRequests = counter.RequestsTo(tables.Customers.Name);
        var stage3 = await job.RunStageAsync(plan, NightStage.ScoreShard, 4, CancellationToken.None);
        var customerRequestsInStage3 = counter.RequestsTo(tables.Customers.Name) - customerRequests;
        await job.RunStageAsync(plan, NightStage.RunArtefacts, 1, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.CompleteRun, 1, CancellationToken.None);

        var rows = (await StorageRecount.RunScoresAsync(tables, plan.RunId)).Select(r => r.CustomerId).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(subject, rows);
        Assert.Contains(ids[1], rows);
        Assert.Equal(customers - 1, rows.Count);
        Assert.Empty(await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), subject));

        // One log row, read twice by the one shard that has it; not a row of any customer partition.
        var logged = Assert.Single(await LogRowsAsync(tables));
        Assert.Equal(CrmKeys.PartitionOf(subject), logged.PartitionKey);
        Assert.Equal(EraseLog.Hash(subject), logged.GetString(EraseLog.HashColumn));
        Assert.DoesNotContain(subject, logged.RowKey, StringComparison.Ordinal);
        Assert.Equal(2, stage3.EntitiesRead);
        Assert.Equal(0, customerRequestsInStage3);
        Assert.Equal(customers - 1, stage3.EntitiesWritten);
    }

    [Fact]
    public async Task EraseAfterStage3WritesBeforeCompletion_StaysErased_EvenWhenTheShardIsScoredAgain()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var tables = host.Get<CrmTables>();
        var (job, plan) = await StartAsync(host);
        await job.RunStageAsync(plan, NightStage.SummariseShard, 4, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.FitModels, 1, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.ScoreShard, 4, CancellationToken.None);
        const int shard = 7;
        var ids = await ShardCustomersAsync(host, plan, shard);
        Assert.True(ids.Length >= 2, $"shard {shard} holds {ids.Length} customers");
        var subject = ids[0];
        Assert.Contains(subject, (await StorageRecount.RunScoresAsync(tables, plan.RunId)).Select(r => r.CustomerId));

        var erased = await host.Get<CustomerPrivacyService>().EraseAsync(subject, CancellationToken.None);
        // A redelivered stage 3 message for the shard, after the erase: the log keeps the customer out.
        var again = await host.Get<ScoreShard>().RunAsync(plan, shard, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.RunArtefacts, 1, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.CompleteRun, 1, CancellationToken.None);

        Assert.Equal(1, erased.DeletedRows[tables.RunScores(plan.RunId).Name]);
        Assert.Equal(ids.Length - 1, again.Written);
        Assert.Equal(2, again.EntitiesRead);
        var rows = (await StorageRecount.RunScoresAsync(tables, plan.RunId)).Select(r => r.CustomerId).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(subject, rows);
        Assert.Contains(ids[1], rows);
        Assert.Equal(RunStatus.Complete, (await host.Get<RunStore>().GetAsync(plan.RunId, CancellationToken.None))!.Status);
        Assert.Empty(await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), subject));
    }

    [Fact]
    public async Task Publishing_PrunesLogRowsNoRunInProgressCanRead_AndKeepsThoseOneCan()
    {
        var clock = new MovableClock();
        await using var host = await azurite.StartHostAsync(builder => builder.Services.AddSingleton<TimeProvider>(clock));
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var tables = host.Get<CrmTables>();
        var privacy = host.Get<CustomerPrivacyService>();
        var job = host.Get<NightlyJob>();
        var ids = (await StorageRecount.RunScoresAsync(tables, (await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None)).RunId))
            .Select(r => r.CustomerId).ToArray();
        await privacy.EraseAsync(ids[0], CancellationToken.None);

        // A run that starts now and stalls still needs the row, however long it stays stalled.
        var stalled = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(2));
        await privacy.EraseAsync(ids[1], CancellationToken.None);
        await host.Get<RunPublisher>().PruneAsync(CancellationToken.None);
        var rowsWhileStalled = (await LogRowsAsync(tables)).Count;

        await job.ResumeAsync(stalled.RunId, 4, CancellationToken.None);
        clock.Advance(EraseLog.Lookback + TimeSpan.FromMinutes(1));
        await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        Assert.Equal(2, rowsWhileStalled);
        Assert.Empty(await LogRowsAsync(tables));
        Assert.DoesNotContain(ids[0], (await StorageRecount.RunScoresAsync(tables, stalled.RunId)).Select(r => r.CustomerId));
        Assert.DoesNotContain(ids[1], (await StorageRecount.RunScoresAsync(tables, stalled.RunId)).Select(r => r.CustomerId));
    }
}
