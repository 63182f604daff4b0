using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Tests;

[Collection(AzuriteCollection.Name)]
public class NightlyJobTests(AzuriteFixture azurite)
{
    /// <summary>The scores of the run readers see now.</summary>
    private static async Task<List<ScoreEntity>> ScoresAsync(TestHost host)
        => await StorageRecount.RunScoresAsync(host.Get<CrmTables>(), (await host.Get<RunStore>().GetCurrentRunIdAsync(CancellationToken.None))!);

    [Fact]
    public async Task RunAsync_SeededShop_RegistersGatedModelsAndScoresEveryCustomer()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 2000);

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, run.Status);
        Assert.Equal(customers, run.Customers);
        var models = await host.Get<ModelRegistry>().ListAsync(null, CancellationToken.None);
        Assert.Equal(2, models.Count);
        Assert.All(models, m =>
        {
            Assert.True(m.Metadata.HoldoutRows > 0);
            Assert.NotEmpty(m.Metadata.FeatureNames);

            // The shop stored no interactions: the models' layout has no interaction features (not zeros standing in).
            Assert.Equal(FeatureLayout.Purchases.Names, m.Metadata.FeatureNames);
            Assert.DoesNotContain(m.Metadata.FeatureNames, n => InteractionFeatures.Definitions.Any(d => d.Name == n));
            Assert.False(string.IsNullOrWhiteSpace(m.Decision.Reason));
            Assert.InRange(m.Metadata.Holdout.Model.Auc, 0.5, 1);
        });
        Assert.All(run.Training, t => Assert.Equal(t.Promoted, models.Single(m => m.Version == t.Version).Promoted));
        var scores = await ScoresAsync(host);
        Assert.Equal(customers, scores.Count);
        Assert.All(scores, s =>
        {
            Assert.Equal(run.RunId, s.RunId);
            Assert.NotEmpty(s.Segment);
            Assert.InRange(s.ProbabilityAlive, 0, 1);
            Assert.True(s.Clv >= 0);
        });
        // Every customer has a churn probability: the model's, or the BG/NBD model's where no model beats it.
        var churnModel = run.Training.Single(t => t.Target == "churn").ScoringVersion;
        Assert.All(scores, s => Assert.InRange(s.ChurnProbability ?? -1, 0, 1));
        var churnSource = Assert.Single(run.Scorers!, s => s.Target == "churn");
        Assert.Equal(churnModel, churnSource.Version);
        Assert.Equal(churnModel is null, churnSource.Description.StartsWith(ScoringSource.BetaGeo, StringComparison.Ordinal));
        // Every row names the versions that produced its probabilities, as the run record does.
        var purchaseSource = Assert.Single(run.Scorers!, s => s.Target == "purchase");
        Assert.All(scores, s =>
        {
            Assert.Equal(churnModel ?? ScoringSource.BetaGeoVersion, s.ChurnModelVersion);
            Assert.Equal(purchaseSource.ScoreVersion, s.PurchaseModelVersion);
        });
        Assert.Equal(customers, run.Segments.Sum(s => s.Customers));
    }

    [Fact]
    public async Task Registry_PromoteListRollback_AndARefusedModelLeavesThePromotedOneInUse()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 1500, seed: 5);
        var registry = host.Get<ModelRegistry>();
        var histories = await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None);
        var table = PurchaseTable.From(histories);
        var asOf = NightPlan.AsOfEnd(SeededShop.EndOfData);
        var trainer = host.Get<PropensityTrainer>();

        // First version: forced in, whatever the gate said.
        var first = await host.Get<ModelTrainingService>().TrainAsync(table, asOf, PropensityTarget.Churn, CancellationToken.None);
        await registry.PromoteAsync(first.Version!, CancellationToken.None);

        // Second version through a gate nothing passes: registered, not promoted, scoring keeps the first.
        var strict = new ModelTrainingService(trainer, new PromotionGate(0.01, minimumAuc: 0.999), registry, Options.Create(new PropensityOptions()), NullLogger<ModelTrainingService>.Instance);
        var refused = await strict.TrainAsync(table, asOf.AddDays(-7), PropensityTarget.Churn, CancellationToken.None);

        Assert.False(refused.Promoted);

        // The promoted model keeps scoring while it still beats BG/NBD on the new holdout; otherwise BG/NBD does.
        Assert.Equal(refused.CurrentModelAuc > refused.Holdout!.BetaGeoBaseline!.Auc ? first.Version : null, refused.ScoringVersion);
        Assert.Equal(first.Version, (await registry.LoadPromotedAsync(PropensityTarget.Churn, CancellationToken.None))!.Value.Version);
        var listed = await registry.ListAsync(PropensityTarget.Churn, CancellationToken.None);
        Assert.Equal(2, listed.Count);
        Assert.Equal(first.Version, Assert.Single(listed, m => m.Promoted).Version);

        // Promote the refused one by hand, then roll back to the first.
        await registry.PromoteAsync(refused.Version!, CancellationToken.None);
        Assert.Equal(refused.Version, (await registry.LoadPromotedAsync(PropensityTarget.Churn, CancellationToken.None))!.Value.Version);
        var back = await registry.RollbackAsync(PropensityTarget.Churn, CancellationToken.None);

        Assert.Equal(first.Version, back);
        Assert.Equal(first.Version, (await registry.LoadPromotedAsync(PropensityTarget.Churn, CancellationToken.None))!.Value.Version);
        Assert.Null(await registry.RollbackAsync(PropensityTarget.Purchase, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => registry.PromoteAsync("churn-19990101T000000Z-000000", CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_PromotedModelOfAnotherFeatureLayout_MeansNoComparableModelNotACrash()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 800, seed: 13);
        var tables = host.Get<CrmTables>();
        var table = PurchaseTable.From(await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None));
        var asOf = NightPlan.AsOfEnd(SeededShop.EndOfData);

        // An older build's model: registered and promoted by another process, stored with a feature list this build lacks.
        var otherProcess = new ModelRegistry(tables, TimeProvider.System);
        var model = host.Get<PropensityTrainer>().Train(table, asOf, PropensityTarget.Churn);
        var version = await otherProcess.RegisterAsync(model, new PromotionDecision(true, "promoted by an older build"), CancellationToken.None);
        await otherProcess.PromoteAsync(version, CancellationToken.None);
        var metadataBlob = tables.Models.GetBlobClient($"churn/{version}/metadata.json");
        var metadata = JsonNode.Parse((await metadataBlob.DownloadContentAsync()).Value.Content.ToString())!;
        metadata["featureNames"] = new JsonArray([.. CustomerFeatures.Names.Take(17).Select(n => JsonValue.Create(n))]);
        await metadataBlob.UploadAsync(BinaryData.FromString(metadata.ToJsonString()), overwrite: true);

        // Scoring alone (crm score): the old model cannot score, so BG/NBD does, and says why.
        var scored = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, scored.Status);
        var source = Assert.Single(scored.Scorers!, s => s.Target == "churn");
        Assert.True(source.IsBetaGeo);
        Assert.Contains("feature layout", source.Description, StringComparison.Ordinal);

        // The nightly run: training finds no comparable current model, and the night goes on.
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, run.Status);
        var churn = run.Training.Single(t => t.Target == "churn");
        Assert.Null(churn.CurrentModelAuc);
        Assert.Contains(churn.Notes!, n => n.StartsWith("No comparable current model", StringComparison.Ordinal));
        Assert.NotEqual(version, Assert.Single(run.Scorers!, s => s.Target == "churn").Version);
        var scores = await ScoresAsync(host);
        Assert.Equal(customers, scores.Count(s => s.RunId == run.RunId));
        Assert.All(scores, s => Assert.InRange(s.ChurnProbability ?? -1, 0, 1));
    }

    [Fact]
    public async Task RunAsync_PromotedModelTrainedWithInteractions_InARunWithoutThem_ScoresNothingAndTheNightGoesOn()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 800, seed: 17);
        var histories = await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None);
        var asOf = NightPlan.AsOfEnd(SeededShop.EndOfData);

        // A model trained when the shop's interactions were in (one complaint a week after each first purchase).
        var interactions = histories.ToDictionary(
            h => h.CustomerId,
            h => (IReadOnlyList<InteractionEvent>)[new(h.Purchases[0].TimestampUtc.AddDays(7), InteractionChannel.Phone, Inbound: true, InteractionType.Complaint)]);
        var model = host.Get<PropensityTrainer>().Train(PurchaseTable.From(histories, interactions), asOf, PropensityTarget.Churn);
        Assert.Equal(FeatureLayout.WithInteractions.Names, model.Metadata.FeatureNames);
        var registry = host.Get<ModelRegistry>();
        var version = await registry.RegisterAsync(model, new PromotionDecision(true, "promoted while interactions were sent"), CancellationToken.None);
        await registry.PromoteAsync(version, CancellationToken.None);

        // Tonight's run reads no interactions: the model must not score rows without its columns.
        var scored = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, scored.Status);
        var source = Assert.Single(scored.Scorers!, s => s.Target == "churn");
        Assert.True(source.IsBetaGeo);
        Assert.Contains("interaction features", source.Description, StringComparison.Ordinal);

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, run.Status);
        var churn = run.Training.Single(t => t.Target == "churn");
        Assert.Null(churn.CurrentModelAuc);
        Assert.Contains(churn.Notes!, n => n.StartsWith("No comparable current model", StringComparison.Ordinal));
        Assert.NotEqual(version, Assert.Single(run.Scorers!, s => s.Target == "churn").Version);
        Assert.Equal(customers, (await ScoresAsync(host)).Count(s => s.RunId == run.RunId));
    }

    [Fact]
    public async Task RunAsync_DegenerateSpendFit_FallsBackWithAWarningInTheRunRecord()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 1500, seed: 5, heavyTailedSpend: true);

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        Assert.Equal(RunStatus.Complete, run.Status);
        Assert.True(run.Clv.Q <= 1, $"q = {run.Clv.Q}");
        Assert.Contains(run.Warnings!, w => w.Contains("q <= 1", StringComparison.Ordinal));
        var scores = await ScoresAsync(host);
        Assert.Equal(customers, scores.Count);
        Assert.All(scores, s => Assert.True(double.IsFinite(s.Clv) && s.Clv >= 0 && s.ExpectedAverageSpend > 0));
    }

    [Fact]
    public async Task ModelRegistry_ReloadedInAnotherProcess_ScoresLikeTheOriginal()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 800, seed: 9);
        var histories = await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None);
        var table = PurchaseTable.From(histories);
        var asOf = NightPlan.AsOfEnd(SeededShop.EndOfData);
        var trained = await host.Get<ModelTrainingService>().TrainAsync(table, asOf, PropensityTarget.Purchase, CancellationToken.None);
        await host.Get<ModelRegistry>().PromoteAsync(trained.Version!, CancellationToken.None);

        // A fresh registry (a new process) loads from blob storage, not from the first one's cache.
        var fresh = new ModelRegistry(host.Get<CrmTables>(), TimeProvider.System);
        var (_, original) = (await host.Get<ModelRegistry>().LoadPromotedAsync(PropensityTarget.Purchase, CancellationToken.None))!.Value;
        var (_, reloaded) = (await fresh.LoadPromotedAsync(PropensityTarget.Purchase, CancellationToken.None))!.Value;

        Assert.Equal(
            PropensityScorer.Score(original, table, asOf).Select(s => s.Probability),
            PropensityScorer.Score(reloaded, table, asOf).Select(s => s.Probability));
    }

    [Fact]
    public async Task HistoryReader_ReadsEveryPurchaseWithoutAQueryPerCustomer()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = await SeededShop.StoreAsync(host, 1000, seed: 11);
        var counter = host.Get<StorageRequestCounter>();
        var transactions = (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers)).Count(r => !CrmKeys.IsCustomerRow(r.RowKey));

        var before = counter.Count;
        var histories = await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None);
        var requests = counter.Count - before;

        Assert.Equal(customers, histories.Count);
        Assert.Equal(transactions, histories.Sum(h => h.Purchases.Count));
        Assert.True(requests <= CrmKeys.ShardCount * (1 + (transactions + customers) / (1000 * CrmKeys.ShardCount) + 1), $"{requests} requests for {customers} customers");
        Assert.True((double)requests / customers <= 0.1, $"{requests} requests for {customers} customers");
    }
}
