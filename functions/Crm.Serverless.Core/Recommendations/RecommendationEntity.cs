using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>One recommended sku: its rank (1 is the best), and the recommender's score (a ranking score, not a probability).</summary>
public sealed record RecommendedSku(int Rank, string Sku, double Score);

/// <summary>A customer's next best products from the run <see cref="RunId"/> (as of <see cref="AsOf"/>, yyyy-MM-dd); empty before any run.</summary>
public sealed record CustomerRecommendations(string CustomerId, string? RunId, string? AsOf, IReadOnlyList<RecommendedSku> Items);

/// <summary>
/// A customer's next best products in one run, a row of that run's scores table (<see cref="Storage.RunScoreKeys"/>):
/// partition <c>recommendations|{shard}</c>, RowKey <c>{customerId}|</c>. Readers take the current complete run's, so a
/// run being written or a backfill that is not published changes nothing they see; pruned with the run's table,
/// erased with the customer's rows of every run (<see cref="Privacy.CustomerPrivacyService"/>).
/// </summary>
public sealed class RecommendationEntity : ITableEntity
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string RunId { get; set; } = "";
    public string AsOf { get; set; } = "";

    /// <summary>The ranked skus as JSON (<see cref="RecommendedSku"/>[]): 10 skus fit well within a property's 64 KiB.</summary>
    public string ItemsJson { get; set; } = "[]";

    public static RecommendationEntity From(CustomerRecommendations recommendations)
    {
        ArgumentNullException.ThrowIfNull(recommendations);
        return new RecommendationEntity
        {
            PartitionKey = Storage.RunScoreKeys.RecommendationPartition(Storage.CrmKeys.ShardOf(recommendations.CustomerId)),
            RowKey = Storage.CrmKeys.CustomerRow(recommendations.CustomerId),
            CustomerId = recommendations.CustomerId,
            RunId = recommendations.RunId ?? "",
            AsOf = recommendations.AsOf ?? "",
            ItemsJson = JsonSerializer.Serialize(recommendations.Items, Json),
        };
    }

    public CustomerRecommendations ToRecommendations()
        => new(CustomerId, RunId, AsOf, JsonSerializer.Deserialize<RecommendedSku[]>(ItemsJson, Json) ?? []);
}
