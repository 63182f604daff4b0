using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Recommendations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>What a run's recommendations step did, stored as the run artefact <c>{runId}/recommendations.json</c>.</summary>
public sealed record RecommendationRunSummary(string RunId, string AsOf, string Method, int Customers, int CustomersWithHistory, int Skus, int RepeatSkus, double Seconds);

/// <summary>
/// The nightly recommendations step, shard-parallel in three parts: each shard's baskets make a partial of
/// co-purchase counts (<see cref="CoPurchaseCounts"/>); the partials merge into one model; each shard then ranks its
/// customers and writes one row per stored customer (cold ones, with no lines yet, get the popular skus).
/// Erase wins as in <see cref="ShardScoreWriter"/>: only customers still stored get a row, and rows of any erased
/// during the write are deleted again.
/// </summary>
public sealed class RecommendationRunService(
    BasketReader baskets,
    CustomerReader customers,
    CrmTables tables,
    IOptions<RecommenderOptions> options,
    IOptions<NightlyOptions> nightly,
    ILogger<RecommendationRunService> logger)
{
    public static string SummaryBlobName(string runId) => $"{runId}/recommendations.json";

    /// <returns>The summary, or null when no purchase has lines (nothing to learn from; no rows are written).</returns>
    public async Task<RecommendationRunSummary?> RunAsync(string runId, DateOnly asOf, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var settings = options.Value;
        var cutoff = Nightly.NightPlan.AsOfEnd(asOf);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = nightly.Value.ReadParallelism, CancellationToken = cancellationToken };

        // Part 1, per shard: each customer's items up to the as-of, and the shard's partial counts.
        var shards = new ConcurrentDictionary<int, (Dictionary<string, CustomerItems> Items, CoPurchaseCounts Partial)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, CrmKeys.ShardCount), parallel, async (shard, ct) =>
        {
            var read = (await baskets.ReadShardAsync(shard, ct)).SelectMany(customer => customer).ToList();
            shards[shard] = Count(read, cutoff, settings);
        });

        // Part 2: merge the partials (sums, in shard order) and build the one model of the run.
        var counts = CoPurchaseCounts.For(cutoff, settings);
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            counts.Merge(shards[shard].Partial);
        }

        if (counts.Skus.Count == 0)
        {
            logger.LogInformation("Run {RunId}: no purchase has line items; no recommendations written", runId);
            return null;
        }

        var model = CoPurchaseModel.Build(counts, settings);
        var day = asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        // Part 3, per shard: rank and write.
        var written = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, CrmKeys.ShardCount), parallel, async (shard, ct) =>
        {
            var count = await WriteShardAsync(model, shards[shard].Items, CrmKeys.Partition(shard), runId, day, settings.TopN, ct);
            Interlocked.Add(ref written, count);
        });

        var summary = new RecommendationRunSummary(
            runId, day, settings.Method.ToString(), written, shards.Values.Sum(s => s.Items.Count), counts.Skus.Count, model.RepeatRates.Count, stopwatch.Elapsed.TotalSeconds);
        await tables.RunResults.GetBlobClient(SummaryBlobName(runId)).UploadAsync(BinaryData.FromObjectAsJson(summary), overwrite: true, cancellationToken);
        logger.LogInformation("Run {RunId}: recommendations for {Customers} customers from {Skus} skus in {Seconds:0.0} s", runId, written, counts.Skus.Count, summary.Seconds);
        return summary;
    }

    /// <summary>One shard's part 1, a pure function: the customers' items and the shard's partial counts.</summary>
    public static (Dictionary<string, CustomerItems> Items, CoPurchaseCounts Partial) Count(IEnumerable<Basket> shardBaskets, DateTime cutoffUtc, RecommenderOptions options)
    {
        var partial = CoPurchaseCounts.For(cutoffUtc, options);
        var items = new Dictionary<string, CustomerItems>(StringComparer.Ordinal);
        foreach (var customer in CustomerItems.ByCustomer(shardBaskets, cutoffUtc))
        {
            partial.Add(customer);
            items[customer.CustomerId] = customer;
        }

        return (items, partial);
    }

    private async Task<int> WriteShardAsync(CoPurchaseModel model, Dictionary<string, CustomerItems> items, string partition, string runId, string asOf, int topN, CancellationToken cancellationToken)
    {
        var stored = await customers.ReadConsentAsync(partition, cancellationToken);
        var rows = new List<RecommendationEntity>(stored.Count);
        foreach (var customerId in stored.Keys)
        {
            var customer = items.GetValueOrDefault(customerId) ?? CustomerItems.From(customerId, [], DateTime.MinValue);
            var ranked = Recommender.Recommend(model, customer, topN);
            rows.Add(RecommendationEntity.From(new CustomerRecommendations(
                customerId, runId, asOf, [.. ranked.Select((r, i) => new RecommendedSku(i + 1, r.Sku, Math.Round(r.Score, 6)))])));
        }

        foreach (var chunk in rows.Chunk(100))
        {
            await tables.Recommendations.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);
        }

        var still = await customers.ReadConsentAsync(partition, cancellationToken);
        var kept = 0;
        foreach (var row in rows)
        {
            if (still.ContainsKey(row.CustomerId))
            {
                kept++;
                continue;
            }

            try
            {
                await tables.Recommendations.DeleteEntityAsync(partition, row.RowKey, ETag.All, cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                // The erase got there first.
            }
        }

        return kept;
    }
}
