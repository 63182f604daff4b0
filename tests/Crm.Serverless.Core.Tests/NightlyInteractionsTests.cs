using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// Issue 15 in the night: a store with interactions trains, gates and scores with the interaction features (stage 1
/// reads each shard's interactions once); a store without them runs exactly the purchase-only night.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class NightlyInteractionsTests(AzuriteFixture azurite)
{
    private static readonly DateOnly AsOf = new(1998, 12, 31);

    [Fact]
    public async Task Night_StoreWithSimulatedInteractions_ScoresWithTheInteractionLayout_ThatBeatsPurchasesOnly()
    {
        await using var host = await azurite.StartHostAsync();
        var shop = await StoreShopWithInteractionsAsync(host, customers: 4000, seed: 11);
        var tables = host.Get<CrmTables>();
        var rowsOfStage1 = (await StorageRecount.AllRowsWithSummariesAsync(tables.Customers)).Count(r => CrmKeys.IsSummaryRow(r.RowKey))
            + (await StorageRecount.AllRowsAsync(tables.Interactions)).Count;

        var night = await host.Get<NightlyJob>().RunWithFiguresAsync(AsOf, train: true, parallelism: 4, publish: false, CancellationToken.None);

        var run = night.Run;
        Assert.Equal(RunStatus.Complete, run.Status);
        // Stage 1 reads each customer's summary row and each shard's interactions once, and says so (`crm score` prints it).
        Assert.Equal(rowsOfStage1, night.Stages.Single(s => s.Stage == NightStage.SummariseShard).EntitiesRead);

        var churn = run.Training.Single(t => t.Target == "churn");
        var version = Assert.Single(run.Scorers!, s => s.Target == "churn").Version;
        Assert.NotNull(version);
        var model = await host.Get<ModelRegistry>().LoadAsync(PropensityTarget.Churn, version, CancellationToken.None);
        Assert.Equal(FeatureLayout.WithInteractions.Names, model.Metadata.FeatureNames);
        var scores = await StorageRecount.RunScoresAsync(tables, run.RunId);
        Assert.Equal(run.Customers, scores.Count);
        Assert.All(scores, s => Assert.Equal(version, s.ChurnModelVersion));
        Assert.Contains(scores, s => InteractionFeatures.Definitions.Any(d => (s.ChurnFactorsJson ?? "").Contains(d.ReadableName, StringComparison.Ordinal)));

        // Like with like: the purchase-only model trained on the same customers as of the same day, on the same holdout.
        var purchasesOnly = host.Get<PropensityTrainer>().Train(PurchaseTable.From(shop.Histories), NightPlan.AsOfEnd(AsOf), PropensityTarget.Churn).Metadata.Holdout;
        Assert.Equal(purchasesOnly.Rows, churn.Holdout!.Rows);
        Assert.True(churn.Holdout.Model.Auc > purchasesOnly.Model.Auc, $"with {churn.Holdout.Model.Auc:F4}, without {purchasesOnly.Model.Auc:F4}");

        // The report's figures come from stage 3: customers with an open complaint churn more (complaints raise the hazard).
        var complaints = (await host.Get<InteractionActivityStore>().GetAsync(run.RunId, CancellationToken.None))?.OpenComplaints;
        Assert.NotNull(complaints);
        var open = shop.Interactions.Count(pair => pair.Value.Any(e => ComplaintChurn.IsOpen(e, NightPlan.AsOfEnd(AsOf))) && scores.Any(s => s.CustomerId == pair.Key));
        Assert.Equal(open, complaints.WithOpen);
        Assert.Equal(run.Customers, complaints.WithOpen + complaints.WithoutOpen);
        Assert.True(complaints.MeanWithOpen > complaints.MeanWithoutOpen, $"with {complaints.MeanWithOpen}, without {complaints.MeanWithoutOpen}");
        var html = await host.Get<Reporting.RunReportStore>().GetAsync(run.RunId, CancellationToken.None);
        Assert.Contains("id=\"complaint-churn-table\"", html, StringComparison.Ordinal);

        // The events passed between the stages hold customer ids: gone with the histories once the run completes.
        Assert.False(await tables.RunScratch(run.RunId).ExistsAsync());
        var left = tables.RunResults.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, run.RunId + "/", CancellationToken.None);
        await foreach (var blob in left)
        {
            Assert.DoesNotMatch(@"/(sample-)?interactions-\d\d\.json$", blob.Name);
        }
    }

    [Fact]
    public async Task Night_StoreWithoutInteractions_PlansNone_ReadsTheTableOnce_AndScoresAsTheShardScorerWithoutThem()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 1200, seed: 21);
        var tables = host.Get<CrmTables>();
        var counter = host.Get<StorageRequestCounter>();
        var before = counter.RequestsTo(tables.Interactions.Name);

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), CancellationToken.None);
        Assert.False(plan.Interactions);
        Assert.Equal(1, counter.RequestsTo(tables.Interactions.Name) - before); // the probe, and nothing else
        Assert.Null(await host.Get<InteractionActivityStore>().GetAsync(run.RunId, CancellationToken.None));
        var models = await host.Get<ModelRegistry>().ListAsync(null, CancellationToken.None);
        Assert.All(models, m => Assert.Equal(FeatureLayout.Purchases.Names, m.Metadata.FeatureNames));

        // The stored scores are what the shard scorer gives with no interactions at all (today's purchase-only scores).
        var fit = await host.Get<NightlyArtefacts>().ReadAsync<NightFit>(NightlyArtefacts.Fit(run.RunId), CancellationToken.None);
        var registry = host.Get<ModelRegistry>();
        var churn = fit.Scorer(PropensityTarget.Churn).Version is { } c ? await registry.LoadAsync(PropensityTarget.Churn, c, CancellationToken.None) : null;
        var purchase = fit.Scorer(PropensityTarget.Purchase).Version is { } p ? await registry.LoadAsync(PropensityTarget.Purchase, p, CancellationToken.None) : null;
        var stored = (await StorageRecount.RunScoresAsync(tables, run.RunId)).ToDictionary(s => s.CustomerId, StringComparer.Ordinal);
        var shard = CrmKeys.ShardOf(stored.Keys.First());
        var histories = await host.Get<HistoryReader>().ReadShardAsync(shard, CancellationToken.None);

        // The oracle scores the purchase-only table straight with the models, not through the stage's interaction routing.
        var table = PurchaseTable.From(histories);
        table.UseCutoffModel(plan.AsOfEndUtc, fit.Cutoff is { } cutoff ? new BetaGeoModel(cutoff) : null);
        var windows = host.Get<Microsoft.Extensions.Options.IOptions<PropensityOptions>>().Value;
        var expectedChurn = churn is null
            ? PropensityScorer.ScoreBetaGeo(table, plan.AsOfEndUtc, PropensityTarget.Churn, windows.ChurnWindowDays)
            : PropensityScorer.Score(churn, table, plan.AsOfEndUtc);
        var expectedPurchase = (purchase is null
            ? PropensityScorer.ScoreBetaGeo(table, plan.AsOfEndUtc, PropensityTarget.Purchase, windows.PurchaseWindowDays)
            : PropensityScorer.Score(purchase, table, plan.AsOfEndUtc)).ToDictionary(e => e.CustomerId, StringComparer.Ordinal);
        Assert.NotEmpty(expectedChurn);
        Assert.All(expectedChurn, e =>
        {
            Assert.Equal(e.Probability, stored[e.CustomerId].ChurnProbability!.Value, 5);
            Assert.Equal(expectedPurchase[e.CustomerId].Probability, stored[e.CustomerId].PurchaseProbability!.Value, 5);
        });
    }

    [Fact]
    public async Task Gate_CandidateWithInteractions_IsComparedWithThePurchaseOnlyCurrentModel_OnTheSameHoldoutCustomers()
    {
        await using var host = await azurite.StartHostAsync();
        var shop = Simulate(customers: 1500, seed: 5);
        var histories = shop.Select(c => c.History).ToList();
        var interactions = shop.ToDictionary(c => c.History.CustomerId, c => c.Interactions, StringComparer.Ordinal);
        var training = host.Get<ModelTrainingService>();
        var asOf = NightPlan.AsOfEnd(AsOf);

        // Before the shop sent interactions: a purchase-only model, promoted by hand so it is the current one.
        var before = await training.TrainAsync(PurchaseTable.From(histories), asOf.AddDays(-30), PropensityTarget.Churn, CancellationToken.None, promote: false);
        await host.Get<ModelRegistry>().PromoteAsync(before.Version!, CancellationToken.None);
        var current = await host.Get<ModelRegistry>().LoadAsync(PropensityTarget.Churn, before.Version!, CancellationToken.None);
        var after = await training.TrainAsync(PurchaseTable.From(histories, interactions), asOf, PropensityTarget.Churn, CancellationToken.None, promote: false);

        // Judged on the candidate's holdout customers and labels, read without the interaction columns.
        var candidate = await host.Get<ModelRegistry>().LoadAsync(PropensityTarget.Churn, after.Version!, CancellationToken.None);
        Assert.Equal(FeatureLayout.WithInteractions.Names, candidate.Metadata.FeatureNames);
        var holdout = LabelledRows.Build(PurchaseTable.From(histories), [candidate.Metadata.HoldoutCutoffUtc], PropensityTarget.Churn, candidate.Metadata.LabelWindowDays);
        Assert.Equal(candidate.Metadata.Holdout.Rows, holdout.Count);
        Assert.DoesNotContain(after.Notes ?? [], n => n.StartsWith("No comparable current model", StringComparison.Ordinal));
        Assert.Equal(PropensityScorer.Evaluate(current, holdout).Auc, after.CurrentModelAuc!.Value, 9);
    }

    private sealed record StoredShop(List<CustomerHistory> Histories, Dictionary<string, IReadOnlyList<InteractionEvent>> Interactions);

    /// <summary>
    /// The shop `crm generate --interactions` simulates (complaints raise the churn hazard), up to the as-of day,
    /// stored through the ingest and interaction writers as an import would.
    /// </summary>
    private static async Task<StoredShop> StoreShopWithInteractionsAsync(TestHost host, int customers, int seed)
    {
        var end = NightPlan.AsOfEnd(AsOf);
        var shop = Simulate(customers, seed);
        var histories = new List<CustomerHistory>();
        var interactions = new Dictionary<string, IReadOnlyList<InteractionEvent>>(StringComparer.Ordinal);
        var writes = new List<PendingWrite>();
        var contacts = new List<Interaction>();
        foreach (var customer in shop)
        {
            var id = customer.History.CustomerId;
            var purchases = customer.History.Purchases.Where(p => p.TimestampUtc <= end).ToList();
            if (purchases.Count == 0)
            {
                continue;
            }

            histories.Add(new CustomerHistory(id, purchases));
            writes.AddRange(purchases.Select((p, i) => PendingWrite.Of(new Transaction($"{id}-{i}", id, new DateTimeOffset(p.TimestampUtc, TimeSpan.Zero), (decimal)p.Amount, "USD", 1, []))));
            var events = customer.Interactions.Where(e => e.TimestampUtc <= end).Select(e => e with { CampaignId = null, ResolvedUtc = e.ResolvedUtc <= end ? e.ResolvedUtc : null }).ToList();
            if (events.Count > 0)
            {
                interactions[id] = events;
                contacts.AddRange(events.Select((e, i) => new Interaction(
                    $"{id}-c{i}", id, new DateTimeOffset(e.TimestampUtc, TimeSpan.Zero), e.Channel, e.Inbound, e.Type, e.Rating,
                    e.ResolvedUtc is { } r ? new DateTimeOffset(r, TimeSpan.Zero) : null, Subject: "simulated contact")));
            }
        }

        await host.Get<IngestService>().WriteAsync(writes, StateLoad.WholePartition, IngestSource.Import, 4, null, CancellationToken.None);
        var writer = host.Get<InteractionWriter>();
        await Parallel.ForEachAsync(
            contacts.GroupBy(c => CrmKeys.PartitionOf(c.CustomerId)),
            new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (partition, ct) => await writer.WriteAsync(partition.Key, [.. partition], StateLoad.WholePartition, IngestSource.Import, null, ct));
        return new StoredShop(histories, interactions);
    }

    /// <summary>The shop <c>crm generate --interactions</c> simulates (complaints raise the churn hazard).</summary>
    private static List<SimulatedCustomer> Simulate(int customers, int seed) => ShopSimulator.Simulate(new ShopSimulationOptions
    {
        Customers = customers,
        Seed = seed,
        R = 1.2,
        Alpha = 6,
        A = 0.4,
        B = 6,
        AcquisitionWeeks = 52,
        ObservationWeeks = 104,
        Interactions = new InteractionSimulationOptions(),
    }).ToList();
}
