using Azure.Data.Tables;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Reporting;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// What a run may use and what it may replace: a backfill sees no model that learned past its date and leaves the
/// current run and its scores alone unless published.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class RunDisciplineTests(AzuriteFixture azurite)
{
    private static async Task<Dictionary<string, (string RunId, string ETag)>> ScoreRowsAsync(TestHost host, string runId)
        => (await StorageRecount.RunScoresAsync(host.Get<CrmTables>(), runId)).ToDictionary(r => r.CustomerId, r => (r.RunId, r.ETag.ToString()), StringComparer.Ordinal);

    [Fact]
    public async Task Backfill_AsOfAnEarlierDate_UsesNoLaterModelAndPublishesOnlyWhenAsked()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 1500, seed: 5);
        var job = host.Get<NightlyJob>();
        var registry = host.Get<ModelRegistry>();
        var runs = host.Get<RunStore>();
        var current = await job.RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        // Whatever the gate said, the models trained as of the end of the data are the promoted ones now.
        foreach (var trained in current.Training)
        {
            await registry.PromoteAsync(trained.Version!, CancellationToken.None);
        }

        var before = await ScoreRowsAsync(host, current.RunId);
        Assert.Equal(customers, before.Count);
        var date = SeededShop.EndOfData.AddDays(-120);

        var backfill = await job.RunAsync(date, train: false, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, backfill.Status);
        Assert.True(backfill.Backfill);
        Assert.False(backfill.Published);
        // Both promoted models learned from labels up to 30 or 90 days before the end of the data, past the backfill's date.
        Assert.All(backfill.Scorers!, s => Assert.True(s.IsBetaGeo, s.Description));
        Assert.All(backfill.Scorers!, s => Assert.Contains("after this run's as-of date", s.Description, StringComparison.Ordinal));
        Assert.Equal(before, await ScoreRowsAsync(host, current.RunId));
        Assert.Equal(current.RunId, (await runs.GetLatestCompleteAsync(CancellationToken.None))!.RunId);
        Assert.Equal(RunStatus.Complete, (await runs.GetAsync(current.RunId, CancellationToken.None))!.Status);
        Assert.Contains("a backfill, not published", await host.Get<RunReportStore>().GetAsync(backfill.RunId, CancellationToken.None), StringComparison.Ordinal);
        var handOffs = 0;
        await foreach (var _ in host.Get<CrmTables>().RunResults.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, backfill.RunId + "/shard-", CancellationToken.None))
        {
            handOffs++;
        }

        Assert.Equal(0, handOffs);

        // Published (and trained as of its own date), the backfill becomes the current run; the run it replaced keeps its rows.
        var published = await job.RunAsync(date, train: true, parallelism: 4, CancellationToken.None, publish: true);

        Assert.True(published is { Backfill: true, Published: true, Status: RunStatus.Complete });
        foreach (var source in published.Scorers!.Where(s => !s.IsBetaGeo))
        {
            var model = await registry.LoadAsync(ModelRegistry.TargetOf(source.Version!), source.Version!, CancellationToken.None);
            Assert.True(model.Metadata.TrainingWindowEndUtc <= NightPlan.AsOfEnd(date), source.Version);
        }

        var replaced = await ScoreRowsAsync(host, published.RunId);
        Assert.Equal(published.Customers, replaced.Count);
        Assert.All(replaced, r => Assert.Equal(published.RunId, r.Value.RunId));
        Assert.Equal(before, await ScoreRowsAsync(host, current.RunId));
        Assert.Equal(published.RunId, (await runs.GetLatestCompleteAsync(CancellationToken.None))!.RunId);
        Assert.Equal(RunStatus.Superseded, (await runs.GetAsync(current.RunId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task LatestComplete_IsTheLatestAsOfNotTheLatestCreated()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var job = host.Get<NightlyJob>();
        var later = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        // Created after the later run, as of an earlier day.
        var earlier = await job.RunAsync(SeededShop.EndOfData.AddDays(-30), train: false, parallelism: 4, CancellationToken.None);
        var again = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        Assert.False(later.Backfill);
        Assert.True(earlier.Backfill);
        Assert.False(again.Backfill);
        // Same as-of: the one completed last.
        Assert.Equal(again.RunId, (await host.Get<RunStore>().GetLatestCompleteAsync(CancellationToken.None))!.RunId);
    }

    [Fact]
    public async Task TwoConcurrentStarts_GiveOneRun_AndAHeldLeaseRefusesClearly()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var job = host.Get<NightlyJob>();

        // The orchestration's plan activity and a `crm score` at the same moment.
        var starts = new[]
        {
            job.StartAsync(SeededShop.EndOfData, CancellationToken.None),
            job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None),
        };
        var outcomes = await Task.WhenAll(starts.Select(async start =>
        {
            try
            {
                return (Run: await start, Refused: (RunInProgressException?)null);
            }
            catch (RunInProgressException exception)
            {
                return (Run: (RunRecord?)null, Refused: exception);
            }
        }));

        Assert.Single(outcomes, o => o.Run is not null);
        Assert.Single(outcomes, o => o.Refused is not null);
        var runs = new List<string>();
        await foreach (var row in host.Get<CrmTables>().Runs.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"runs"}")))
        {
            runs.Add(row.RowKey);
        }

        Assert.Equal(outcomes.Single(o => o.Run is not null).Run!.RunId, Assert.Single(runs));

        // While a run holds the lease, `crm score` says so and exits 1; released, the next start runs.
        await using (await host.Get<RunLease>().AcquireAsync(CancellationToken.None))
        {
            var refused = await CliProcess.RunAsync(["score", "--as-of", "1998-06-30"], new Dictionary<string, string?> { ["Storage__TablePrefix"] = host.Id });
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("Another scoring run is in progress", refused.Error, StringComparison.Ordinal);
            Assert.False(refused.HasStackTrace, refused.All);
        }

        // The winner may be the orchestration's planned run: while it is unfinished and progressing it refuses starts,
        // and a resume too (the orchestration is still on it); once the orchestration gives up on it, it resumes here.
        var winner = outcomes.Single(o => o.Run is not null).Run!;
        if (winner.Status != RunStatus.Complete)
        {
            await Assert.ThrowsAsync<RunInProgressException>(() => job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None));
            var going = await Assert.ThrowsAsync<RunInProgressException>(() => job.ResumeAsync(winner.RunId, 4, CancellationToken.None));
            Assert.Contains("still going", going.Message, StringComparison.Ordinal);
            await job.MarkStalledAsync(winner.RunId, NightStage.SummariseShard, CancellationToken.None);
            Assert.True((await job.ListAsync(5, CancellationToken.None)).Single(l => l.Run.RunId == winner.RunId).Stalled);
            Assert.Equal(RunStatus.Complete, (await job.ResumeAsync(winner.RunId, 4, CancellationToken.None)).Run.Status);
        }

        Assert.Equal(RunStatus.Complete, (await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task EraseBetweenHandOffAndShardWrite_AndDuringIt_StaysErased()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var tables = host.Get<CrmTables>();
        var privacy = host.Get<CustomerPrivacyService>();
        var job = host.Get<NightlyJob>();

        // The orchestration's path: the run is planned; stages 1 and 2 run, nothing is written yet.
        var run = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.SummariseShard, 4, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.FitModels, 1, CancellationToken.None);
        // 600 customers over 64 shards: shard 0 holds about nine.
        const int shard = 0;
        var handOff = (await host.Get<NightlyArtefacts>().ReadAsync<CompactHistories>(NightlyArtefacts.Histories(run.RunId, shard), CancellationToken.None)).CustomerIds;
        Assert.True(handOff.Length >= 3, $"shard {shard} holds {handOff.Length} customers");
        var before = handOff[0];
        var during = handOff[1];

        await privacy.EraseAsync(before, CancellationToken.None);
        await Task.WhenAll(
            job.RunStageAsync(plan, NightStage.ScoreShard, 4, CancellationToken.None),
            privacy.EraseAsync(during, CancellationToken.None));

        var rows = (await StorageRecount.RunScoresAsync(tables, run.RunId)).ToDictionary(r => r.CustomerId, StringComparer.Ordinal);

        Assert.DoesNotContain(before, rows.Keys);
        Assert.DoesNotContain(during, rows.Keys);
        Assert.Empty(await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), before));
        Assert.Empty(await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), during));
        Assert.All(handOff.Skip(2), id => Assert.Equal(run.RunId, rows[id].RunId));
    }
}
