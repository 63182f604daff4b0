using System.Text.Json;
using Azure;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Products;

/// <summary>
/// A run's product facts and discount response, kept as the run's artefacts <c>{runId}/products.json</c> and
/// <c>{runId}/discounts.json</c> in the RunResults container, which the API, the CLI export and the report read; none
/// of them re-reads history. The nightly stages compute them as per-shard partials and merge those
/// (<see cref="Nightly.ShardPartials"/>); this class only stores and reads the merged results.
/// </summary>
public sealed class ProductFactsService(CrmTables tables, ILogger<ProductFactsService> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Customers the run did not score (too new to summarise) are counted under this segment.</summary>
    public const string Unscored = "unscored";

    public static string ProductsBlobName(string runId) => $"{runId}/products.json";

    public static string DiscountsBlobName(string runId) => $"{runId}/discounts.json";

    /// <summary>Writes both under the run.</summary>
    public async Task WriteAsync(string runId, ProductFacts facts, DiscountResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(response);
        await tables.RunResults.GetBlobClient(ProductsBlobName(runId)).UploadAsync(BinaryData.FromObjectAsJson(facts, Json), overwrite: true, cancellationToken);
        await tables.RunResults.GetBlobClient(DiscountsBlobName(runId)).UploadAsync(BinaryData.FromObjectAsJson(response, Json), overwrite: true, cancellationToken);
        logger.LogInformation("Run {RunId}: facts of {Skus} products and discount response of {Segments} segments", runId, facts.Products.Count, response.Segments.Count);
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
