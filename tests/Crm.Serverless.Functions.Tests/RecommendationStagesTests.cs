using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Recommendations;
using Crm.Serverless.Ml.Simulation;
using Crm.Serverless.Reporting;
using Crm.Serverless.Testing;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Next best products in the nightly stages: shard partials, the merged model, run-scoped rows and the holdout evaluation.</summary>
[Collection(AzuriteCollection.Name)]
public class RecommendationStagesTests(AzuriteFixture azurite)
{
    /// <summary>Stores a simulated catalogue's baskets (lines with categories, complements and re-buys) as purchases.</summary>
    private static async Task StoreCatalogueAsync(TestHost host, int customers, int seed)
    {
        var baskets = CatalogueSimulator.Simulate(new ShopSimulationOptions { Customers = customers, Seed = seed, R = 0.6, Alpha = 5 }, CatalogueOptions.Default);
        var writes = baskets.Where(b => b.Lines.Count > 0).Select(b => PendingWrite.Of(new Transaction(
            b.TransactionId,
            b.CustomerId,
            new DateTimeOffset(b.TimestampUtc, TimeSpan.Zero),
            Math.Round((decimal)b.Lines.Sum(l => l.NetAmount), 2),
            "USD",
            null,
            [.. b.Lines.Select(l => new LineItem(l.Sku, (int)l.Quantity, Math.Round((decimal)(l.NetAmount / l.Quantity), 2), l.Category))]))).ToList();
        await host.Get<IngestService>().WriteAsync(writes, StateLoad.WholePartition, IngestSource.Import, 4, null, CancellationToken.None);
    }

    private static async Task<List<Basket>> AllBasketsAsync(TestHost host)
    {
        var all = new List<Basket>();
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            all.AddRange((await host.Get<BasketReader>().ReadShardAsync(shard, CancellationToken.None)).SelectMany(customer => customer));
        }

        return all;
    }

    [Fact]
    public async Task NightlyStages_ShardMergedModel_GiveEveryCustomerTheWholePopulationModelsTopN_AndTheReportItsHoldoutFigures()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await StoreCatalogueAsync(host, 400, seed: 3);

        var run = await host.Get<NightlyJob>().RunAsync(null, train: false, parallelism: 4, CancellationToken.None);

        // The whole-population pass the stages replace: every basket of the store counted in one pass, one model.
        var options = host.Get<IOptions<RecommenderOptions>>().Value;
        var all = await AllBasketsAsync(host);
        var asOfEnd = NightPlan.AsOfEnd(run.AsOf);
        var counts = CoPurchaseCounts.For(asOfEnd, options);
        var customers = CustomerItems.ByCustomer(all, asOfEnd).ToList();
        customers.ForEach(counts.Add);
        var model = CoPurchaseModel.Build(counts, options);
        Assert.True(counts.Pairs.Count > 100, $"only {counts.Pairs.Count} pairs");

        var served = (await RecommendationsHttpTests.RunRowsAsync(host, run.RunId)).ToDictionary(r => r.CustomerId, StringComparer.Ordinal);
        Assert.Equal(customers.Select(c => c.CustomerId).Order(StringComparer.Ordinal), served.Keys.Order(StringComparer.Ordinal));
        foreach (var customer in customers)
        {
            Assert.Equal(Recommender.Recommend(model, customer, options.TopN).Select(r => r.Sku), served[customer.CustomerId].Items.Select(i => i.Sku));
        }

        // The night's evaluation: the one evaluator on the holdout counts and held-out customers of the whole store
        // (each shard here is below the 4,000-customer sample cap, so the sample is everyone who bought in both windows).
        var cutoff = asOfEnd.AddDays(-options.HoldoutDays);
        var holdout = CoPurchaseCounts.For(cutoff, options);
        var heldOut = new List<HeldOutCustomer>();
        foreach (var group in all.GroupBy(b => b.CustomerId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var (items, scored) = HeldOutCustomer.Of(group.Key, group, cutoff, asOfEnd);
            holdout.Add(items);
            if (scored is not null)
            {
                heldOut.Add(scored);
            }
        }

        var expected = RecommendationEvaluation.Evaluate("whole", holdout, heldOut, options.HoldoutDays, options);
        var summary = await host.Get<RecommendationStages>().ReadSummaryAsync(run.RunId, CancellationToken.None);
        Assert.NotNull(summary?.Evaluation);
        var night = summary!.Evaluation!;
        Assert.Equal(heldOut.Count, night.Customers);
        Assert.True(night.Customers > 10, $"only {night.Customers} held-out customers");
        Assert.Equal(cutoff, night.CutoffUtc);
        for (var i = 0; i < expected.Rankers.Count; i++)
        {
            Assert.Equal(expected.Rankers[i].Name, night.Rankers[i].Name);
            Assert.Equal(expected.Rankers[i].HitRate, night.Rankers[i].HitRate, 12);
            Assert.Equal(expected.Rankers[i].Recall, night.Rankers[i].Recall, 12);
            Assert.Equal(expected.Rankers[i].Ndcg, night.Rankers[i].Ndcg, 12);
        }

        // The report's section shows the three metrics of the recommender and both baselines, and the verdict.
        var html = await host.Get<RunReportStore>().GetAsync(run.RunId, CancellationToken.None);
        Assert.NotNull(html);
        Assert.Contains("<section id=\"recommendations\">", html, StringComparison.Ordinal);
        var section = html[html.IndexOf("<section id=\"recommendations\">", StringComparison.Ordinal)..];
        section = section[..(section.IndexOf("</section>", StringComparison.Ordinal) + 10)];
        foreach (var header in new[] { "hit rate@10", "recall@10", "NDCG@10" })
        {
            Assert.Contains(header, section, StringComparison.Ordinal);
        }

        var evaluation = night;
        Assert.Equal(3, evaluation.Rankers.Count);
        foreach (var ranker in evaluation.Rankers)
        {
            Assert.Contains(
                System.Text.Encodings.Web.HtmlEncoder.Default.Encode(ranker.Name) + "</td>" + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"<td class=\"n\">{ranker.HitRate:0.000}</td><td class=\"n\">{ranker.Recall:0.000}</td><td class=\"n\">{ranker.Ndcg:0.000}</td>"),
                section,
                StringComparison.Ordinal);
        }

        var verdict = evaluation.HitRateGainOverBestBaseline >= 0.10 ? "beats both baselines" : "does not beat both baselines";
        Assert.Contains("The recommender " + verdict, System.Net.WebUtility.HtmlDecode(section), StringComparison.Ordinal);

        // The shard artefacts that hold customer ids are gone once the run is complete.
        Assert.Null(await host.Get<NightlyArtefacts>().ReadIfExistsAsync<RecommendationPartial>(RecommendationStages.Partial(run.RunId, CrmKeys.ShardOf(customers[0].CustomerId)), CancellationToken.None));
        Assert.Null(await host.Get<NightlyArtefacts>().ReadIfExistsAsync<CustomerItemsData[]>(RecommendationStages.Items(run.RunId, CrmKeys.ShardOf(customers[0].CustomerId)), CancellationToken.None));
    }

    [Fact]
    public async Task Readers_SeeThePreviousRunUntilTheNextCompletes_AnUnpublishedBackfillLeavesThem_EraseRemovesThemFromEveryRun()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await StoreCatalogueAsync(host, 150, seed: 8);
        var job = host.Get<NightlyJob>();
        var reader = host.Get<RecommendationReader>();
        var tables = host.Get<CrmTables>();
        var first = await job.RunAsync(null, train: false, parallelism: 4, CancellationToken.None);
        var example = await reader.ExampleAsync(CancellationToken.None);
        Assert.NotNull(example);
        var id = example.CustomerId;
        Assert.Equal(first.RunId, example.RunId);

        // A second night as of the same day, stopped after stage 3: its rows are written, the run is not complete.
        var started = await job.StartAsync(first.AsOf, CancellationToken.None);
        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(started.RunId), CancellationToken.None);
        foreach (var stage in new[] { NightStage.SummariseShard, NightStage.FitModels, NightStage.ScoreShard })
        {
            await job.RunStageAsync(plan, stage, 4, CancellationToken.None);
        }

        Assert.NotNull((await CustomerScoreRows.FindScoreAsync(tables.Scanner, tables.RunScores(plan.RunId), id, CancellationToken.None))?.ToRecommendations());
        var during = await reader.GetAsync(id, CancellationToken.None);
        Assert.Equal(first.RunId, during!.RunId);
        Assert.Equal(example.Items, during.Items);
        Assert.Equal(example.Items.Take(CustomerReader.ViewRecommendations), (await host.Get<CustomerReader>().GetViewAsync(id, CancellationToken.None))!.Recommendations!);

        foreach (var stage in new[] { NightStage.RunArtefacts, NightStage.CompleteRun })
        {
            await job.RunStageAsync(plan, stage, 4, CancellationToken.None);
        }

        Assert.Equal(plan.RunId, (await reader.GetAsync(id, CancellationToken.None))!.RunId);

        // A backfill without --publish writes its own rows and changes nothing a reader sees.
        var served = await reader.GetAsync(id, CancellationToken.None);
        var backfill = await job.RunAsync(first.AsOf.AddDays(-90), train: false, parallelism: 4, CancellationToken.None);
        Assert.True(backfill.Backfill);
        Assert.False(backfill.Published);
        Assert.NotEmpty(await RecommendationsHttpTests.RunRowsAsync(host, backfill.RunId));
        var after = await reader.GetAsync(id, CancellationToken.None);
        Assert.Equal(served!.RunId, after!.RunId);
        Assert.Equal(served.Items, after.Items);
        using (var csv = new StringWriter())
        {
            await reader.WriteCsvAsync(csv, CancellationToken.None);
            Assert.Contains($"\n{id},1,{served.Items[0].Sku},", csv.ToString().Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        // Erasing the customer removes their row from every run's table, published or not.
        var runTables = new List<string>();
        await foreach (var table in tables.ListRunScoresAsync(CancellationToken.None))
        {
            runTables.Add(RunScoreKeysRunId(table.Name, first.RunId.Length));
        }

        Assert.Contains(backfill.RunId, runTables);
        await host.Get<CustomerPrivacyService>().EraseAsync(id, CancellationToken.None);
        foreach (var runId in runTables)
        {
            Assert.Null(await CustomerScoreRows.FindScoreAsync(tables.Scanner, tables.RunScores(runId), id, CancellationToken.None));
        }

        Assert.Null(await reader.GetAsync(id, CancellationToken.None));
    }

    private static string RunScoreKeysRunId(string tableName, int runIdLength) => tableName[^runIdLength..];
}
