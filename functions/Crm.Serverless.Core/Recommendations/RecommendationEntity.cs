using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>One recommended sku: its rank (1 is the best), and the recommender's score (a ranking score, not a probability).</summary>
public sealed record RecommendedSku(int Rank, string Sku, double Score);

/// <summary>A customer's next best products from the run <see cref="RunId"/> (as of <see cref="AsOf"/>, yyyy-MM-dd); empty before any run.</summary>
public sealed record CustomerRecommendations(string CustomerId, string? RunId, string? AsOf, IReadOnlyList<RecommendedSku> Items);

/// <summary>
/// A run's popular skus (<see cref="Storage.RunScoreKeys.PopularRecommendations"/>, what a customer without purchases is
/// served), a row of that run's scores table. Runs of builds before the one-row layout also kept each customer's next
/// best products in such a row (partition <c>recommendations|{shard}</c>, RowKey <c>{customerId}|</c>), which
/// <see cref="RecommendationReader"/> still reads and the erase still deletes; a run now keeps them in the customer's
/// score row (<see cref="Storage.ScoreEntity.RecommendationsJson"/>).
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
