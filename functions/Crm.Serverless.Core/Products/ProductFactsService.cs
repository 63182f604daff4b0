using System.Diagnostics;
using System.Text.Json;
using Azure;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Products;

/// <summary>
/// A run's product facts and discount response, computed from the stored baskets shard by shard (a partial per
/// shard, merged) and kept as the run's artefacts <c>{runId}/products.json</c> and <c>{runId}/discounts.json</c> in
/// the RunResults container, which the API, the CLI export and the report read; none of them re-reads history.
/// </summary>
public sealed class ProductFactsService(BasketReader baskets, CrmTables tables, IOptions<NightlyOptions> options, ILogger<ProductFactsService> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Customers the run did not score (too new to summarise) are counted under this segment.</summary>
    public const string Unscored = "unscored";

    public static string ProductsBlobName(string runId) => $"{runId}/products.json";

    public static string DiscountsBlobName(string runId) => $"{runId}/discounts.json";

    /// <summary>Computes both from every shard's baskets as of <paramref name="asOf"/> and writes them under the run.</summary>
    /// <param name="scores">The run's scores: each customer's segment.</param>
    public async Task<(ProductFacts Products, DiscountResponse Discounts)> WriteAsync(string runId, DateOnly asOf, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var stopwatch = Stopwatch.StartNew();
        var segments = scores.ToDictionary(s => s.CustomerId, s => s.Segment, StringComparer.Ordinal);
        var products = new ProductFactsPartial(asOf);
        var discounts = new DiscountResponsePartial();
        var gate = new object();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, CrmKeys.ShardCount),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.ReadParallelism, CancellationToken = cancellationToken },
            async (shard, ct) =>
            {
                var (shardProducts, shardDiscounts) = Summarise(await baskets.ReadShardAsync(shard, ct), asOf, segments);
                lock (gate)
                {
                    products.Merge(shardProducts);
                    discounts.Merge(shardDiscounts);
                }
            });
        var facts = products.ToFacts();
        var response = discounts.ToResponse();
        await tables.RunResults.GetBlobClient(ProductsBlobName(runId)).UploadAsync(BinaryData.FromObjectAsJson(facts, Json), overwrite: true, cancellationToken);
        await tables.RunResults.GetBlobClient(DiscountsBlobName(runId)).UploadAsync(BinaryData.FromObjectAsJson(response, Json), overwrite: true, cancellationToken);
        logger.LogInformation("Run {RunId}: facts of {Skus} products and discount response of {Segments} segments in {Seconds:0.0} s", runId, facts.Products.Count, response.Segments.Count, stopwatch.Elapsed.TotalSeconds);
        return (facts, response);
    }

    /// <summary>One shard's partials: pure, so the nightly stages can run it per shard.</summary>
    public static (ProductFactsPartial Products, DiscountResponsePartial Discounts) Summarise(
        IReadOnlyList<IReadOnlyList<Ml.Data.Basket>> customers, DateOnly asOf, IReadOnlyDictionary<string, string> segments)
    {
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(segments);
        var products = new ProductFactsPartial(asOf);
        var discounts = new DiscountResponsePartial();
        var end = asOf.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        foreach (var customer in customers)
        {
            products.AddCustomer(customer);
            var known = customer.Where(b => b.TimestampUtc < end).ToList();
            if (known.Count > 0)
            {
                discounts.Add(segments.GetValueOrDefault(known[0].CustomerId) ?? Unscored, DiscountProfile.Of(known));
            }
        }

        return (products, discounts);
    }

    public Task<ProductFacts?> ReadProductsAsync(string runId, CancellationToken cancellationToken) => ReadAsync<ProductFacts>(ProductsBlobName(runId), cancellationToken);

    public Task<DiscountResponse?> ReadDiscountsAsync(string runId, CancellationToken cancellationToken) => ReadAsync<DiscountResponse>(DiscountsBlobName(runId), cancellationToken);

    /// <summary>Null for a run from before product facts existed.</summary>
    private async Task<T?> ReadAsync<T>(string blob, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var content = await tables.RunResults.GetBlobClient(blob).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<T>(Json);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }
}
