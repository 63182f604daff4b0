using Crm.Serverless.Core.Nightly;
using Microsoft.Extensions.DependencyInjection;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Testing;
using Xunit.Abstractions;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// Run-scoped results: each run writes its own table, readers follow the current-run pointer, so they see one
/// complete run whole while another writes or stalls; old runs are pruned; an erase reaches every run kept.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class RunResultsTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private static readonly Dictionary<string, IReadOnlyList<Recommendations.RecommendedSku>> NoRecommendations = [];

    private static async Task<(List<string> Ids, string RunId, int Pages)> PageAllAsync(SegmentReader reader, RunRecord run, string segment, int pageSize, string? token = null)
    {
        var ids = new List<string>();
        var runIds = new HashSet<string>(StringComparer.Ordinal);
        var pages = 0;
        do
        {
            var page = await reader.GetPageAsync(run, segment, pageSize, token, marketableOnly: false, CancellationToken.None);
            Assert.InRange(page.Customers.Count, 0, pageSize);
            Assert.All(page.Customers, c => Assert.Equal(segment, c.Segment));
            ids.AddRange(page.Customers.Select(c => c.CustomerId));
            runIds.UnionWith(page.Customers.Select(c => c.RunId).Append(page.RunId));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 10_000);

        return (ids, Assert.Single(runIds), pages);
    }

    [Fact]
    public async Task SegmentPages_WhileARunWritesAndAfterAShardIsPoisoned_SeeExactlyThePreviousCompleteRun()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 3000, seed: 11);
        var job = host.Get<NightlyJob>();
        var reader = host.Get<SegmentReader>();
        var tables = host.Get<CrmTables>();
        var previous = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var expected = (await StorageRecount.RunScoresAsync(tables, previous.RunId)).ToLookup(s => s.Segment, s => s.CustomerId);
        var segment = previous.Segments.MaxBy(s => s.Customers)!;
        Assert.Equal(customers, previous.Customers);
        Assert.Equal(segment.Customers, expected[segment.Segment].Count());

        // The next run: its shards are written while a reader pages the segment again and again; shard 7 is poisoned.
        var next = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(next.RunId), CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.SummariseShard, 4, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.FitModels, 1, CancellationToken.None);
        const int poisoned = 7;
        await host.Get<NightlyArtefacts>().Blob(NightlyArtefacts.Histories(next.RunId, poisoned)).DeleteAsync();
        var writing = Task.Run(() => Assert.ThrowsAsync<NightStalledException>(() => job.RunStageAsync(plan, NightStage.ScoreShard, 2, CancellationToken.None)));
        var readsDuringTheRun = 0;
        do
        {
            var current = (await reader.GetLatestRunAsync(CancellationToken.None))!;
            var (ids, runId, _) = await PageAllAsync(reader, current, segment.Segment, pageSize: 50);
            Assert.Equal(previous.RunId, runId);
            Assert.Equal(expected[segment.Segment].Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
            readsDuringTheRun++;
        }
        while (!writing.IsCompleted);

        await writing;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await Assert.ThrowsAsync<NightStalledException>(() => job.RunStageAsync(plan, NightStage.ScoreShard, 1, CancellationToken.None));
        }

        // The poisoned run never completes, and readers keep the previous run, whole, with the count /api/segments shows.
        Assert.Equal(RunStatus.Scoring, (await host.Get<RunStore>().GetAsync(next.RunId, CancellationToken.None))!.Status);
        Assert.True((await StorageRecount.RunScoresAsync(tables, next.RunId)).Count > customers / 2);
        var after = (await reader.GetLatestRunAsync(CancellationToken.None))!;
        Assert.Equal(previous.RunId, after.RunId);
        var (afterIds, afterRun, _) = await PageAllAsync(reader, after, segment.Segment, pageSize: 50);
        Assert.Equal(previous.RunId, afterRun);
        Assert.Equal(after.Segments.Single(s => s.Segment == segment.Segment).Customers, afterIds.Count);
        Assert.Equal(expected[segment.Segment].Order(StringComparer.Ordinal), afterIds.Order(StringComparer.Ordinal));
        var csv = new StringWriter();
        var csvRows = await host.Get<Export.CustomerCsvExporter>().WriteSegmentAsync(csv, segment.Segment, CancellationToken.None);
        Assert.Equal(segment.Customers, csvRows);
        Assert.Equal(previous.RunId, (await host.Get<CustomerReader>().GetViewAsync(afterIds[0], CancellationToken.None))!.Scores!.RunId);

        // A customer's one score row is found by key in each of the shard's segment partitions, plus the run's popular
        // skus (this shop has no line items, so no customer has recommendations of their own): whatever the size of the run.
        var counter = host.Get<StorageRequestCounter>();
        var viewRequests = counter.RequestsTo(tables.RunScores(previous.RunId).Name);
        Assert.NotNull((await host.Get<CustomerReader>().GetViewAsync(afterIds[0], CancellationToken.None))!.Scores);
        Assert.Equal(RunScoreKeys.CustomerPartitions(0).Count + 1, counter.RequestsTo(tables.RunScores(previous.RunId).Name) - viewRequests);

        // A page of 100 costs a request or two for the rows plus one consent point read per customer: O(page), no scan.
        var before = counter.Count;
        var page = await reader.GetPageAsync(after, segment.Segment, 100, null, marketableOnly: false, CancellationToken.None);
        var requests = counter.Count - before;
        var rowsInTables = (await StorageRecount.AllRowsAsync(tables.RunScores(previous.RunId))).Count + (await StorageRecount.AllRowsAsync(tables.RunScores(next.RunId))).Count;
        output.WriteLine($"{customers} customers, {rowsInTables} rows in the two runs' tables; segment {segment.Segment} of {segment.Customers}; " +
                         $"{readsDuringTheRun} full pagings during the run; one page of {page.Customers.Count}: {requests} storage requests");
        Assert.Equal(100, page.Customers.Count);
        Assert.InRange(requests, page.Customers.Count + 1, page.Customers.Count + 3);
    }

    [Fact]
    public async Task AToken_HandedOutBeforeANewRunIsPublished_FinishesOnItsOwnRun()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 900, seed: 13);
        var job = host.Get<NightlyJob>();
        var reader = host.Get<SegmentReader>();
        var first = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var segment = first.Segments.MaxBy(s => s.Customers)!;
        var page = await reader.GetPageAsync(first, segment.Segment, 20, null, false, CancellationToken.None);

        var second = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var current = (await reader.GetLatestRunAsync(CancellationToken.None))!;
        var (rest, runId, _) = await PageAllAsync(reader, current, segment.Segment, 20, page.ContinuationToken);

        Assert.Equal(second.RunId, current.RunId);
        Assert.Equal(first.RunId, runId);
        Assert.Equal(segment.Customers, page.Customers.Count + rest.Count);
        Assert.Empty(page.Customers.Select(c => c.CustomerId).Intersect(rest, StringComparer.Ordinal));
        await Assert.ThrowsAsync<InvalidContinuationTokenException>(() => reader.GetPageAsync(current, segment.Segment, 20, "not-a-token", false, CancellationToken.None));
    }

    [Fact]
    public async Task CrmExport_WhenStorageFailsHalfWay_LeavesTheEarlierFileAndNoPartialOne()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var segment = run.Segments.MaxBy(s => s.Customers)!;
        var folder = Directory.CreateTempSubdirectory("crm-export-");
        try
        {
            var file = new FileInfo(Path.Combine(folder.FullName, "segment.csv"));
            var exit = await Cli.Commands.ExportCommand.RunAsync(host.Services, file, segment.Segment, CancellationToken.None);
            var written = await File.ReadAllTextAsync(file.FullName);
            Assert.Equal(0, exit);
            Assert.Equal(segment.Customers + 1, written.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            // The header is written, then reading the run's rows fails: the command fails, and nothing looks like an export.
            await host.Get<CrmTables>().RunScores(run.RunId).DeleteAsync();
            await Assert.ThrowsAnyAsync<Azure.RequestFailedException>(() => Cli.Commands.ExportCommand.RunAsync(host.Services, file, segment.Segment, CancellationToken.None));

            Assert.Equal(written, await File.ReadAllTextAsync(file.FullName));
            Assert.Equal([file.Name], folder.GetFiles().Select(f => f.Name));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task EraseDuringARun_DeletesTheCustomerFromEveryRunKept_AndTheAccessExportListedThem()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var tables = host.Get<CrmTables>();
        var privacy = host.Get<CustomerPrivacyService>();
        var writer = host.Get<ShardScoreWriter>();
        var previous = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var next = await host.Get<NightlyJob>().StartAsync(SeededShop.EndOfData, CancellationToken.None);
        const int shard = 3;
        var handOff = (await StorageRecount.RunScoresAsync(tables, previous.RunId))
            .Where(s => CrmKeys.ShardOf(s.CustomerId) == shard)
            .Select(s => s.ToScore() with { RunId = next.RunId })
            .ToArray();
        Assert.True(handOff.Length >= 2, $"shard {shard} holds {handOff.Length} customers");
        var subject = handOff[0].CustomerId;

        // A run table of a build before the one-row layout also kept a customer-keyed copy and a recommendations row: the erase must find them too.
        var legacy = ScoreEntity.From(handOff[0] with { RunId = previous.RunId });
        legacy.PartitionKey = CrmKeys.PartitionOf(subject);
        await tables.RunScores(previous.RunId).UpsertEntityAsync(legacy);
        await tables.RunScores(previous.RunId).UpsertEntityAsync(Recommendations.RecommendationEntity.From(new(subject, previous.RunId, "2024-01-01", [new(1, "sku-1", 1)])));

        // The next run writes this shard once before the erase and once after (a redelivery).
        await writer.WriteAsync(next, shard, handOff, NoRecommendations, CancellationToken.None);
        var export = (await privacy.ExportAsync(subject, CancellationToken.None))!;
        var erased = await privacy.EraseAsync(subject, CancellationToken.None);
        var rewritten = await writer.WriteAsync(next, shard, handOff, NoRecommendations, CancellationToken.None);

        // Each run's table held the customer's score row (the previous one its two legacy rows too), and the access export listed them.
        Assert.Equal(3, export.OtherRecords[tables.RunScores(previous.RunId).Name].Count);
        Assert.Single(export.OtherRecords[tables.RunScores(next.RunId).Name]);
        Assert.Equal(3, erased.DeletedRows[tables.RunScores(previous.RunId).Name]);
        Assert.Equal(1, erased.DeletedRows[tables.RunScores(next.RunId).Name]);
        Assert.Equal(handOff.Length - 1, rewritten.Written);
        Assert.Empty(await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), subject));
        Assert.DoesNotContain(subject, (await StorageRecount.RunScoresAsync(tables, previous.RunId)).Select(s => s.CustomerId));
        Assert.Contains(handOff[1].CustomerId, (await StorageRecount.RunScoresAsync(tables, next.RunId)).Select(s => s.CustomerId));
    }

    [Fact]
    public async Task Publishing_KeepsRunRetentionCompleteRuns_NeverPrunesARunInProgress_AndABackfillWithoutPublishLeavesThePointer()
    {
        var clock = new MovableClock();
        await using var host = await azurite.StartHostAsync(
            builder => builder.Services.AddSingleton<TimeProvider>(clock),
            new Dictionary<string, string?> { ["Nightly:RunRetention"] = "2" });
        await SeededShop.StoreAsync(host, 600, seed: 3);
        var job = host.Get<NightlyJob>();
        var tables = host.Get<CrmTables>();
        var runs = host.Get<RunStore>();
        async Task<List<string>> RunTablesAsync()
        {
            var names = new List<string>();
            await foreach (var table in tables.ListRunScoresAsync(CancellationToken.None))
            {
                names.Add(table.Name);
            }

            return names;
        }

        var oldest = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var stalled = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);

        // Queued and then left: past the stall limit it no longer blocks a start (and stays resumable).
        clock.Advance(TimeSpan.FromMinutes(61));
        var middle = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var newest = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        // Two complete runs kept, the current one among them; the run still scoring kept though older than both.
        Assert.Equal(newest.RunId, await runs.GetCurrentRunIdAsync(CancellationToken.None));
        Assert.Equal(
            new[] { stalled, middle, newest }.Select(r => tables.RunScores(r.RunId).Name).Order(StringComparer.Ordinal),
            (await RunTablesAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(RunStatus.Complete, (await runs.GetAsync(oldest.RunId, CancellationToken.None))!.Status);

        // A backfill without --publish completes with its own table, and the pointer stays.
        var backfill = await job.RunAsync(SeededShop.EndOfData.AddDays(-30), train: false, parallelism: 4, CancellationToken.None);
        Assert.True(backfill is { Backfill: true, Published: false, Status: RunStatus.Complete });
        Assert.Equal(newest.RunId, await runs.GetCurrentRunIdAsync(CancellationToken.None));
        Assert.Equal(backfill.Customers, (await StorageRecount.RunScoresAsync(tables, backfill.RunId)).Count);

        // The stalled run finishing late does not displace the run started after it, and publishes nothing.
        await job.ResumeAsync(stalled.RunId, 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, (await runs.GetAsync(stalled.RunId, CancellationToken.None))!.Status);
        Assert.Equal(newest.RunId, (await runs.GetLatestCompleteAsync(CancellationToken.None))!.RunId);

        // The next publish prunes down to two again: the current run and the one completed most recently.
        var latest = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        Assert.Equal(latest.RunId, await runs.GetCurrentRunIdAsync(CancellationToken.None));
        Assert.Equal(2, (await RunTablesAsync()).Count);
        Assert.Contains(tables.RunScores(latest.RunId).Name, await RunTablesAsync());
    }
}

/// <summary>The system clock moved forward on demand, so a test can let a queued run go stale without waiting.</summary>
internal sealed class MovableClock : TimeProvider
{
    private TimeSpan _offset;

    public void Advance(TimeSpan by) => _offset += by;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;
}
