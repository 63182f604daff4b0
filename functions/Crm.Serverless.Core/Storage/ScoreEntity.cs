using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Recommendations;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A customer's scores and next best products in one run, in that run's own table: one row, in the partition of the
/// segment the run gave the customer for their shard, RowKey as the customer row of <see cref="CrmKeys"/>; layout in
/// <see cref="RunScoreKeys"/>.
/// </summary>
public sealed class ScoreEntity : ITableEntity
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string RunId { get; set; } = "";
    public string AsOf { get; set; } = "";
    public double? ChurnProbability { get; set; }
    public double? PurchaseProbability { get; set; }
    public string? ChurnFactorsJson { get; set; }
    public double ProbabilityAlive { get; set; }
    public double ExpectedPurchases { get; set; }
    public double ExpectedAverageSpend { get; set; }
    public double Clv { get; set; }
    public DateTimeOffset? NextPurchaseAt { get; set; }
    public int Recency { get; set; }
    public int Frequency { get; set; }
    public int Monetary { get; set; }
    public string Segment { get; set; } = "";
    public string ValueTier { get; set; } = "";
    public string ChurnRiskTier { get; set; } = "";
    public string? ChurnModelVersion { get; set; }
    public string? PurchaseModelVersion { get; set; }

    /// <summary>
    /// The run's ranked skus for the customer as JSON (<see cref="RecommendedSku"/>[]; 10 skus fit well within a
    /// property's 64 KiB); null when the run had no recommender (no purchase with line items).
    /// </summary>
    public string? RecommendationsJson { get; set; }

    public static ScoreEntity From(CustomerScore score, IReadOnlyList<RecommendedSku>? recommendations = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new ScoreEntity
        {
            PartitionKey = RunScoreKeys.SegmentPartition(score.Segment, CrmKeys.ShardOf(score.CustomerId)),
            RowKey = CrmKeys.CustomerRow(score.CustomerId),
            CustomerId = score.CustomerId,
            RunId = score.RunId,
            AsOf = score.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ChurnProbability = score.ChurnProbability,
            PurchaseProbability = score.PurchaseProbability,
            ChurnFactorsJson = score.ChurnFactors.Count == 0 ? null : JsonSerializer.Serialize(score.ChurnFactors, Json),
            ProbabilityAlive = score.ProbabilityAlive,
            ExpectedPurchases = score.ExpectedPurchases,
            ExpectedAverageSpend = score.ExpectedAverageSpend,
            Clv = score.Clv,
            NextPurchaseAt = score.NextPurchaseAt is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null,
            Recency = score.Recency,
            Frequency = score.Frequency,
            Monetary = score.Monetary,
            Segment = score.Segment,
            ValueTier = score.ValueTier,
            ChurnRiskTier = score.ChurnRiskTier,
            ChurnModelVersion = score.ChurnModelVersion,
            PurchaseModelVersion = score.PurchaseModelVersion,
            RecommendationsJson = recommendations is null ? null : JsonSerializer.Serialize(recommendations, Json),
        };
    }

    /// <summary>The customer's own recommendations of this run, or null when the row holds none.</summary>
    public CustomerRecommendations? ToRecommendations()
        => RecommendationsJson is null ? null : new(CustomerId, RunId, AsOf, JsonSerializer.Deserialize<RecommendedSku[]>(RecommendationsJson, Json) ?? []);

    public CustomerScore ToScore() => new(
        CustomerId,
        RunId,
        DateOnly.ParseExact(AsOf, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ChurnProbability,
        PurchaseProbability,
        ChurnFactorsJson is null ? [] : JsonSerializer.Deserialize<List<ScoreFactor>>(ChurnFactorsJson, Json)!,
        ProbabilityAlive,
        ExpectedPurchases,
        ExpectedAverageSpend,
        Clv,
        NextPurchaseAt?.UtcDateTime,
        Recency,
        Frequency,
        Monetary,
        Segment,
        ValueTier,
        ChurnRiskTier,
        // Rows written before scores named their models carry none.
        ChurnModelVersion ?? "",
        PurchaseModelVersion ?? "");
}
