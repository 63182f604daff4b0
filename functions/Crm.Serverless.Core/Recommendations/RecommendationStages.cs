using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Recommendations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>Stage 1 → 2 for one shard: its co-purchase counts as of the run and as of the holdout cut-off, and its holdout sample.</summary>
/// <param name="Sample">Customers who bought before the holdout cut-off and in the holdout window, at most <see cref="NightlyOptions.SampleCustomersPerShard"/>.</param>
public sealed record RecommendationPartial(int Shard, CoPurchasePartial Counts, CoPurchasePartial Holdout, HeldOutData[] Sample);

/// <summary>
/// What the run's recommendations step did, the run artefact <c>{runId}/recommendations.json</c> (no customer ids):
/// the model's size, how much the pair cap dropped, and the honest holdout evaluation the report shows.
/// </summary>
/// <param name="Evaluation">Null with <paramref name="Note"/> when the holdout window has nobody to score.</param>
public sealed record RecommendationRunSummary(
    string RunId,
    string AsOf,
    string Method,
    int Skus,
    int RepeatSkus,
    int PairsKept,
    long PairsDropped,
    double Seconds,
    RecommendationEvaluationReport? Evaluation,
    string? Note);

/// <summary>
/// Next best products in the nightly stages, bounded by one shard or the merged counts:
/// <list type="number">
/// <item>stage 1 (<see cref="SummariseAsync"/>), per shard: the shard's baskets make two sparse partials of co-purchase
/// counts (<see cref="CoPurchaseCounts"/>, at most <see cref="RecommenderOptions.MaxPairs"/> pairs each), one as of the
/// run and one as of the holdout cut-off, the holdout sample, and the customers' items for stage 3;</item>
/// <item>stage 2 (<see cref="FitAsync"/>), once: the partials merge in shard order into the run's item-item model (a run
/// artefact) and the holdout model, which the one evaluator (<see cref="RecommendationEvaluation"/>, as
/// <c>crm evaluate --recommendations</c>) scores on the merged sample against the two popularity baselines;</item>
/// <item>stage 3 (<see cref="ForShardAsync"/>), per shard: the top N of each customer with purchases, written as the
/// run's rows by <see cref="ShardScoreWriter"/> with the scores (erase wins the same way); a customer without purchases
/// is served the run's one popular row, written in stage 2.</item>
/// </list>
/// </summary>
public sealed class RecommendationStages(
    Storage.CrmTables tables,
    NightlyArtefacts artefacts,
    IOptions<RecommenderOptions> options,
    IOptions<NightlyOptions> nightly,
    ILogger<RecommendationStages> logger)
{
    public static string SummaryBlobName(string runId) => $"{runId}/recommendations.json";

    /// <summary>Stage 2 → 3: the run's model (no customer ids; absent when no purchase has lines).</summary>
    public static string Model(string runId) => $"{runId}/nightly/recommender.json";

    /// <summary>Stage 1 → 2 (holds customer ids in the sample: deleted when the run completes).</summary>
    public static string Partial(string runId, int shard) => Nightly.NightlyArtefacts.Scratch(runId, $"recommendations-{shard:D2}.json");

    /// <summary>Stage 1 → 3: the shard's customers' items as of the run (customer ids: deleted when the run completes).</summary>
    public static string Items(string runId, int shard) => Nightly.NightlyArtefacts.Scratch(runId, $"recommendation-items-{shard:D2}.json");

    /// <summary>The night holds out the last <see cref="RecommenderOptions.HoldoutDays"/> up to the end of the as-of day.</summary>
    public DateTime HoldoutCutoff(NightPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.AsOfEndUtc.AddDays(-options.Value.HoldoutDays);
    }

    /// <summary>Stage 1 for one shard, from the shard's baskets (one list per customer).</summary>
    public async Task SummariseAsync(NightPlan plan, int shard, IReadOnlyList<IReadOnlyList<Basket>> baskets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(baskets);
        var (partial, items) = Summarise(plan, shard, baskets);
        await artefacts.WriteAsync(Partial(plan.RunId, shard), partial, cancellationToken);
        await artefacts.WriteAsync(Items(plan.RunId, shard), items, cancellationToken);
    }

    /// <summary>Stage 1's computation, without storage.</summary>
    public (RecommendationPartial Partial, CustomerItemsData[] Items) Summarise(NightPlan plan, int shard, IReadOnlyList<IReadOnlyList<Basket>> baskets)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(baskets);
        var settings = options.Value;
        var holdoutCutoff = HoldoutCutoff(plan);
        var counts = CoPurchaseCounts.For(plan.AsOfEndUtc, settings);
        var holdout = CoPurchaseCounts.For(holdoutCutoff, settings);
        var items = new List<CustomerItemsData>(baskets.Count);
        var heldOut = new List<HeldOutCustomer>();
        foreach (var customer in baskets)
        {
            if (customer.Count == 0)
            {
                continue;
            }

            var id = customer[0].CustomerId;
            var now = CustomerItems.From(id, customer, plan.AsOfEndUtc);
            counts.Add(now);
            items.Add(now.ToData());

            // Nothing after the as-of counts, in the holdout window either: a backfill never sees the future.
            var (before, scored) = HeldOutCustomer.Of(id, customer, holdoutCutoff, plan.AsOfEndUtc);
            holdout.Add(before);
            if (scored is not null)
            {
                heldOut.Add(scored);
            }
        }

        var sample = ShardSample.Lowest(heldOut, h => h.Items.CustomerId, nightly.Value.SampleCustomersPerShard);
        var partial = new RecommendationPartial(shard, counts.Prune().ToPartial(), holdout.Prune().ToPartial(), [.. sample.Select(h => h.ToData())]);
        return (partial, [.. items]);
    }

    /// <summary>Stage 2: merges the shards' partials one at a time (two in memory), stores the model and the evaluation.</summary>
    public async Task<RecommendationRunSummary> FitAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var stopwatch = Stopwatch.StartNew();
        var settings = options.Value;
        var counts = CoPurchaseCounts.For(plan.AsOfEndUtc, settings);
        var holdout = CoPurchaseCounts.For(HoldoutCutoff(plan), settings);
        var sample = new List<HeldOutCustomer>();

        // In shard order, so the merged sums are the same on every retry.
        var next = artefacts.ReadAsync<RecommendationPartial>(Partial(plan.RunId, 0), cancellationToken);
        for (var shard = 0; shard < plan.Shards; shard++)
        {
            var partial = await next;
            if (shard + 1 < plan.Shards)
            {
                next = artefacts.ReadAsync<RecommendationPartial>(Partial(plan.RunId, shard + 1), cancellationToken);
            }

            counts.Merge(CoPurchaseCounts.FromPartial(partial.Counts));
            holdout.Merge(CoPurchaseCounts.FromPartial(partial.Holdout));
            sample.AddRange(partial.Sample.Select(HeldOutCustomer.FromData));
        }

        counts.Prune();
        holdout.Prune();
        var day = plan.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        RecommendationRunSummary summary;
        if (counts.Skus.Count == 0)
        {
            await artefacts.DeleteAsync(Model(plan.RunId), cancellationToken);
            summary = new RecommendationRunSummary(plan.RunId, day, settings.Method.ToString(), 0, 0, 0, 0, stopwatch.Elapsed.TotalSeconds, null, "No purchase has line items: no recommendations.");
        }
        else
        {
            var model = CoPurchaseModel.Build(counts, settings);
            await artefacts.WriteAsync(Model(plan.RunId), model.ToData(), cancellationToken);
            await WritePopularAsync(plan, model, cancellationToken);
            var evaluation = sample.Count == 0 || holdout.Skus.Count == 0
                ? null
                : RecommendationEvaluation.Evaluate($"Run {plan.RunId}", holdout, sample, settings.HoldoutDays, settings);
            summary = new RecommendationRunSummary(
                plan.RunId, day, settings.Method.ToString(), counts.Skus.Count, model.RepeatRates.Count, counts.Pairs.Count, counts.PairsDropped,
                stopwatch.Elapsed.TotalSeconds, evaluation,
                evaluation is null ? $"Nobody bought both before and in the last {settings.HoldoutDays} days up to {day}: nothing to evaluate on." : null);
        }

        await artefacts.WriteAsync(SummaryBlobName(plan.RunId), summary, cancellationToken);
        logger.LogInformation(
            "Run {RunId}: recommender from {Skus} skus, {Pairs} pairs kept, {Dropped} dropped by the cap, evaluated on {Customers} held-out customers",
            plan.RunId, summary.Skus, summary.PairsKept, summary.PairsDropped, summary.Evaluation?.Customers ?? 0);
        return summary;
    }

    /// <summary>The run's row for customers with no purchase yet: what the recommender gives someone it knows nothing about.</summary>
    private async Task WritePopularAsync(NightPlan plan, CoPurchaseModel model, CancellationToken cancellationToken)
    {
        var ranked = new ShardRecommender(model, [], plan.RunId, plan.AsOf, options.Value.TopN).Recommend("");
        var row = RecommendationEntity.From(ranked);
        (row.PartitionKey, row.RowKey) = Storage.RunScoreKeys.PopularRecommendations;
        await tables.RunScores(plan.RunId).UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Stage 3 for one shard: the run's model and the shard's items, ready to rank whichever customers are stored.</summary>
    public async Task<ShardRecommender> ForShardAsync(NightPlan plan, int shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var data = await artefacts.ReadIfExistsAsync<CoPurchaseModelData>(Model(plan.RunId), cancellationToken);
        if (data is null)
        {
            return new ShardRecommender(null, [], plan.RunId, plan.AsOf, options.Value.TopN);
        }

        var items = await artefacts.ReadAsync<CustomerItemsData[]>(Items(plan.RunId, shard), cancellationToken);
        return new ShardRecommender(
            CoPurchaseModel.FromData(data, options.Value),
            items.ToDictionary(i => i.CustomerId, CustomerItems.FromData, StringComparer.Ordinal),
            plan.RunId,
            plan.AsOf,
            options.Value.TopN);
    }

    /// <summary>The run's summary and evaluation (the report's section), or null for a run without one.</summary>
    public Task<RecommendationRunSummary?> ReadSummaryAsync(string runId, CancellationToken cancellationToken)
        => artefacts.ReadIfExistsAsync<RecommendationRunSummary>(SummaryBlobName(runId), cancellationToken);
}

/// <summary>One shard's stage 3 ranking: the run's model over the shard's customers' items.</summary>
public sealed class ShardRecommender(CoPurchaseModel? model, Dictionary<string, CustomerItems> items, string runId, DateOnly asOf, int topN)
{
    /// <summary>
    /// The ranked skus of each customer of the shard with purchases (a customer whose purchases have no lines gets the
    /// popular skus), for <see cref="ShardScoreWriter"/> to store in the customer's score row; none when the run has no model.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RecommendedSku>> Ranked()
        => model is null
            ? new Dictionary<string, IReadOnlyList<RecommendedSku>>(StringComparer.Ordinal)
            : items.Keys.ToDictionary(customerId => customerId, customerId => Recommend(customerId).Items, StringComparer.Ordinal);

    public CustomerRecommendations Recommend(string customerId)
    {
        ArgumentNullException.ThrowIfNull(model);
        var customer = items.GetValueOrDefault(customerId) ?? CustomerItems.From(customerId, [], DateTime.MinValue);
        var ranked = Recommender.Recommend(model, customer, topN);
        return new CustomerRecommendations(
            customerId, runId, asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), [.. ranked.Select((r, i) => new RecommendedSku(i + 1, r.Sku, Math.Round(r.Score, 6)))]);
    }
}
