using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Reporting;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Segmentation;
using Crm.Serverless.Testing;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Tests;

[Collection(AzuriteCollection.Name)]
public class NightlyStagesTests(AzuriteFixture azurite)
{
    private static async Task<List<ScoreEntity>> ScoresAsync(TestHost host, string runId)
    {
        var rows = new List<ScoreEntity>();
        await foreach (var row in host.Get<CrmTables>().RunScores(runId).QueryAsync<ScoreEntity>())
        {
            if (!RunScoreKeys.IsRecommendationPartition(row.PartitionKey) && row.RunId == runId)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private static async Task<NightPlan> StartAsync(TestHost host, NightlyJob job)
    {
        var run = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        return await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), CancellationToken.None);
    }

    [Fact]
    public async Task Stages_SeededShop_GiveTheWholePopulationPassItsCustomersSegmentsAndClv()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 2000, seed: 11);

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        // The single-process pass the stages replace: every history in one table, one fit, one segmentation call.
        var all = await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None);
        var clv = host.Get<ClvService>();
        var windows = host.Get<IOptions<PropensityOptions>>().Value;
        var summaries = clv.Summarise(all, SeededShop.EndOfData.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        var model = clv.Fit(summaries);
        var values = clv.Score(model, summaries);
        var churn = PropensityScorer.ScoreBetaGeo(PurchaseTable.From(all), NightPlan.AsOfEnd(SeededShop.EndOfData), PropensityTarget.Churn, windows.ChurnWindowDays)
            .ToDictionary(p => p.CustomerId, p => (double)p.Probability, StringComparer.Ordinal);
        var noPurchase = model.ProbabilityNoPurchase(summaries, windows.ChurnWindowDays / model.TimeUnit.Days());
        var churnOf = Enumerable.Range(0, summaries.Count).Select(i => churn.TryGetValue(summaries.CustomerIds[i], out var p) ? p : noPurchase[i]).ToArray();
        var segments = CustomerSegmenter.Segment(summaries, values, churnOf);

        var rows = (await ScoresAsync(host, run.RunId)).ToDictionary(r => r.CustomerId, StringComparer.Ordinal);
        Assert.Equal(summaries.Count, run.Customers);
        Assert.Equal(summaries.CustomerIds.ToArray().Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        for (var i = 0; i < summaries.Count; i++)
        {
            var row = rows[summaries.CustomerIds[i]];
            Assert.Equal(segments[i].Segment.Slug(), row.Segment);
            Assert.Equal(segments[i].Value.ToString(), row.ValueTier);
            Assert.Equal(segments[i].ChurnRisk.ToString(), row.ChurnRiskTier);
            Assert.Equal((segments[i].Rfm.Recency, segments[i].Rfm.Frequency, segments[i].Rfm.Monetary), (row.Recency, row.Frequency, row.Monetary));
            Assert.True(Math.Abs(values[i].Clv - row.Clv) <= 1e-9 * Math.Max(1, Math.Abs(values[i].Clv)), $"{values[i].Clv} vs {row.Clv}");
            Assert.Equal(churnOf[i], row.ChurnProbability!.Value, 9);
        }

        Assert.Equal(model.Purchases.Parameters.R, run.Clv.R, 12);
        Assert.Equal(model.Spend.Parameters.Q, run.Clv.Q, 12);
    }

    [Fact]
    public async Task StalledRun_AShardFailingInStage3_IsListedAndResumesWithEveryCustomerOnce()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 600, seed: 4);
        var job = host.Get<NightlyJob>();
        var tables = host.Get<CrmTables>();
        var plan = await StartAsync(host, job);
        await job.RunStageAsync(plan, NightStage.SummariseShard, 4, CancellationToken.None);

        // Shard 7's stage 3 input is unreadable: that invocation fails, the others finish, the run stalls in stage 3.
        var blob = host.Get<NightlyArtefacts>().Blob(NightlyArtefacts.Histories(plan.RunId, 7));
        var saved = (await blob.DownloadContentAsync()).Value.Content;
        await blob.DeleteAsync();
        var stalled = await Assert.ThrowsAsync<NightStalledException>(() => job.RunStagesAsync(plan, 4, CancellationToken.None));
        Assert.Contains("crm runs resume " + plan.RunId, stalled.Message, StringComparison.Ordinal);

        var listing = Assert.Single(await job.ListAsync(10, CancellationToken.None), l => l.Run.RunId == plan.RunId);
        Assert.Equal(RunStatus.Scoring, listing.Run.Status);
        Assert.Equal(NightStage.ScoreShard, listing.Progress.Current);
        Assert.Equal(CrmKeys.ShardCount, listing.Progress.DoneCount(NightStage.SummariseShard));
        Assert.Equal(CrmKeys.ShardCount - 1, listing.Progress.DoneCount(NightStage.ScoreShard));
        Assert.DoesNotContain(7, listing.Progress.Done[NightStage.ScoreShard]);

        await blob.UploadAsync(saved);
        var resumed = await job.ResumeAsync(plan.RunId, 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, resumed.Run.Status);
        Assert.Equal(customers, resumed.Run.Customers);
        Assert.Equal(0, resumed.Stages.Single(s => s.Stage == NightStage.SummariseShard).Invocations);
        Assert.Equal(1, resumed.Stages.Single(s => s.Stage == NightStage.ScoreShard).Invocations);
        var scores = await ScoresAsync(host, plan.RunId);
        Assert.Equal(customers, scores.Count);
        Assert.Equal(customers, scores.Select(s => s.CustomerId).Distinct().Count());
    }

    [Fact]
    public async Task TwoConcurrentStarts_GiveOneRun_AndARunStillGoingRefusesAThird()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 600, seed: 6);
        var job = host.Get<NightlyJob>();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            try
            {
                return (Run: await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None), Refused: (RunInProgressException?)null);
            }
            catch (RunInProgressException exception)
            {
                return (Run: (RunRecord?)null, Refused: exception);
            }
        }));

        Assert.Single(attempts, a => a.Run is { Status: RunStatus.Complete });
        Assert.Single(attempts, a => a.Refused is not null);
        Assert.Single(await host.Get<RunStore>().ListAsync(10, CancellationToken.None));

        // Between the orchestration's activities no lease is held: the unfinished run record itself refuses the next start.
        var queued = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<RunInProgressException>(() => job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None));
        Assert.Contains(queued.RunId, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteRun_BuildsTheReportWithoutReadingTheCustomersTable()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 800, seed: 8);
        var job = host.Get<NightlyJob>();
        var tables = host.Get<CrmTables>();
        var counter = host.Get<StorageRequestCounter>();
        var plan = await StartAsync(host, job);
        foreach (var stage in new[] { NightStage.SummariseShard, NightStage.FitModels, NightStage.ScoreShard })
        {
            await job.RunStageAsync(plan, stage, 4, CancellationToken.None);
        }

        var customersBefore = counter.RequestsTo(tables.Customers.Name);
        var scoresBefore = counter.RequestsTo(tables.RunScores(plan.RunId).Name);
        var figures = await job.RunStageAsync(plan, NightStage.CompleteRun, 1, CancellationToken.None);

        Assert.Equal(customersBefore, counter.RequestsTo(tables.Customers.Name));
        Assert.Equal(scoresBefore, counter.RequestsTo(tables.RunScores(plan.RunId).Name));
        // Per shard: its scored artefact read by the stage and the report, its summary read by the report, its histories,
        // summary, discount profiles and recommendation partial and items deleted; then the fit, registry, rejected items,
        // report inputs and report.
        Assert.InRange(figures.Requests, 1, 9 * CrmKeys.ShardCount);
        Assert.True(customersBefore >= CrmKeys.ShardCount, "stage 1 read every partition of the Customers table");
        var report = await host.Get<RunReportStore>().GetAsync(plan.RunId, CancellationToken.None);
        Assert.Contains("<svg", report, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Complete, (await host.Get<RunStore>().GetAsync(plan.RunId, CancellationToken.None))!.Status);
    }
}
